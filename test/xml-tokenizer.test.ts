/**
 * The tokenizer against saxes, a conformant XML parser: on every sample document and on randomized
 * documents (fast-check), both accept or both reject, and when they accept they report the same
 * elements, attributes and text. Documents are also fed in random chunks, which must not change
 * anything. DOCTYPE (which saxes reads and the tokenizer refuses by design) is left out of the
 * random documents and tested on its own.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import fc from "fast-check"
import { SaxesParser } from "saxes"
import { describe, expect, it } from "@effect/vitest"
import { XmlSyntaxFailure } from "../src/core/internal/xml/Failure.js"
import { type TokenHandler, Tokenizer } from "../src/core/internal/xml/Tokenizer.js"
import { ovirtApiPath, sharedPresent } from "./support/shared.js"

type Event = readonly ["start", string, ReadonlyArray<readonly [string, string]>] | readonly ["end"] | readonly ["text", string]

/** Merges adjacent text, drops empty text: how the text of an element is split is not meaningful. */
class EventLog {
  readonly events: Array<Event> = []
  private pending = ""
  start(name: string, attrs: ReadonlyArray<readonly [string, string]>): void {
    this.flush()
    this.events.push(["start", name, [...attrs].sort((a, b) => (a[0] < b[0] ? -1 : 1))])
  }
  end(): void {
    this.flush()
    this.events.push(["end"])
  }
  text(t: string): void {
    this.pending += t
  }
  flush(): void {
    if (this.pending.length > 0) this.events.push(["text", this.pending])
    this.pending = ""
  }
}

type Outcome = { readonly ok: true; readonly events: ReadonlyArray<Event> } | { readonly ok: false; readonly error: string }

const withTokenizer = (chunks: ReadonlyArray<string>): Outcome => {
  const log = new EventLog()
  let depth = 0
  const handler: TokenHandler = {
    get textWanted() {
      return true
    },
    skipping: false,
    startElement(name, _id, attrs, count) {
      depth++
      const pairs: Array<readonly [string, string]> = []
      for (let k = 0; k < count; k += 2) pairs.push([attrs[k], attrs[k + 1]])
      log.start(name, pairs)
    },
    endElement() {
      depth--
      log.end()
    },
    text(t) {
      if (depth > 0) log.text(t)
    },
    textRange(buf, start, end) {
      if (depth > 0) log.text(buf.slice(start, end))
    }
  }
  try {
    const tokenizer = new Tokenizer(handler)
    for (const chunk of chunks) tokenizer.write(chunk)
    tokenizer.end()
    log.flush()
    return { ok: true, events: log.events }
  } catch (e) {
    if (e instanceof XmlSyntaxFailure) return { ok: false, error: e.message }
    throw e
  }
}

const withSaxes = (text: string): Outcome => {
  const log = new EventLog()
  let depth = 0
  const parser = new SaxesParser({ xmlns: false })
  parser.on("error", (e) => {
    throw e
  })
  parser.on("opentag", (tag) => {
    depth++
    log.start(tag.name, Object.entries(tag.attributes as Record<string, string>))
    if (tag.isSelfClosing) {
      // saxes reports the closetag of a self-closing tag too
    }
  })
  parser.on("closetag", () => {
    depth--
    log.end()
  })
  parser.on("text", (t) => {
    if (depth > 0) log.text(t)
  })
  parser.on("cdata", (t) => log.text(t))
  try {
    parser.write(text).close()
    log.flush()
    return { ok: true, events: log.events }
  } catch (e) {
    return { ok: false, error: String(e) }
  }
}

const agree = (text: string, chunks: ReadonlyArray<string> = [text]): void => {
  const ours = withTokenizer(chunks)
  const reference = withSaxes(text)
  if (reference.ok) {
    expect(ours, `saxes accepts:\n${text}`).toEqual(reference)
  } else {
    expect(ours.ok, `saxes rejects (${reference.error}):\n${text}`).toBe(false)
  }
}

const samplesDir = ovirtApiPath("samples")
const present = sharedPresent(path.join(samplesDir, "index.json"), "the tokenizer's comparison on the samples")

describe.skipIf(!present)("tokenizer on the sample documents", () => {
  const files = present ? fs.readdirSync(samplesDir).filter((f) => f.endsWith(".xml")) : []
  it("reads every sample exactly as saxes does", () => {
    expect(files.length).toBeGreaterThan(200)
    for (const file of files) {
      const text = fs.readFileSync(path.join(samplesDir, file), "utf8")
      const reference = withSaxes(text)
      expect(reference.ok, file).toBe(true)
      expect(withTokenizer([text]), file).toEqual(reference)
    }
  })
})

// ------------------------------------------------------------------------------------------------
// Random documents

