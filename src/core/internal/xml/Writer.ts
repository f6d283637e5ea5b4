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

const checkChars = (text: string): void => {
  if (MAYBE_SPECIAL.test(text) && INVALID_CHARS.test(text)) throw new XmlInputFailure("holds a character XML cannot carry")
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

/** The string as one flat piece of memory (V8 flattens a rope when a character is read). */
const flat = (s: string): string => {
  s.charCodeAt(0)
  return s
}

/** Deeper than any engine document nests; past it a value is refused rather than overflow the stack. */
const MAX_DEPTH = 100

/** `request`: what the engine reads (no `href`, no `<link>`); `document`: an answer as the engine writes it. */
export type WriterMode = "request" | "document"

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
    if (typeof value !== "object" || value === null || Array.isArray(value) || value instanceof Date) {
      throw new XmlInputFailure(`must be an object (a ${struct.name})`)
    }
    const open = this.open
    if (open.includes(value)) throw new XmlInputFailure("contains itself (a cycle): XML can only carry a tree")
    if (open.length >= MAX_DEPTH) throw new XmlInputFailure(`nests deeper than ${MAX_DEPTH} levels`)
    open.push(value)
    try {
      return this.members(struct, tag, value as Readonly<Record<string, unknown>>)
    } finally {
      open.pop()
    }
  }

  private members(struct: CompiledStruct, tag: string, record: Readonly<Record<string, unknown>>): string {
    for (const key in record) {
      if (record[key] !== undefined && key !== "href" && !struct.fields.has(key)) {
        throw new XmlInputFailure(`is not a member of ${struct.name}`, `.${key}`)
      }
    }
    let open = `<${tag}`
    let body = ""
    for (const m of struct.members) {
      const v = record[m.name]
      if (v === undefined) continue
      try {
        if (m.attribute) open += ` ${m.xml}="${escapeAttribute(this.scalar(m, v))}"`
        else if (m.list) body += this.list(m, v)
        else if (m.kind === ValueKind.Struct) body += this.struct(this.catalog.target(m), m.xml, v)
        else body += `<${m.xml}>${escapeText(this.scalar(m, v))}</${m.xml}>`
      } catch (failure) {
        rethrowWithin(failure, `.${m.name}`)
      }
    }
    const href = record.href
    if (href !== undefined && this.links) {
      if (typeof href !== "string") throw new XmlInputFailure("must be a string", ".href")
      if (MAYBE_SPECIAL.test(href)) checkChars(href)
      open += ` href="${escapeAttribute(href)}"`
    }
    return body.length === 0 ? `${open}/>` : `${open}>${body}</${tag}>`
  }

  /** A collection document: `<vms><vm>...</vm>...</vms>`. */
  collection(struct: CompiledStruct, tag: string, values: unknown): string {
    if (!Array.isArray(values)) throw new XmlInputFailure("must be an array")
    // flat pieces joined once: a rope of every item's small strings would be kept alive to the end
    const parts: Array<string> = [`<${tag}>`]
    for (let i = 0; i < values.length; i++) {
      try {
        parts.push(flat(this.struct(struct, struct.xml, values[i])))
      } catch (failure) {
        rethrowWithin(failure, `[${i}]`)
      }
    }
    parts.push(`</${tag}>`)
    return parts.join("")
  }

  private list(m: CompiledMember, value: unknown): string {
    if (!Array.isArray(value)) throw new XmlInputFailure("must be an array")
    const href: unknown = (value as { readonly href?: unknown }).href
    if (value.length === 0 && href !== undefined && m.rel !== undefined) {
      // not inlined: only a pointer to the list, which a request leaves out (an empty list would clear it)
      if (!this.links) return ""
      if (typeof href !== "string") throw new XmlInputFailure("must be a string", ".href")
      if (MAYBE_SPECIAL.test(href)) checkChars(href)
      return `<link href="${escapeAttribute(href)}" rel="${escapeAttribute(m.rel)}"/>`
    }
    if (value.length === 0) return `<${m.xml}/>`
    let out = `<${m.xml}>`
    for (let i = 0; i < value.length; i++) {
      try {
        out +=
          m.kind === ValueKind.Struct
            ? this.struct(this.catalog.target(m), m.item, value[i])
            : `<${m.item}>${escapeText(this.scalar(m, value[i]))}</${m.item}>`
      } catch (failure) {
        rethrowWithin(failure, `[${i}]`)
      }
    }
    return `${out}</${m.xml}>`
  }

  /** A primitive or enum value as its wire text. */
  private scalar(m: CompiledMember, v: unknown): string {
    switch (m.kind) {
      case ValueKind.String:
      case ValueKind.Enum:
        if (typeof v !== "string") break
        if (MAYBE_SPECIAL.test(v)) checkChars(v)
        return v
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
    const expected =
      m.kind === ValueKind.Enum ? `a ${m.type} value (string)` : m.kind === ValueKind.Date ? "a valid Date" : `a ${m.type}`
    throw new XmlInputFailure(`must be ${expected}`)
  }
}
