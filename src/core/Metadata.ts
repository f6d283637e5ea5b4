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
 * `name xml kind Type` then its flags (`list`, `attribute`, `link`, `item=tag`, `rel=rel`,
 * `schemaType=xs:long`), `xml` left out when it is the name in snake case and `kind` when the type says it
 * (a primitive's name is a primitive, any other type a struct: only `enum` is written), e.g.
 * `"diskAttachments DiskAttachment list item=disk_attachment link rel=diskattachments"`, `"status enum VmStatus"`.
 * A type is the line's first word in PascalCase (wire names, kinds and flags are lower case).
 */
export type StructText = readonly [name: string, xml: string, plural: string | null, base: string | null, members: ReadonlyArray<string>]

const kinds: ReadonlySet<string> = new Set<MemberMeta["kind"]>(["primitive", "enum", "struct"])
const primitives: ReadonlySet<string> = new Set<PrimitiveName>(["String", "Boolean", "Integer", "Decimal", "Date"])

/** The wire name a member has unless its text says otherwise: `diskAttachments` -> `disk_attachments`. */
const snakeCase = (name: string): string => name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)

const isTypeName = (word: string): boolean => /^[A-Z]/.test(word)

/** The kind a line without one gives `type`. */
const kindOf = (type: string): MemberMeta["kind"] => primitives.has(type) ? "primitive" : "struct"

/**
 * The wire name and the kind (undefined when left out) from the words between a member's name and its type:
 * none, a wire name, a kind, or both (a wire name is never a kind: see memberToText); undefined for others.
 */
const wireAndKind = (name: string, between: ReadonlyArray<string>): readonly [xml: string, kind: string | undefined] | undefined => {
  if (between.length === 0) return [snakeCase(name), undefined]
  if (between.length === 1) return kinds.has(between[0]) ? [snakeCase(name), between[0]] : [between[0], undefined]
  if (between.length === 2 && kinds.has(between[1])) return [between[0], between[1]]
  return undefined
}

/** A member from its text line (see `StructText`); a line the generator could not have written throws. */
export const memberFromText = (line: string): MemberMeta => {
  const words = line.split(" ")
  const at = words.findIndex(isTypeName)
  const given = at < 1 ? undefined : wireAndKind(words[0], words.slice(1, at))
  if (given === undefined) throw new Error(`malformed member metadata: ${line}`)
  const name = words[0]
  const type = words[at]
  const [xml, kind = kindOf(type)] = given
  const member: { -readonly [K in keyof MemberMeta]: MemberMeta[K] } = { name, xml, kind: kind as MemberMeta["kind"], type, list: false }
  for (const flag of words.slice(at + 1)) {
    const eq = flag.indexOf("=")
    const key = eq < 0 ? flag : flag.slice(0, eq)
    const value = flag.slice(eq + 1)
    if (key === "list" || key === "attribute" || key === "link") member[key] = true
    else if (eq > 0 && (key === "item" || key === "rel" || key === "schemaType")) member[key] = value
    else throw new Error(`malformed member metadata: ${line}`)
  }
  return member
}

/** A member as its text line (see `StructText`): what the generator writes, `memberFromText` reads back. */
export const memberToText = (member: MemberMeta): string => {
  const of = `of ${member.name}`
  if (kinds.has(member.xml) && member.xml !== snakeCase(member.name)) {
    throw new Error(`member metadata: the wire name ${JSON.stringify(member.xml)} ${of} reads as a kind`)
  }
  if (isTypeName(member.name)) throw new Error(`member metadata: the name ${JSON.stringify(member.name)} reads as a type`)
  if (isTypeName(member.xml)) throw new Error(`member metadata: the wire name ${JSON.stringify(member.xml)} ${of} reads as a type`)
  if (!isTypeName(member.type)) throw new Error(`member metadata: the type ${JSON.stringify(member.type)} ${of} does not read as a type`)
  if (member.kind !== "enum" && kindOf(member.type) !== member.kind) {
    throw new Error(`member metadata: ${member.kind} ${member.type} ${of} would read as ${kindOf(member.type)}`)
  }
  const words = [member.name]
  if (member.xml !== snakeCase(member.name)) words.push(member.xml)
  if (member.kind === "enum") words.push("enum")
  words.push(member.type)
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
 * loading the table (every service module and the root do) reads none of its 1,338 lines.
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
