/**
 * The shapes of the types' wire metadata the generator emits (src/types/generated/metadata.ts): the
 * XML reader and writer, the services and the simulator all read this one table; nothing else spells
 * a wire name. The services' descriptions are in src/services/runtime/Metadata.ts.
 */

export type PrimitiveName = "String" | "Boolean" | "Integer" | "Decimal" | "Date"

export interface MemberMeta {
  /** Field name in TypeScript (camelCase words), e.g. `diskAttachments`. */
  readonly name: string
  /** Element (or attribute) name on the wire, e.g. `disk_attachments`. */
  readonly xml: string
  readonly kind: "primitive" | "enum" | "struct"
  /** Primitive name, enum name or struct name. */
  readonly type: string
  readonly list: boolean
  /** Tag of each item of a list member. */
  readonly item?: string
  /** The member is an XML attribute (only `id` members are). */
  readonly attribute?: boolean
  /** A link to other top-level objects (`@Link` in the model). */
  readonly link?: boolean
  /** The `rel` of the `<link>` that stands for a list link when it is not inlined. */
  readonly rel?: string
  /**
   * The XML schema's own type when it differs from the primitive's (`xs:long` for sizes that exceed
   * 2^31, `xs:unsignedInt`, `xs:double`); an `Integer` without it is an `xs:int`.
   */
  readonly schemaType?: string
}

export interface StructMeta {
  readonly name: string
  /** Tag of one object at the document root. */
  readonly xml: string
  /** Tag of a collection document; null for `Action`. */
  readonly plural: string | null
  /** Every member, inherited ones first (walking the `base` chain), then the type's own. */
  readonly members: ReadonlyArray<MemberMeta>
}

export interface EnumMeta {
  readonly name: string
  /** Wire values, e.g. `powering_up`. */
  readonly values: ReadonlyArray<string>
}

/**
 * A struct as src/types/generated/metadata.ts spells it, one text line per member to keep the table (and
 * a bundle) small: `[name, xml, plural, base, members]`, where `base` names the struct whose members come
 * first (its own base's first, and so on; null for none) and `members` are the struct's own. Each member is
 * `name xml kind type` then its flags (`list`, `attribute`, `link`, `item=tag`, `rel=rel`,
 * `schemaType=xs:long`), `xml` left out when it is the name in snake case, e.g.
 * `"diskAttachments struct DiskAttachment list item=disk_attachment link rel=diskattachments"`.
 */
export type StructText = readonly [name: string, xml: string, plural: string | null, base: string | null, members: ReadonlyArray<string>]

const kinds: ReadonlySet<string> = new Set<MemberMeta["kind"]>(["primitive", "enum", "struct"])

/** The wire name a member has unless its text says otherwise: `diskAttachments` -> `disk_attachments`. */
const snakeCase = (name: string): string => name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)

/** A member from its text line (see `StructText`); a line the generator could not have written throws. */
export const memberFromText = (line: string): MemberMeta => {
  const words = line.split(" ")
  // the second word is a kind when the wire name was left out (a wire name is never a kind: see memberToText)
  if (kinds.has(words[1])) words.splice(1, 0, snakeCase(words[0]))
  const [name, xml, kind, type, ...flags] = words
  if (type === undefined || !kinds.has(kind)) throw new Error(`malformed member metadata: ${line}`)
  const member: { -readonly [K in keyof MemberMeta]: MemberMeta[K] } = { name, xml, kind: kind as MemberMeta["kind"], type, list: false }
  for (const flag of flags) {
    const at = flag.indexOf("=")
    const key = at < 0 ? flag : flag.slice(0, at)
    const value = flag.slice(at + 1)
    if (key === "list" || key === "attribute" || key === "link") member[key] = true
    else if (at > 0 && (key === "item" || key === "rel" || key === "schemaType")) member[key] = value
    else throw new Error(`malformed member metadata: ${line}`)
  }
  return member
}

/** A member as its text line (see `StructText`): what the generator writes, `memberFromText` reads back. */
export const memberToText = (member: MemberMeta): string => {
  if (kinds.has(member.xml) && member.xml !== snakeCase(member.name)) {
    throw new Error(`member metadata: the wire name ${JSON.stringify(member.xml)} of ${member.name} reads as a kind`)
  }
  const words = member.xml === snakeCase(member.name) ? [member.name, member.kind, member.type] : [member.name, member.xml, member.kind, member.type]
  if (member.list) words.push("list")
  if (member.attribute === true) words.push("attribute")
  if (member.link === true) words.push("link")
  if (member.item !== undefined) words.push(`item=${member.item}`)
  if (member.rel !== undefined) words.push(`rel=${member.rel}`)
  if (member.schemaType !== undefined) words.push(`schemaType=${member.schemaType}`)
  for (const word of words) {
    if (word === "" || /[\s=]/.test(word.slice(word.indexOf("=") + 1))) throw new Error(`member metadata word ${JSON.stringify(word)} cannot be written as text`)
  }
  return words.join(" ")
}

/**
 * The struct table from its text form: each struct's members are its base's (shared), then its own. The
 * bases are checked here; a struct's member lines are read on the first use of its `members`, so that
 * loading the table (every service module and the root do) reads none of the 1,700 lines.
 */
export const structsFromText = (table: ReadonlyArray<StructText>): ReadonlyArray<StructMeta> => {
  const byName = new Map(table.map((entry) => [entry[0], entry]))
  const read = new Map<string, StructMeta>()
  const structOf = (entry: StructText, seen: ReadonlyArray<string>): StructMeta => {
    const [name, xml, plural, base, own] = entry
    const done = read.get(name)
    if (done !== undefined) return done
    let baseStruct: StructMeta | undefined
    if (base !== null) {
      const baseEntry = byName.get(base)
      if (baseEntry === undefined || seen.includes(base)) throw new Error(`malformed struct metadata: ${name} has base ${base}`)
      baseStruct = structOf(baseEntry, [...seen, name])
    }
    let members: ReadonlyArray<MemberMeta> | undefined
    const struct: StructMeta = {
      name,
      xml,
      plural,
      get members() {
        return members ??= [...(baseStruct?.members ?? []), ...own.map(memberFromText)]
      }
    }
    read.set(name, struct)
    return struct
  }
  return table.map((entry) => structOf(entry, [entry[0]]))
}

/**
 * The annotation key the generated struct Schemas carry, with the struct's model name as value,
 * so that `Xml.decodeAs(Types.Vm)` finds the metadata of `Vm`.
 */
export const StructNameAnnotationId: unique symbol = Symbol.for("effect-ovirt/StructName")