const nameArb = fc.oneof(
  fc.constantFrom("vm", "vms", "name", "a", "b", "x-y", "x.y", "_z", "ns:tag", "é", "名前", "A1"),
  fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_.-]{0,6}$/)
)
const charArb = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom("a", "b", " ", "\n", "\t", "1", "ö", "€", "中", "😀", ">", "'", '"', "]", "\r\n", "\r") },
  { weight: 2, arbitrary: fc.constantFrom("&amp;", "&lt;", "&gt;", "&quot;", "&apos;", "&#233;", "&#x4E2D;", "&#x1F600;") }
)
const textArb = fc.array(charArb, { maxLength: 8 }).map((cs) => cs.join("").replace(/]]>/g, "]]&gt;"))
const attrValueArb = textArb.map((t) => t.replace(/"/g, "&quot;"))

interface Node {
  readonly name: string
  readonly attrs: ReadonlyArray<readonly [string, string]>
  readonly children: ReadonlyArray<Node | string>
}

const nodeArb: fc.Arbitrary<Node> = fc.letrec<{ node: Node }>((tie) => ({
  node: fc.record({
    name: nameArb,
    attrs: fc.uniqueArray(fc.tuple(nameArb, attrValueArb), { maxLength: 3, selector: (a) => a[0] }),
    children: fc.array(
      fc.oneof(
        { depthSize: "small", withCrossShrink: true },
        textArb,
        textArb.map((t) => `<![CDATA[${t.replace(/&[^;]*;/g, "")}]]>`),
        fc.constantFrom("<!-- a comment -->", "<?pi some data?>", "<!---->"),
        tie("node")
      ),
      { maxLength: 4 }
    )
  })
})).node

const serialize = (node: Node, spaces: ReadonlyArray<string>): string => {
  const s = (k: number): string => spaces[k % spaces.length]
  const attrs = node.attrs.map(([n, v], i) => ` ${n}${s(i)}=${s(i + 1)}"${v}"`).join("")
  if (node.children.length === 0) return `<${node.name}${attrs}${s(2)}/>`
  const body = node.children.map((c) => (typeof c === "string" ? c : serialize(c, spaces))).join("")
  return `<${node.name}${attrs}${s(3)}>${body}</${node.name}${s(4)}>`
}

const documentArb = fc
  .tuple(
    nodeArb,
    fc.array(fc.constantFrom("", " ", "\n", "\t "), { minLength: 5, maxLength: 5 }),
    fc.constantFrom("", '<?xml version="1.0" encoding="UTF-8"?>\n', "<?xml version='1.0'?>"),
    fc.constantFrom("", "\n", "<!-- c -->\n")
  )
  .map(([node, spaces, declaration, tail]) => declaration + serialize(node, spaces) + tail)

/** Splits `text` at the given fractions of its length. */
const split = (text: string, cuts: ReadonlyArray<number>): Array<string> => {
  const at = [...new Set(cuts.map((c) => Math.floor(c * text.length)))].sort((a, b) => a - b)
  const chunks: Array<string> = []
  let from = 0
  for (const cut of at) {
    chunks.push(text.slice(from, cut))
    from = cut
  }
  chunks.push(text.slice(from))
  return chunks
}

const MUTATIONS = ["<", ">", "&", ";", "/", '"', "'", "=", " ", "<a>", "</a>", "<!--", "-->", "]]>", "&foo;", "&#0;", "<?", "?>", "x", ""]

describe("tokenizer on random documents", () => {
  it("reads well-formed documents as saxes does, in any chunking", () => {
    fc.assert(
      fc.property(documentArb, fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 4 }), (text, cuts) => {
        agree(text, split(text, cuts))
      }),
      { numRuns: 400 }
    )
  })

  it("accepts and rejects mutated documents as saxes does", () => {
    const mutated = fc
      .tuple(documentArb, fc.array(fc.tuple(fc.double({ min: 0, max: 1, noNaN: true }), fc.nat({ max: 3 }), fc.constantFrom(...MUTATIONS)), { minLength: 1, maxLength: 3 }))
      .map(([text, edits]) => {
        // edits after the XML declaration: its own syntax is checked loosely (version only)
        const start = text.startsWith("<?xml") ? text.indexOf("?>") + 2 : 0
        let out = text
        for (const [where, remove, insert] of edits) {
          const at = start + Math.floor(where * (out.length - start))
          out = out.slice(0, at) + insert + out.slice(at + remove)
        }
        return out
      })
      .filter((text) => !/<!DOCTYPE/i.test(text))
      // An edit may cut a surrogate pair (an emoji) in two. The tokenizer does not check XML's Char
      // production (saxes does): its text comes from bytes through TextDecoder, which never yields a
      // lone surrogate, so such a document is no case to compare.
      .filter((text) => !/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(text))
    // CI runs one fixed seed (a run that must land cannot hinge on a rare case found that day); elsewhere
    // every run explores new documents, and fast-check prints the seed and the document of a failure
    fc.assert(
      fc.property(mutated, (text) => agree(text)),
      { numRuns: 1500, ...(process.env.CI === "true" ? { seed: 20261207 } : {}) }
    )
  })
})

describe("tokenizer refusals", () => {
  it.each([
    ["DOCTYPE with an entity bomb", '<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;">]><vm>&lol2;</vm>'],
    ["unknown entity", "<vm>&nbsp;</vm>"],
    ["mismatched tags", "<vm><name>x</nam></vm>"],
    ["unclosed element", "<vm><name>x</name>"],
    ["two roots", "<vm/><vm/>"],
    ["text after the root", "<vm/>x"],
    ["no root", "  "],
    ["bare ampersand", "<vm>a & b</vm>"],
    ["'<' in an attribute", '<vm id="<"/>'],
    ["duplicate attribute", '<vm id="1" id="2"/>'],
    ["late XML declaration", ' <?xml version="1.0"?><vm/>']
  ])("refuses %s", (_, text) => {
    const outcome = withTokenizer([text])
    expect(outcome.ok).toBe(false)
    // and so does the conformant parser, except for DOCTYPE, which it reads but the SDK refuses
    if (!text.startsWith("<!DOCTYPE")) expect(withSaxes(text).ok).toBe(false)
  })

  it("refuses a DOCTYPE at once, before reading its declarations", () => {
    const outcome = withTokenizer(['<?xml version="1.0"?>\n<!DOCTYPE vm [', '<!ENTITY a "b">'])
    expect(outcome).toMatchObject({ ok: false, error: expect.stringContaining("DOCTYPE") })
  })
})
