/**
 * The metadata-driven reader: a `TokenHandler` that builds typed values directly from the
 * tokenizer's events (no generic tree). A stack of reusable frames says what the current element
 * is: a struct being filled, a list wrapper, a primitive value collecting text, a collection
 * document, or a subtree being skipped. Collection items are handed to `emit` as soon as they are
 * complete, which is what lets `decodeStream` work in bounded memory.
 */
import { type Catalog, type CompiledMember, type CompiledStruct, ValueKind } from "./Catalog.js"
import { shorten, XmlValueFailure } from "./Failure.js"
import { flatten } from "./Names.js"
import { describeRange, integerAt, isExactInteger, parseBoolean, parseDate, parseDecimal, parseInteger } from "./Primitives.js"
import type { TokenHandler } from "./Tokenizer.js"

export interface ReaderOptions {
  /** Fail on unknown elements, attributes, link rels and enum values instead of skipping them. */
  readonly strict?: boolean | undefined
  /** Called with the path (no indexes) and a short description of each unknown thing skipped. */
  readonly onUnknown?: ((path: string, what: string) => void) | undefined
  /**
   * Copy the strings kept in values instead of slicing them from the text (streaming): a slice
   * keeps the whole chunk it came from alive, so an item kept by the caller would pin its chunks.
   */
  readonly ownStrings?: boolean | undefined
}

/** What the root element must be. */
export type RootMode =
  | { readonly _tag: "Any" }
  | { readonly _tag: "One"; readonly struct: CompiledStruct; readonly tag: string }
  | { readonly _tag: "List"; readonly struct: CompiledStruct; readonly tag: string }

const enum Frame {
  Document,
  Struct,
  List,
  Value,
  Collection,
  Skip
}

const enum TextState {
  None,
  Range,
  String
}

/** One open element. Frames are reused by depth, so reading allocates only the values. */
class OpenElement {
  kind = Frame.Document
  tag = ""
  struct: CompiledStruct | undefined = undefined
  /** The member this element fills in its parent (struct, list or value frames). */
  member: CompiledMember | undefined = undefined
  obj: Record<string, unknown> | undefined = undefined
  items: Array<unknown> | undefined = undefined
  /** Text of a value frame: none yet, one unsliced range of the buffer, or a string. */
  textState = TextState.None
  text = ""
  rangeBuf = ""
  rangeStart = 0
  rangeEnd = 0
  /** Items seen so far (list and collection frames), for error paths. */
  index = 0
  /** Open descendants of a skipped element. */
  skipped = 0
}

/**
 * What `makeListLink([], href)` (src/types/ListLink.ts, a layer above) gives, without its copy of the
 * empty array (this is per link, per entity).
 */
const emptyListLink = (href: string): ReadonlyArray<never> & { readonly href?: string } => {
  const list: Array<never> & { href?: string } = []
  list.href = href
  return list
}

const textOf = (f: OpenElement): string =>
  f.textState === TextState.Range ? f.rangeBuf.slice(f.rangeStart, f.rangeEnd) : f.textState === TextState.String ? f.text : ""

/** `true` / `false` exactly as written, or undefined for anything else (left to parseBoolean). */
const booleanAt = (buf: string, start: number, end: number): boolean | undefined => {
  const n = end - start
  if (n === 4 && buf.charCodeAt(start) === 116 && buf.startsWith("true", start)) return true
  if (n === 5 && buf.charCodeAt(start) === 102 && buf.startsWith("false", start)) return false
  return undefined
}

export class Reader implements TokenHandler {
  textWanted = false
  skipping = false
  /** The decoded root value, once the root element is closed. */
  result: unknown = undefined
  /** Unknown elements, attributes, link rels and enum values skipped so far. */
  unknownCount = 0
  private readonly frames: Array<OpenElement> = [new OpenElement()]
  private depth = 0
  private readonly strict: boolean
  private readonly wantsDetails: boolean
  private readonly ownStrings: boolean

  constructor(
    private readonly catalog: Catalog,
    private readonly mode: RootMode,
    private readonly options: ReaderOptions,
    /** Receives each item of a collection document as soon as it is complete. */
    private readonly emit: (item: unknown) => void
  ) {
    this.strict = options.strict === true
    this.wantsDetails = this.strict || options.onUnknown !== undefined
    this.ownStrings = options.ownStrings === true
  }

