/**
 * The writer: a typed value to the XML the engine expects, driven by the same metadata as the
 * reader. Members in model order, `id` as an attribute, unset members omitted, lists as wrapper plus
 * item elements. Every value is checked against its member's type; anything else fails with the
 * member path in the caller's names.
 *
 * Two modes. `request` (the default: request bodies) writes what the engine reads: no `href`, and a
 * list link that was not inlined (an empty list carrying `href`, as decoded from an answer) is left out,
 * so a value read from the engine can be sent back as it is. `document` writes an answer as the engine
 * does (the simulator): `href` attributes and `<link rel href/>` for list links. Neither writes
 * `<actions>`, which is no model member.
 *
 * Speed: each struct gets a write plan once (its members' tags and open/close texts), so no tag text is
 * built per value; strings are scanned once for what needs escaping; unknown fields are counted, not
 * looked up; a list's items are flattened one by one and joined once.
 */
import { type Catalog, type CompiledMember, type CompiledStruct, ValueKind } from "./Catalog.js"
import { XmlInputFailure } from "./Failure.js"
import { describeRange, formatDate, formatDecimal, formatInteger } from "./Primitives.js"

// Characters XML 1.0 cannot carry at all, even as references.
const INVALID_CHARS = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/
const TEXT_SPECIAL = /[&<>\r]/
const ATTR_SPECIAL = /[&<>"\t\n\r]/

/** Anything that may need escaping or checking; most strings have none and skip the rest. */
const MAYBE_SPECIAL = /[\u0000-\u001F&<>"\uD800-\uDFFF\uFFFE\uFFFF]/

/** Refuses characters XML cannot carry; callers run it only on text that `MAYBE_SPECIAL` flagged. */
const checkChars = (text: string): void => {
  if (INVALID_CHARS.test(text)) throw new XmlInputFailure("holds a character XML cannot carry")
}

const rethrowWithin = (failure: unknown, step: string): never => {
  throw failure instanceof XmlInputFailure ? failure.within(step) : failure
}

/** Text content: `&`, `<`, `>` escaped, and `\r` as a reference so that it survives line-end normalisation. */
export const escapeText = (text: string): string =>
  TEXT_SPECIAL.test(text)
    ? text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/\r/g, "&#13;")
    : text

/** Attribute values: also quotes, and whitespace as references (attribute normalisation would eat them). */
export const escapeAttribute = (text: string): string =>
  ATTR_SPECIAL.test(text)
    ? escapeText(text).replace(/"/g, "&quot;").replace(/\t/g, "&#9;").replace(/\n/g, "&#10;")
    : text

/** Deeper than any engine document nests; past it a value is refused rather than overflow the stack. */
const MAX_DEPTH = 100

/** `request`: what the engine reads (no `href`, no `<link>`); `document`: an answer as the engine writes it. */
export type WriterMode = "request" | "document"

/** How a member is written, and the texts around it, worked out once per struct. */
interface MemberPlan {
  readonly member: CompiledMember
  /** The value's field name. */
  readonly name: string
  /** Its step in an error's path (`.name`). */
  readonly step: string
  /** ` id="` for an attribute; `<xml>` for an element or a list; `<xml` for a struct (attributes follow). */
  readonly open: string
  /** `"` for an attribute, `</xml>` for an element, a list or a struct. */
  readonly close: string
  /** An empty list: `<xml/>`. */
  readonly empty: string
  /** A list's items: `<item>` (`<item` for struct items) and `</item>`. */
  readonly itemOpen: string
  readonly itemClose: string
  /** The plan of a struct member's type, filled on first use. */
  target: StructPlan | undefined
}

interface StructPlan {
  readonly struct: CompiledStruct
  readonly members: ReadonlyArray<MemberPlan>
}

const plans = new WeakMap<CompiledStruct, StructPlan>()

const planOf = (struct: CompiledStruct): StructPlan => {
  let plan = plans.get(struct)
  if (plan === undefined) {
    plan = { struct, members: struct.members.map(memberPlan) }
    plans.set(struct, plan)
  }
  return plan
}

const memberPlan = (m: CompiledMember): MemberPlan => {
  const struct = m.kind === ValueKind.Struct
  return {
    member: m,
    name: m.name,
    step: `.${m.name}`,
    open: m.attribute ? ` ${m.xml}="` : struct && !m.list ? `<${m.xml}` : `<${m.xml}>`,
    close: m.attribute ? `"` : `</${m.xml}>`,
    empty: `<${m.xml}/>`,
    itemOpen: struct ? `<${m.item}` : `<${m.item}>`,
    itemClose: `</${m.item}>`,
    target: undefined
  }
}

export class Writer {
  /** The struct values being written, outermost first: a value met again inside itself is a cycle. */
  private readonly open: Array<object> = []
  private readonly links: boolean

  constructor(
    private readonly catalog: Catalog,
    mode: WriterMode = "request"
  ) {
    this.links = mode === "document"
  }

  /** One struct value as an element named `tag`. */
  struct(struct: CompiledStruct, tag: string, value: unknown): string {
    return this.writeStruct(planOf(struct), `<${tag}`, `</${tag}>`, value)
  }

  /** A collection document: `<vms><vm>...</vm>...</vms>`. */
  collection(struct: CompiledStruct, tag: string, values: unknown): string {
    if (!Array.isArray(values)) throw new XmlInputFailure("must be an array")
    const plan = planOf(struct)
    const open = `<${struct.xml}`
    const close = `</${struct.xml}>`
    // flat pieces joined once: a rope of every item's small strings would be kept alive to the end.
    // Measured slower: one array of every piece of the list, each item copied out to a byte buffer,
    // and the items joined in chunks first (a second copy of the whole text).
    const items: Array<string> = [`<${tag}>`]
    for (let i = 0; i < values.length; i++) {
      try {
        items.push(flat(this.writeStruct(plan, open, close, values[i])))
      } catch (failure) {
        rethrowWithin(failure, `[${i}]`)
      }
    }
    items.push(`</${tag}>`)
    return items.join("")
  }

  /**
   * `open` is the start tag without its `>` (`<vm`), `close` the end tag. Pieces are joined with `+`:
   * V8 makes that a rope without copying, flattened once (by `flat`, or by whoever reads the text).
   */
  private writeStruct(plan: StructPlan, open: string, close: string, value: unknown): string {
    if (typeof value !== "object" || value === null || Array.isArray(value) || value instanceof Date) {
      throw new XmlInputFailure(`must be an object (a ${plan.struct.name})`)
    }
    const stack = this.open
    if (stack.includes(value)) throw new XmlInputFailure("contains itself (a cycle): XML can only carry a tree")
    if (stack.length >= MAX_DEPTH) throw new XmlInputFailure(`nests deeper than ${MAX_DEPTH} levels`)
    stack.push(value)
    try {
      return this.members(plan, open, close, value as Readonly<Record<string, unknown>>)
    } finally {
      stack.pop()
    }
  }

  private members(plan: StructPlan, open: string, close: string, record: Readonly<Record<string, unknown>>): string {
    let attributes = ""
    let body = ""
    let written = 0
    let at: MemberPlan | undefined
    try {
      for (const p of plan.members) {
        const v = record[p.name]
        if (v === undefined) continue
        at = p
        written++
        const m = p.member
        if (m.attribute) attributes += p.open + scalar(m, v, true) + p.close
        else if (m.list) body += this.list(p, v)
        else if (m.kind === ValueKind.Struct) body += this.writeStruct(this.target(p), p.open, p.close, v)
        else body += p.open + scalar(m, v, false) + p.close
      }
      at = undefined
      const href = record.href
      if (href !== undefined && this.links) {
        if (typeof href !== "string") throw new XmlInputFailure("must be a string", ".href")
        attributes += ` href="${escaped(checked(href), true)}"`
      }
    } catch (failure) {
      // a member that is not one is reported first, as if checked before anything was written
      refuseUnknown(plan.struct, record)
      throw at !== undefined && failure instanceof XmlInputFailure ? failure.within(at.step) : failure
    }
    if (written !== definedMembers(record)) refuseUnknown(plan.struct, record)
    return body.length === 0 ? open + attributes + "/>" : open + attributes + ">" + body + close
  }

  private target(p: MemberPlan): StructPlan {
    return p.target ?? (p.target = planOf(this.catalog.target(p.member)))
  }

  private list(p: MemberPlan, value: unknown): string {
    if (!Array.isArray(value)) throw new XmlInputFailure("must be an array")
    const m = p.member
    if (value.length === 0) {
      const href: unknown = (value as { readonly href?: unknown }).href
      if (href === undefined || m.rel === undefined) return p.empty
      // not inlined: only a pointer to the list, which a request leaves out (an empty list would clear it)
      if (!this.links) return ""
      if (typeof href !== "string") throw new XmlInputFailure("must be a string", ".href")
      return `<link href="${escaped(checked(href), true)}" rel="${escaped(m.rel, true)}"/>`
    }
    let out = p.open
    const struct = m.kind === ValueKind.Struct ? this.target(p) : undefined
    for (let i = 0; i < value.length; i++) {
      try {
        out += struct !== undefined ? this.writeStruct(struct, p.itemOpen, p.itemClose, value[i]) : p.itemOpen + scalar(m, value[i], false) + p.itemClose
      } catch (failure) {
        rethrowWithin(failure, `[${i}]`)
      }
    }
    return out + p.close
  }
}

/** The string as one flat piece of memory (V8 flattens a rope when a character is read). */
const flat = (s: string): string => {
  s.charCodeAt(0)
  return s
}

/** How many of `record`'s fields hold a value, `href` aside (a member or not: see `refuseUnknown`). */
const definedMembers = (record: Readonly<Record<string, unknown>>): number => {
  let n = 0
  for (const key in record) if (record[key] !== undefined && key !== "href") n++
  return n
}

/** Fails on the first field of `record` that holds a value and is no member of `struct`. */
const refuseUnknown = (struct: CompiledStruct, record: Readonly<Record<string, unknown>>): void => {
  for (const key in record) {
    if (record[key] !== undefined && key !== "href" && !struct.fields.has(key)) {
      throw new XmlInputFailure(`is not a member of ${struct.name}`, `.${key}`)
    }
  }
}

/**
 * Whether `text` may need escaping or checking (see MAYBE_SPECIAL). Most wire strings are short
 * names, ids and enum values: a loop over their characters costs less than a regular expression call.
 */
const maybeSpecial = (text: string): boolean => {
  const n = text.length
  if (n > 64) return MAYBE_SPECIAL.test(text)
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i)
    if (c < 0x3f ? c < 0x20 || c === 0x22 || c === 0x26 || c === 0x3c || c === 0x3e : c >= 0xd800 && (c <= 0xdfff || c >= 0xfffe)) return true
  }
  return false
}

