/**
 * Lookup tables over the generated wire metadata, built lazily (a struct's tables on first use):
 * element tag -> member per struct, root tag -> struct, `<link rel>` -> list member.
 */
import type { EnumMeta, MemberMeta, StructMeta } from "../../Metadata.js"
import { names } from "./Names.js"
import { integerRange, type IntegerRange } from "./Primitives.js"

/** What a member's value is on the wire. */
export const enum ValueKind {
  String,
  Boolean,
  Integer,
  Decimal,
  Date,
  Enum,
  Struct
}

const PRIMITIVE_KINDS: Readonly<Record<string, ValueKind>> = {
  String: ValueKind.String,
  Boolean: ValueKind.Boolean,
  Integer: ValueKind.Integer,
  Decimal: ValueKind.Decimal,
  Date: ValueKind.Date
}

export interface CompiledMember {
  /** Field name (camelCase). */
  readonly name: string
  /** Element or attribute name. */
  readonly xml: string
  readonly kind: ValueKind
  /** Primitive, enum or struct name. */
  readonly type: string
  readonly list: boolean
  /** Item tag of a list member ("" otherwise). */
  readonly item: string
  readonly attribute: boolean
  /** `rel` of the `<link>` standing for a list link, if any. */
  readonly rel: string | undefined
  /** What an `Integer` member may hold (unused for other members). */
  readonly range: IntegerRange
  /** Wire values of an enum member. */
  readonly enumValues: ReadonlySet<string> | undefined
  /** The compiled struct of a struct member, filled on first use (see `Catalog.target`). */
  target: CompiledStruct | undefined
}

export interface CompiledStruct {
  readonly name: string
  readonly xml: string
  readonly plural: string | null
  readonly members: ReadonlyArray<CompiledMember>
  /** Child element tag -> member (element members only). */
  readonly elements: ReadonlyMap<string, CompiledMember>
  /** The same by the tag's id in the name table (src/core/internal/xml/Names.ts), when `bySlots`. */
  readonly slots: ReadonlyArray<CompiledMember | undefined>
  /** Every element member's tag has an id, so `slots` is complete. */
  readonly bySlots: boolean
  /** Attribute name -> member (`id` members). */
  readonly attributes: ReadonlyMap<string, CompiledMember>
  /** `<link rel>` value -> list member: the model's rel, the server's URL segment, the tag without `_`. */
  readonly rels: ReadonlyMap<string, CompiledMember>
  /** Field name -> member. */
  readonly fields: ReadonlyMap<string, CompiledMember>
  /**
   * Makes the empty plain object a value of this struct starts as. A constructor of its own per
   * struct lets V8 size the objects by what it sees (in-object slack tracking) instead of growing
   * a property array three fields at a time; the prototype is Object.prototype, as for `{}`.
   */
  readonly create: new () => Record<string, unknown>
}

const plainObjectMaker = (): (new () => Record<string, unknown>) => {
  function PlainObject(): void {}
  PlainObject.prototype = Object.prototype
  return PlainObject as unknown as new () => Record<string, unknown>
}

/**
 * The engine derives a link's `rel` from the URL segment of the sub-collection, the model names it
 * after the member; they differ for these (ovirt-api README, "Links and follow").
 */
const SERVER_RELS: ReadonlyArray<readonly [struct: string, member: string, rel: string]> = [
  ["GlusterVolume", "bricks", "glusterbricks"],
  ["Host", "agents", "fenceagents"],
  ["Host", "storages", "storage"],
  ["IscsiBond", "storageConnections", "storageserverconnections"],
  ["SchedulingPolicy", "weight", "weights"]
]

export class Catalog {
  private readonly structMeta = new Map<string, StructMeta>()
  private readonly enumValues = new Map<string, ReadonlySet<string>>()
  private readonly compiled = new Map<string, CompiledStruct>()
  private readonly rootTags = new Map<string, string>()
  private readonly pluralTags = new Map<string, string>()