  startElement(name: string, nameId: number, attrs: ReadonlyArray<string>, count: number): void {
    const top = this.frames[this.depth]
    switch (top.kind) {
      case Frame.Skip:
        top.skipped++
        return
      case Frame.Struct: {
        const struct = top.struct!
        const m = struct.bySlots && nameId >= 0 ? struct.slots[nameId] : struct.elements.get(name)
        if (m !== undefined) {
          if (m.list) {
            const f = this.push(Frame.List, name, m)
            f.items = []
            f.index = 0
            if (count > 0) this.unknownAttributes(attrs, count, "a list element")
          } else if (m.kind === ValueKind.Struct) {
            this.pushStruct(name, this.catalog.target(m), m, attrs, count)
          } else {
            this.pushValue(name, m)
            if (count > 0) this.unknownAttributes(attrs, count, "a value element")
          }
        } else if (name === "link") {
          this.link(top, attrs, count)
        } else if (name === "actions") {
          // the server's list of available actions: a known extra, not a model member
          this.push(Frame.Skip, name, undefined).skipped = 0
        } else {
          this.quiet() || this.unknown(`${this.path(false)}/${name}`, `unknown element of ${struct.name}`)
          this.push(Frame.Skip, name, undefined).skipped = 0
        }
        return
      }
      case Frame.List: {
        const m = top.member!
        if (name === m.item) {
          top.index++
          if (m.kind === ValueKind.Struct) {
            this.pushStruct(name, this.catalog.target(m), m, attrs, count)
          } else {
            this.pushValue(name, m)
            if (count > 0) this.unknownAttributes(attrs, count, "a value element")
          }
        } else {
          this.quiet() || this.unknown(`${this.path(false)}/${name}`, `unknown element of the ${m.xml} list`)
          this.push(Frame.Skip, name, undefined).skipped = 0
        }
        return
      }
      case Frame.Collection: {
        const struct = top.struct!
        if (name === struct.xml) {
          top.index++
          this.pushStruct(name, struct, undefined, attrs, count)
        } else {
          this.quiet() || this.unknown(`${this.path(false)}/${name}`, `unknown element of a ${struct.plural ?? struct.xml} collection`)
          this.push(Frame.Skip, name, undefined).skipped = 0
        }
        return
      }
      case Frame.Value:
        this.quiet() || this.unknown(`${this.path(false)}/${name}`, "element inside a value")
        this.push(Frame.Skip, name, undefined).skipped = 0
        return
      case Frame.Document:
        this.root(name, attrs, count)
        return
    }
  }

  endElement(): void {
    const f = this.frames[this.depth]
    if (f.kind === Frame.Skip) {
      if (f.skipped > 0) {
        f.skipped--
        return
      }
      this.depth--
      this.textWanted = this.frames[this.depth].kind === Frame.Value
      this.skipping = false
      return
    }
    let value: unknown
    switch (f.kind) {
      case Frame.Struct:
        value = f.obj
        f.obj = undefined
        break
      case Frame.List:
      case Frame.Collection:
        value = f.items
        f.items = undefined
        break
      case Frame.Value:
        value = this.valueOf(f)
        f.text = f.rangeBuf = ""
        break
    }
    this.depth--
    this.textWanted = false
    const parent = this.frames[this.depth]
    switch (parent.kind) {
      case Frame.Struct: {
        const name = f.member!.name
        // a member given twice: the last one wins, and strict mode and onUnknown hear of it (not for
        // lists: an inlined list and its <link rel> may both be there)
        if (this.wantsDetails && f.kind !== Frame.List && parent.obj![name] !== undefined) {
          this.unknown(`${this.path(false)}/${f.tag}`, `repeated element of ${parent.struct!.name}`)
        }
        parent.obj![name] = value
        return
      }
      case Frame.List:
        parent.items!.push(value)
        return
      case Frame.Collection:
        if (parent.items !== undefined) parent.items.push(value)
        else this.emit(value)
        return
      case Frame.Document:
        this.result = value
        return
    }
  }

