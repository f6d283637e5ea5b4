/**
 * A small incremental XML tokenizer for the documents the engine writes.
 *
 * It is fed text chunks (`write`) and calls a handler for start tags, end tags and text, keeping an
 * incomplete token for the next chunk. It checks well-formedness (one root, balanced and matching
 * tags, names, attribute syntax and duplicates, comments, PIs, the XML declaration only first,
 * `]]>` and bare `<`/`&` in text) and rejects what the SDK does not support: any DOCTYPE (so no
 * entity can be declared, let alone expanded) and entities other than the five predefined ones and
 * character references. Line ends are normalised and attribute whitespace replaced as the XML spec
 * says. Not checked (as in fast-xml-parser, which it replaces): characters outside the XML `Char`
 * production in text. test/xml-tokenizer.test.ts compares it with saxes, a conformant parser.
 *
 * Text is only sliced out of the buffer when the handler wants it (`textWanted`), so skipped
 * whitespace and unknown subtrees cost a scan, not an allocation.
 */
import { XmlSyntaxFailure } from "./Failure.js"
import { names, sameChars } from "./Names.js"

export interface TokenHandler {
  /** Whether text of the current element is needed; read before each text segment. */
  readonly textWanted: boolean
  /** Whether the current element is being skipped (its children's attribute values are not needed). */
  readonly skipping: boolean
  /**
   * `attrs` holds `count` entries: name, value, name, value, ... (values already decoded; empty
   * strings while `skipping`). Names are interned (src/core/internal/xml/Names.ts); `nameId` is the element
   * name's id there, or -1.
   */
  startElement(name: string, nameId: number, attrs: ReadonlyArray<string>, count: number): void
  endElement(): void
  /** A piece of the current element's text (an element's text may come in several pieces). */
  text(value: string): void
  /** A piece of text that is `buf` from `start` to `end` as it is (no references, no CR): not sliced yet. */
  textRange(buf: string, start: number, end: number): void
}

const GT = 62
const SLASH = 47
const BANG = 33
const QUESTION = 63
const EQ = 61
const QUOT = 34
const APOS = 39
const NOT_FOUND = 0x7fffffff

const isWhitespace = (c: number): boolean => c === 32 || c === 10 || c === 9 || c === 13

/** XML 1.0 (5th ed.) NameStartChar; surrogate pairs accepted as astral name characters. */
const isNameStartWide = (c: number): boolean =>
  (c >= 0xc0 && c <= 0xd6) ||
  (c >= 0xd8 && c <= 0xf6) ||
  (c >= 0xf8 && c <= 0x2ff) ||
  (c >= 0x370 && c <= 0x37d) ||
  (c >= 0x37f && c <= 0x1fff) ||
  c === 0x200c ||
  c === 0x200d ||
  (c >= 0x2070 && c <= 0x218f) ||
  (c >= 0x2c00 && c <= 0x2fef) ||
  (c >= 0x3001 && c <= 0xdb7f) ||
  (c >= 0xdc00 && c <= 0xdfff) ||
  (c >= 0xf900 && c <= 0xfdcf) ||
  (c >= 0xfdf0 && c <= 0xfffd)

