/**
 * The shapes of the wire metadata the generator emits (src/types/generated/metadata.ts and
 * src/services/generated/*). The XML reader and writer, the services and the simulator all read
 * this one table; nothing else spells a wire name.
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
 * The annotation key the generated struct Schemas carry, with the struct's model name as value,
 * so that `Xml.decodeAs(Types.Vm)` finds the metadata of `Vm`.
 */
export const StructNameAnnotationId: unique symbol = Symbol.for("effect-ovirt/StructName")