  text(value: string): void {
    const f = this.frames[this.depth]
    f.text = f.textState === TextState.None ? value : textOf(f) + value
    f.textState = TextState.String
  }

  textRange(buf: string, start: number, end: number): void {
    const f = this.frames[this.depth]
    if (f.textState === TextState.None) {
      f.rangeBuf = buf
      f.rangeStart = start
      f.rangeEnd = end
      f.textState = TextState.Range
    } else {
      f.text = textOf(f) + buf.slice(start, end)
      f.textState = TextState.String
    }
  }

  /** The element path of the innermost open element; with indexes (`/vms/vm[3]/memory`) for errors. */
  path(indexes: boolean): string {
    let path = ""
    for (let d = 1; d <= this.depth; d++) {
      path += `/${this.frames[d].tag}`
      const parent = this.frames[d - 1]
      if (indexes && (parent.kind === Frame.List || parent.kind === Frame.Collection)) path += `[${parent.index}]`
    }
    return path
  }

  private push(kind: Frame, tag: string, member: CompiledMember | undefined): OpenElement {
    const depth = ++this.depth
    let f = this.frames[depth]
    if (f === undefined) {
      f = new OpenElement()
      this.frames[depth] = f
    }
    f.kind = kind
    f.tag = tag
    f.member = member
    this.textWanted = false
    this.skipping = kind === Frame.Skip
    return f
  }

  private pushValue(tag: string, member: CompiledMember): void {
    const f = this.push(Frame.Value, tag, member)
    f.textState = TextState.None
    this.textWanted = true
  }

  /** A value frame's text as its member's type; booleans and integers straight from the buffer. */
  private valueOf(f: OpenElement): unknown {
    const m = f.member!
    if (f.textState === TextState.Range) {
      if (m.kind === ValueKind.Boolean) {
        const b = booleanAt(f.rangeBuf, f.rangeStart, f.rangeEnd)
        if (b !== undefined) return b
      } else if (m.kind === ValueKind.Integer) {
        const n = integerAt(f.rangeBuf, f.rangeStart, f.rangeEnd)
        if (n !== undefined && n >= m.range.min && n <= m.range.max) return n
      }
    }
    return this.convert(m, textOf(f))
  }

  private pushStruct(
    tag: string,
    struct: CompiledStruct,
    member: CompiledMember | undefined,
    attrs: ReadonlyArray<string>,
    count: number
  ): void {
    const f = this.push(Frame.Struct, tag, member)
    f.struct = struct
    const obj = new struct.create()
    f.obj = obj
    this.textWanted = false
    for (let k = 0; k < count; k += 2) {
      const name = attrs[k]
      if (name === "href") {
        obj.href = this.keep(attrs[k + 1])
        continue
      }
      const m = struct.attributes.get(name)
      if (m !== undefined) obj[m.name] = this.convert(m, attrs[k + 1], name)
      else this.quiet() || this.unknown(`${this.path(false)}/@${name}`, `unknown attribute of ${struct.name}`)
    }
  }

  /** `<link rel href/>` standing for a list link that was not inlined. */
  private link(top: OpenElement, attrs: ReadonlyArray<string>, count: number): void {
    let rel: string | undefined
    let href: string | undefined
    for (let k = 0; k < count; k += 2) {
      if (attrs[k] === "rel") rel = attrs[k + 1]
      else if (attrs[k] === "href") href = this.keep(attrs[k + 1])
      else this.quiet() || this.unknown(`${this.path(false)}/link/@${attrs[k]}`, "unknown attribute of a link")
    }
    const m = rel === undefined ? undefined : top.struct!.rels.get(rel)
    if (m !== undefined && href !== undefined) {
      // an inlined list wins over its link
      if (top.obj![m.name] === undefined) top.obj![m.name] = emptyListLink(href)
    } else {
      this.quiet() || this.unknown(`${this.path(false)}/link`, `unknown link rel='${rel ?? ""}' for ${top.struct!.name}`)
    }
    this.push(Frame.Skip, "link", undefined).skipped = 0
  }