const NAME_START = 1
const NAME_CHAR = 2
/** Character classes of ASCII: a table lookup instead of a chain of comparisons on the hot path. */
const ASCII = new Uint8Array(128)
for (let c = 0; c < 128; c++) {
  const letter = (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95 || c === 58
  ASCII[c] = (letter ? NAME_START | NAME_CHAR : 0) | ((c >= 48 && c <= 57) || c === 45 || c === 46 ? NAME_CHAR : 0)
}

const isNameStart = (c: number): boolean => (c < 128 ? (ASCII[c] & NAME_START) !== 0 : isNameStartWide(c))

const isNameChar = (c: number): boolean =>
  c < 128
    ? (ASCII[c] & NAME_CHAR) !== 0
    : isNameStartWide(c) || c === 0xb7 || (c >= 0x300 && c <= 0x36f) || c === 0x203f || c === 0x2040

const isXmlChar = (c: number): boolean =>
  c === 9 || c === 10 || c === 13 || (c >= 0x20 && c <= 0xd7ff) || (c >= 0xe000 && c <= 0xfffd) || (c >= 0x10000 && c <= 0x10ffff)

/** Longer than any reference the engine writes (`&#x10FFFF;` with generous leading zeros). */
const MAX_REFERENCE = 64

/** The five predefined entities (a switch, not an object: `&constructor;` must not find Object's). */
const predefined = (name: string): string | undefined => {
  switch (name) {
    case "lt":
      return "<"
    case "gt":
      return ">"
    case "amp":
      return "&"
    case "quot":
      return '"'
    case "apos":
      return "'"
    default:
      return undefined
  }
}

export class Tokenizer {
  private buf = ""
  private pos = 0
  /** Characters dropped from the front of `buf` so far (for error offsets). */
  private consumed = 0
  private readonly stack: Array<string> = []
  private readonly attrs: Array<string> = []
  private rootSeen = false
  /** Whether any text was written (the one BOM allowed is dropped from the first). */
  private begun = false
  private rootClosed = false
  // Next positions of '<', '&', '\r', '\n', '\t' and ']]>' at or after the last search: each is
  // searched once per buffer region instead of once per text segment or attribute value. `ltAt`
  // found while checking a tag's attribute values is also where the next token starts.
  private ltAt = -1
  private ampAt = -1
  private crAt = -1
  private lfAt = -1
  private tabAt = -1
  private cdEndAt = -1

  constructor(private readonly handler: TokenHandler) {}

  /** Feeds the next piece of the document. */
  write(chunk: string): void {
    if (!this.begun && chunk.length > 0) {
      this.begun = true
      if (chunk.charCodeAt(0) === 0xfeff) chunk = chunk.slice(1)
    }
    const rest = this.buf.length - this.pos
    this.consumed += this.pos
    this.buf = rest > 0 ? this.buf.slice(this.pos) + chunk : chunk
    this.pos = 0
    this.ltAt = this.ampAt = this.crAt = this.lfAt = this.tabAt = this.cdEndAt = -1
    this.run(false)
  }

  /**
   * Hands back the text not consumed yet (an unfinished tag, reference or line end), to be written
   * again in front of the next piece. A caller with bytes joins them as bytes and decodes them into one
   * string: joining strings makes a cons string, which V8 flattens (copies) on the first search, at
   * about the cost of decoding it.
   */
  takeRest(): string {
    const rest = this.buf.slice(this.pos)
    this.consumed += this.pos
    this.buf = ""
    this.pos = 0
    return rest
  }

  /** The document is complete: fails unless it was one whole element. */
  end(): void {
    this.run(true)
    if (this.stack.length > 0) this.fail(`unexpected end of document inside <${this.stack[this.stack.length - 1]}>`, this.buf.length)
    if (!this.rootSeen) this.fail("the document has no root element", this.buf.length)
  }

  /** Characters held for the next chunk. */
  get buffered(): number {
    return this.buf.length - this.pos
  }

  /** Number of open elements. */
  get depth(): number {
    return this.stack.length
  }

  private fail(message: string, at: number): never {
    throw new XmlSyntaxFailure(message, this.consumed + at)
  }

  private run(final: boolean): void {
    const buf = this.buf
    const len = buf.length
    let pos = this.pos
    while (pos < len) {
      if (this.ltAt < pos) this.ltAt = indexOrMax(buf, "<", pos)
      const lt = this.ltAt
      if (lt === NOT_FOUND) {
        if (!final) {
          // text that goes on into the next chunk: what is complete of it is handled now, so a long
          // text is not searched and copied again with every chunk, nor kept whole when skipped
          const end = this.completeTextEnd(pos, len)
          if (end > pos) {
            this.textSegment(pos, end)
            pos = end
          }
          break
        }
        this.textSegment(pos, len)
        pos = len
        break
      }
      // whitespace between tags is most text: skipped here when the cached positions tell it holds
      // no '&' and no ']]>' and nobody wants it
      if (lt > pos && !(this.ampAt >= lt && this.cdEndAt >= lt && !this.handler.textWanted && this.stack.length > 0)) {
        this.textSegment(pos, lt)
      }
      pos = lt
      if (lt + 1 >= len) {
        if (final) this.fail("unexpected end of document in a tag", lt)
        break
      }
      const c = buf.charCodeAt(lt + 1)
      const next =
        c === SLASH ? this.endTag(lt) : c === BANG ? this.markup(lt, final) : c === QUESTION ? this.instruction(lt) : this.startTag(lt)
      if (next < 0) {
        if (final) this.fail("unexpected end of document in a tag", lt)
        break
      }
      pos = next
    }
    this.pos = pos
  }

  /**
   * Where the text from `start` to the end of the buffer can be cut without splitting what the
   * next chunk may complete: a reference (`&...;`), `]]>` or a CR LF pair.
   */
  private completeTextEnd(start: number, len: number): number {
    const buf = this.buf
    const amp = buf.lastIndexOf("&", len - 1)
    // no reference is this long: leave it to textSegment to refuse
    if (amp >= start && len - amp <= MAX_REFERENCE && buf.indexOf(";", amp) === -1) return amp
    let end = len
    for (let k = 0; k < 2 && end > start; k++) {
      const c = buf.charCodeAt(end - 1)
      if (c !== 93 /* ] */ && c !== 13 /* \r */) break
      end--
    }
    return end
  }

  private textSegment(start: number, end: number): void {
    const buf = this.buf
    if (this.stack.length === 0) {
      for (let i = start; i < end; i++) {
        if (!isWhitespace(buf.charCodeAt(i))) this.fail("text outside the root element", i)
      }
      return
    }
    if (this.cdEndAt < start) this.cdEndAt = indexOrMax(buf, "]]>", start)
    if (this.cdEndAt < end) this.fail("']]>' in text", this.cdEndAt)
    if (this.ampAt < start) this.ampAt = indexOrMax(buf, "&", start)
    const hasAmp = this.ampAt < end
    if (this.handler.textWanted) {
      if (this.crAt < start) this.crAt = indexOrMax(buf, "\r", start)
      const hasCr = this.crAt < end
      if (!hasAmp && !hasCr) {
        this.handler.textRange(buf, start, end)
        return
      }
      let text = buf.slice(start, end)
      if (hasCr) text = text.replace(/\r\n?/g, "\n")
      if (hasAmp) text = this.decodeEntities(text, start)
      this.handler.text(text)
    } else if (hasAmp) {
      this.decodeEntities(buf.slice(start, end), start)
    }
  }

  /** Replaces entity and character references; anything else after `&` is an error. */
  private decodeEntities(text: string, offset: number): string {
    let out = ""
    let from = 0
    let amp = text.indexOf("&")
    while (amp !== -1) {
      const semi = text.indexOf(";", amp + 1)
      if (semi === -1) this.fail("'&' not starting an entity reference", offset + amp)
      const name = text.slice(amp + 1, semi)
      let replacement: string | undefined
      if (name.charCodeAt(0) === 35 /* # */) {
        const hex = name.charCodeAt(1) === 120 /* x */
        const digits = hex ? name.slice(2) : name.slice(1)
        const valid = digits.length > 0 && (hex ? /^[0-9a-fA-F]+$/ : /^[0-9]+$/).test(digits)
        const code = valid ? parseInt(digits, hex ? 16 : 10) : NaN
        if (!isXmlChar(code)) this.fail(`invalid character reference &${name};`, offset + amp)
        replacement = String.fromCodePoint(code)
      } else {
        replacement = predefined(name)
        if (replacement === undefined) {
          this.fail(`unknown entity &${name.length > 40 ? `${name.slice(0, 40)}...` : name}; (only the predefined entities are supported)`, offset + amp)
        }
      }
      out += text.slice(from, amp) + replacement
      from = semi + 1
      amp = text.indexOf("&", from)
    }
    return out + text.slice(from)
  }

  /** `<name attr="v" ...>` or `<name .../>`; returns the position after it, or -1 if incomplete. */
  private startTag(lt: number): number {
    const buf = this.buf
    const len = buf.length
    let i = lt + 1
    let c0 = buf.charCodeAt(i)
    if (!isNameStart(c0)) this.fail("invalid element name", i)
    // the name table's hash, computed in the same pass (see hashOf)
    let hash = c0
    c0 = buf.charCodeAt(++i)
    while (i < len && isNameChar(c0)) {
      hash = (Math.imul(hash, 31) + c0) | 0
      c0 = buf.charCodeAt(++i)
    }
    if (i >= len) return -1
    const name = names.internHashed(buf, lt + 1, i, hash)
    const nameId = names.lastId
    const attrs = this.attrs
    const skipping = this.handler.skipping
    let count = 0
    let selfClosing = false
    for (;;) {
      let c = buf.charCodeAt(i)
      const spaced = isWhitespace(c)
      while (isWhitespace(c)) c = buf.charCodeAt(++i)
      if (i >= len) return -1
      if (c === GT) {
        i++
        break
      }
      if (c === SLASH) {
        if (i + 1 >= len) return -1
        if (buf.charCodeAt(i + 1) !== GT) this.fail("expected '>' after '/'", i + 1)
        selfClosing = true
        i += 2
        break
      }
      if (!spaced) this.fail(`expected whitespace before an attribute of <${name}>`, i)
      if (!isNameStart(c)) this.fail(`invalid attribute name in <${name}>`, i)
      const nameStart = i
      let attrHash = c
      c = buf.charCodeAt(++i)
      while (i < len && isNameChar(c)) {
        attrHash = (Math.imul(attrHash, 31) + c) | 0
        c = buf.charCodeAt(++i)
      }
      if (i >= len) return -1
      const attrName = names.internHashed(buf, nameStart, i, attrHash)
      while (isWhitespace(c)) c = buf.charCodeAt(++i)
      if (i >= len) return -1
      if (c !== EQ) this.fail(`expected '=' after attribute ${attrName} of <${name}>`, i)
      c = buf.charCodeAt(++i)
      while (isWhitespace(c)) c = buf.charCodeAt(++i)
      if (i >= len) return -1
      if (c !== QUOT && c !== APOS) this.fail(`expected a quoted value for attribute ${attrName} of <${name}>`, i)
      const valueStart = i + 1
      const valueEnd = buf.indexOf(c === QUOT ? '"' : "'", valueStart)
      if (valueEnd === -1) return -1
      // the cached next positions say whether the value holds anything but plain characters
      // (no per-value scan: the next '<' and '\n' are usually just past the tag)
      if (this.ltAt < valueStart) this.ltAt = indexOrMax(buf, "<", valueStart)
      if (this.ltAt < valueEnd) this.fail(`'<' in the value of attribute ${attrName}`, this.ltAt)
      if (this.ampAt < valueStart) this.ampAt = indexOrMax(buf, "&", valueStart)
      let special = this.ampAt < valueEnd
      if (!special && !skipping) {
        // whitespace to normalise matters only for a value that is kept
        if (this.lfAt < valueStart) this.lfAt = indexOrMax(buf, "\n", valueStart)
        if (this.tabAt < valueStart) this.tabAt = indexOrMax(buf, "\t", valueStart)
        if (this.crAt < valueStart) this.crAt = indexOrMax(buf, "\r", valueStart)
        special = this.lfAt < valueEnd || this.tabAt < valueEnd || this.crAt < valueEnd
      }
      let value = ""
      if (special) {
        value = buf.slice(valueStart, valueEnd)
        if (/[\t\n\r]/.test(value)) value = value.replace(/\r\n|[\t\n\r]/g, " ")
        if (value.indexOf("&") !== -1) value = this.decodeEntities(value, valueStart)
      } else if (!skipping) {
        value = buf.slice(valueStart, valueEnd)
      }
      for (let k = 0; k < count; k += 2) {
        if (attrs[k] === attrName) this.fail(`duplicate attribute ${attrName} in <${name}>`, nameStart)
      }
      attrs[count++] = attrName
      attrs[count++] = value
      i = valueEnd + 1
    }
    if (this.stack.length === 0) {
      if (this.rootClosed) this.fail(`a second root element <${name}>`, lt)
      this.rootSeen = true
    }
    this.stack.push(name)
    this.handler.startElement(name, nameId, attrs, count)
    if (selfClosing) this.close()
    return i
  }

  /** `</name>` matching the open element. */
  private endTag(lt: number): number {
    const buf = this.buf
    const stack = this.stack
    const open = stack.length > 0 ? stack[stack.length - 1] : undefined
    // fast path: `</name>` right after the name
    if (open !== undefined && buf.charCodeAt(lt + 2 + open.length) === GT && sameChars(buf, lt + 2, open)) {
      this.close()
      return lt + 3 + open.length
    }
    const gt = buf.indexOf(">", lt + 2)
    if (gt === -1) return -1
    let matches = open !== undefined && buf.startsWith(open, lt + 2)
    if (matches) {
      for (let i = lt + 2 + open!.length; i < gt; i++) {
        if (!isWhitespace(buf.charCodeAt(i))) {
          matches = false
          break
        }
      }
    }
    if (!matches) {
      const found = buf.slice(lt + 2, gt).trim()
      this.fail(open === undefined ? `unexpected end tag </${found}>` : `end tag </${found}> does not match <${open}>`, lt)
    }
    this.close()
    return gt + 1
  }

  private close(): void {
    this.stack.pop()
    if (this.stack.length === 0) this.rootClosed = true
    this.handler.endElement()
  }

  /** `<!--...-->`, `<![CDATA[...]]>`; `<!DOCTYPE` is refused at once, before anything is read from it. */
  private markup(lt: number, final: boolean): number {
    const buf = this.buf
    const len = buf.length
    if (buf.startsWith("<!--", lt)) {
      const end = buf.indexOf("-->", lt + 4)
      if (end === -1) return -1
      const dashes = buf.indexOf("--", lt + 4)
      if (dashes < end || (end > lt + 4 && buf.charCodeAt(end - 1) === 45)) this.fail("'--' inside a comment", dashes)
      return end + 3
    }
    if (buf.startsWith("<![CDATA[", lt)) {
      if (this.stack.length === 0) this.fail("CDATA outside the root element", lt)
      const end = buf.indexOf("]]>", lt + 9)
      if (end === -1) return -1
      if (this.handler.textWanted) {
        const text = buf.slice(lt + 9, end)
        this.handler.text(text.indexOf("\r") === -1 ? text : text.replace(/\r\n?/g, "\n"))
      }
      return end + 3
    }
    if (buf.startsWith("<!DOCTYPE", lt)) this.fail("DOCTYPE is not supported (no DTDs, no custom entities)", lt)
    // Too short to tell which it is: wait for more, unless this is all there is.
    if (!final && len - lt < 9 && ("<!DOCTYPE".startsWith(buf.slice(lt)) || "<![CDATA[".startsWith(buf.slice(lt)) || "<!--".startsWith(buf.slice(lt)))) {
      return -1
    }
    return this.fail("unsupported markup declaration", lt)
  }

  /** `<?target ...?>`: the XML declaration (only at the very start) or a processing instruction. */
  private instruction(lt: number): number {
    const buf = this.buf
    const end = buf.indexOf("?>", lt + 2)
    if (end === -1) return -1
    let i = lt + 2
    if (!isNameStart(buf.charCodeAt(i))) this.fail("invalid processing instruction target", i)
    while (i < end && isNameChar(buf.charCodeAt(i))) i++
    const target = buf.slice(lt + 2, i)
    if (i < end && !isWhitespace(buf.charCodeAt(i))) this.fail("invalid processing instruction target", i)
    if (target.toLowerCase() === "xml") {
      if (target !== "xml" || this.consumed + lt !== 0) this.fail("the XML declaration is only allowed at the start", lt)
      if (!/^\s+version\s*=\s*(["'])1\.[0-9]+\1/.test(buf.slice(i, end))) this.fail("the XML declaration needs a version", lt)
    }
    return end + 2
  }
}

const indexOrMax = (buf: string, search: string, from: number): number => {
  const at = buf.indexOf(search, from)
  return at === -1 ? NOT_FOUND : at
}