  constructor(structs: ReadonlyArray<StructMeta>, enums: ReadonlyArray<EnumMeta>) {
    for (const s of structs) {
      this.structMeta.set(s.name, s)
      this.rootTags.set(s.xml, s.name)
      if (s.plural !== null) this.pluralTags.set(s.plural, s.name)
    }
    for (const e of enums) this.enumValues.set(e.name, new Set(e.values))
    // give the model's names their ids before any document can fill the name table
    for (const name of ["link", "actions", "href", "rel", "id"]) names.id(name)
    for (const s of structs) {
      names.id(s.xml)
      if (s.plural !== null) names.id(s.plural)
      for (const m of s.members) {
        names.id(m.xml)
        if (m.item !== undefined) names.id(m.item)
      }
    }
  }

  /** The struct named `name` (model name, e.g. `Vm`), or undefined. */
  find(name: string): CompiledStruct | undefined {
    const done = this.compiled.get(name)
    if (done !== undefined) return done
    const meta = this.structMeta.get(name)
    if (meta === undefined) return undefined
    const struct = this.compile(meta)
    this.compiled.set(name, struct)
    return struct
  }

  struct(name: string): CompiledStruct {
    const struct = this.find(name)
    if (struct === undefined) throw new Error(`no metadata for struct ${name}`)
    return struct
  }

  /** The struct a struct member holds. */
  target(m: CompiledMember): CompiledStruct {
    return m.target ?? (m.target = this.struct(m.type))
  }

  /** The struct whose single-object tag is `tag` (`vm` -> Vm). */
  byTag(tag: string): CompiledStruct | undefined {
    const name = this.rootTags.get(tag)
    return name === undefined ? undefined : this.struct(name)
  }

  /** The struct whose collection tag is `tag` (`vms` -> Vm). */
  byPlural(tag: string): CompiledStruct | undefined {
    const name = this.pluralTags.get(tag)
    return name === undefined ? undefined : this.struct(name)
  }

  private compile(meta: StructMeta): CompiledStruct {
    const members = meta.members.map((m) => this.member(m))
    const elements = new Map<string, CompiledMember>()
    const attributes = new Map<string, CompiledMember>()
    const rels = new Map<string, CompiledMember>()
    const fields = new Map<string, CompiledMember>()
    const slots: Array<CompiledMember | undefined> = []
    let bySlots = true
    for (const m of members) {
      fields.set(m.name, m)
      if (m.attribute) attributes.set(m.xml, m)
      else {
        elements.set(m.xml, m)
        const id = names.id(m.xml)
        if (id < 0) bySlots = false
        else slots[id] = m
      }
      if (m.rel !== undefined) {
        rels.set(m.rel, m)
        const squashed = m.xml.replace(/_/g, "")
        if (!rels.has(squashed)) rels.set(squashed, m)
      }
    }
    for (const [struct, member, rel] of SERVER_RELS) {
      const m = fields.get(member)
      if (struct === meta.name && m !== undefined && !rels.has(rel)) rels.set(rel, m)
    }
    return {
      name: meta.name,
      xml: meta.xml,
      plural: meta.plural,
      members,
      elements,
      slots,
      bySlots,
      attributes,
      rels,
      fields,
      create: plainObjectMaker()
    }
  }

  private member(m: MemberMeta): CompiledMember {
    const kind = m.kind === "struct" ? ValueKind.Struct : m.kind === "enum" ? ValueKind.Enum : PRIMITIVE_KINDS[m.type]
    if (kind === undefined) throw new Error(`unknown primitive type ${m.type} of member ${m.name}`)
    return {
      name: m.name,
      xml: m.xml,
      kind,
      type: m.type,
      list: m.list,
      item: m.item ?? "",
      attribute: m.attribute === true,
      rel: m.rel,
      range: integerRange(m.schemaType),
      enumValues: m.kind === "enum" ? (this.enumValues.get(m.type) ?? new Set()) : undefined,
      target: undefined
    }
  }
}