  private root(name: string, attrs: ReadonlyArray<string>, count: number): void {
    const mode = this.mode
    let struct: CompiledStruct | undefined
    let collection = false
    if (mode._tag === "Any") {
      struct = this.catalog.byTag(name)
      if (struct === undefined) {
        struct = this.catalog.byPlural(name)
        collection = struct !== undefined
      }
      if (struct === undefined) throw new XmlValueFailure(`unknown root element <${name}>`, `/${name}`)
    } else if (name === mode.tag) {
      struct = mode.struct
      collection = mode._tag === "List"
    } else {
      throw new XmlValueFailure(`expected a <${mode.tag}> document, got <${name}>`, `/${name}`)
    }
    if (collection) {
      const f = this.push(Frame.Collection, name, undefined)
      f.struct = struct
      f.index = 0
      if (count > 0) this.unknownAttributes(attrs, count, "a collection element")
      if (mode._tag === "Any") {
        const items: Array<unknown> = []
        this.result = items
        f.items = items
      }
    } else {
      this.pushStruct(name, struct, undefined, attrs, count)
    }
  }

  private unknownAttributes(attrs: ReadonlyArray<string>, count: number, what: string): void {
    for (let k = 0; k < count; k += 2) this.quiet() || this.unknown(`${this.path(false)}/@${attrs[k]}`, `unknown attribute of ${what}`)
  }

  /** Counts an unknown thing when nobody needs its path (no strict mode, no onUnknown): true if done. */
  private quiet(): boolean {
    if (this.wantsDetails) return false
    this.unknownCount++
    return true
  }

  private unknown(path: string, what: string): void {
    if (this.strict) throw new XmlValueFailure(`${what} (strict mode)`, path)
    this.unknownCount++
    this.options.onUnknown?.(path, what)
  }

  /** A string as stored in a value: see `ReaderOptions.ownStrings`. */
  private keep(text: string): string {
    return this.ownStrings ? flatten(text) : text
  }

  /**
   * An integer outside its member's range fails in both modes. Past 2^53 a number cannot hold it
   * exactly (`9007199254740993` would read as `9007199254740992`): keeping the nearest number would
   * silently name another size or id. Outside its schema type (an `xs:int` past 2^31 - 1) no engine
   * sends it, and the writer could not send it back: what the reader gives, an update can return.
   */
  private outOfRange(m: CompiledMember, value: number, text: string, attribute: string | undefined): never {
    const where = this.path(true) + (attribute === undefined ? "" : `/@${attribute}`)
    const why = isExactInteger(text, value)
      ? `is outside ${describeRange(m.range)}`
      : `cannot be held exactly by a number (it would read as ${BigInt(value)})`
    throw new XmlValueFailure(`Integer value at ${where} ${why}`, where, shorten(text))
  }

  /** Text to the member's type; a malformed value fails with its path and text. */
  private convert(m: CompiledMember, text: string, attribute?: string): unknown {
    let value: unknown
    switch (m.kind) {
      case ValueKind.String:
        return this.keep(text)
      case ValueKind.Boolean:
        value = parseBoolean(text)
        break
      case ValueKind.Integer:
        value = parseInteger(text)
        if (value !== undefined && ((value as number) < m.range.min || (value as number) > m.range.max)) {
          return this.outOfRange(m, value as number, text, attribute)
        }
        break
      case ValueKind.Decimal:
        value = parseDecimal(text)
        break
      case ValueKind.Date:
        value = parseDate(text)
        break
      case ValueKind.Enum:
        if (!m.enumValues!.has(text)) {
          const trimmed = text.trim()
          // enums stay open: a newer engine's value is kept, and reported as unknown
          if (!m.enumValues!.has(trimmed)) {
            this.quiet() || this.unknown(this.path(false) + (attribute === undefined ? "" : `/@${attribute}`), `unknown ${m.type} value '${shorten(trimmed)}'`)
          }
          return this.keep(trimmed)
        }
        return this.keep(text)
      case ValueKind.Struct:
        return undefined
    }
    if (value === undefined) {
      const where = this.path(true) + (attribute === undefined ? "" : `/@${attribute}`)
      throw new XmlValueFailure(`invalid ${m.type} value at ${where}`, where, shorten(text))
    }
    return value
  }
}