/** `text` checked for characters XML cannot carry. */
const checked = (text: string): string => {
  if (MAYBE_SPECIAL.test(text)) checkChars(text)
  return text
}

/** Wire text as element content or an attribute value. */
const escaped = (text: string, attribute: boolean): string => (attribute ? escapeAttribute(text) : escapeText(text))

/**
 * A primitive or enum value as its wire text, escaped as element content or as an attribute value
 * (only strings can need it: numbers, booleans and dates are written in characters that never do).
 */
const scalar = (m: CompiledMember, v: unknown, attribute: boolean): string => {
  switch (m.kind) {
    case ValueKind.String:
    case ValueKind.Enum:
      if (typeof v !== "string") break
      if (!maybeSpecial(v)) return v
      checkChars(v)
      return escaped(v, attribute)
    case ValueKind.Boolean:
      if (typeof v !== "boolean") break
      return v ? "true" : "false"
    case ValueKind.Integer:
      if (typeof v !== "number" || !Number.isInteger(v)) break
      // what the engine could not read, or a number that stands for more than one value (1e23)
      if (v < m.range.min || v > m.range.max) throw new XmlInputFailure(`must be an Integer within ${describeRange(m.range)}, got ${BigInt(v)}`)
      return formatInteger(v)
    case ValueKind.Decimal:
      if (typeof v !== "number" || !Number.isFinite(v)) break
      return formatDecimal(v)
    case ValueKind.Date:
      if (!(v instanceof Date) || Number.isNaN(v.getTime())) break
      return formatDate(v)
    case ValueKind.Struct:
      break
  }
  const expected = m.kind === ValueKind.Enum ? `a ${m.type} value (string)` : m.kind === ValueKind.Date ? "a valid Date" : `a ${m.type}`
  throw new XmlInputFailure(`must be ${expected}`)
}

