/**
 * The writer's exact output, pinned against the documents it was decoded from: the sample VMs of
 * ../shared/ovirt-api/samples and VMs of the benchmark document are decoded, written as request bodies,
 * and compared byte for byte with what those documents say, rewritten here by a separate parser
 * (fast-xml-parser) with the writer's rules spelled out: members in the model's order, `id` as an
 * attribute, no `href`, `<link>` or `<actions>`, no whitespace between elements, numbers, booleans and
 * dates in their canonical form, `&`, `<`, `>` (and `"` in attributes) escaped. A change to the writer's
 * output, however small, fails here.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { Effect } from "effect"
import { XMLParser } from "fast-xml-parser"
import { describe, expect, it } from "@effect/vitest"
import * as Xml from "../src/types/Xml.js"
import * as Types from "../src/types/index.js"
import { vmsXml } from "../bench/vmsDocument.js"
import { ovirtApiPath, sharedPresent } from "./support/shared.js"

/** A node of fast-xml-parser's ordered tree: `{ tag: children, ":@": attributes }` or `{ "#text": text }`. */
type XNode = Readonly<Record<string, unknown>>

const parser = new XMLParser({
  preserveOrder: true,
  ignoreAttributes: false,
  attributeNamePrefix: "",
  parseTagValue: false,
  parseAttributeValue: false,
  ignoreDeclaration: true,
  trimValues: false // text as written; whitespace between elements is dropped below
})

const tagOf = (node: XNode): string => Object.keys(node).find((k) => k !== ":@")!
const childrenOf = (node: XNode): ReadonlyArray<XNode> => node[tagOf(node)] as ReadonlyArray<XNode>
const elementsOf = (node: XNode): ReadonlyArray<XNode> => childrenOf(node).filter((c) => !("#text" in c))
const textOf = (node: XNode): string => childrenOf(node).map((c) => (c["#text"] as string | undefined) ?? "").join("")
const attributesOf = (node: XNode): Readonly<Record<string, string>> => (node[":@"] ?? {}) as Record<string, string>

const escapeText = (s: string): string => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/\r/g, "&#13;")
const escapeAttribute = (s: string): string => escapeText(s).replace(/"/g, "&quot;").replace(/\t/g, "&#9;").replace(/\n/g, "&#10;")

/** A primitive's text as the writer spells it. */
const canonicalText = (type: string, text: string): string => {
  switch (type) {
    case "Integer":
    case "Decimal":
      return String(Number(text))
    case "Boolean":
      return /^(true|1)$/i.test(text.trim()) ? "true" : "false"
    case "Date":
      return new Date(text).toISOString()
    default:
      return text
  }
}

const catalog = Xml.catalog()
type Struct = NonNullable<ReturnType<typeof catalog.find>>
type Member = Struct["members"][number]

/** The request body the element `node` of struct `struct` stands for, as the rules above say. */
const expectedStruct = (struct: Struct, tag: string, node: XNode): string => {
  const attributes = attributesOf(node)
  let open = `<${tag}`
  for (const m of struct.members) {
    if (m.attribute && attributes[m.xml] !== undefined) open += ` ${m.xml}="${escapeAttribute(attributes[m.xml])}"`
  }
  const rank = (child: XNode): number => struct.members.findIndex((m) => !m.attribute && m.xml === tagOf(child))
  const children = elementsOf(node).filter((c) => tagOf(c) !== "link" && tagOf(c) !== "actions")
  for (const c of children) expect(rank(c), `<${tagOf(c)}> is a member of ${struct.name}`).toBeGreaterThanOrEqual(0)
  const body = [...children]
    .sort((a, b) => rank(a) - rank(b)) // stable: a list's items keep their order
    .map((c) => expectedMember(struct.members[rank(c)], c))
    .join("")
  return body === "" ? `${open}/>` : `${open}>${body}</${tag}>`
}

const expectedMember = (m: Member, node: XNode): string => {
  const struct = catalog.find(m.type)
  const one = (tag: string, item: XNode): string =>
    struct !== undefined ? expectedStruct(struct, tag, item) : `<${tag}>${escapeText(canonicalText(m.type, textOf(item)))}</${tag}>`
  if (!m.list) return one(m.xml, node)
  const items = elementsOf(node)
  return items.length === 0 ? `<${m.xml}/>` : `<${m.xml}>${items.map((item) => one(m.item, item)).join("")}</${m.xml}>`
}

/** The request body of each `<vm>` in `text` (a `<vm>` or a `<vms>` document). */
const expectedVms = (text: string): ReadonlyArray<string> => {
  const root = (parser.parse(text) as ReadonlyArray<XNode>).find((n) => !("#text" in n))!
  const vms = tagOf(root) === "vms" ? elementsOf(root) : [root]
  return vms.map((vm) => expectedStruct(catalog.struct("Vm"), "vm", vm))
}

/** Strict for the samples; the benchmark's document links to lists this model lacks (`rel="backups"`). */
const writtenVms = (text: string, strict = true): ReadonlyArray<string> => {
  const decoded = Effect.runSync(Xml.decode(text, { strict }))
  const vms = (Array.isArray(decoded) ? decoded : [decoded]) as ReadonlyArray<Types.Vm>
  return vms.map((vm) => Effect.runSync(Xml.encode(Types.Vm)(vm)))
}

const samplesDir = ovirtApiPath("samples")
const present = sharedPresent(path.join(samplesDir, "index.json"), "the writer's output on the sample VMs")

describe.skipIf(!present)("the writer's output on the sample VMs", () => {
  const read = (file: string): string => fs.readFileSync(path.join(samplesDir, file), "utf8")
  const index: ReadonlyArray<{ readonly file: string; readonly rootTag: string }> = present ? JSON.parse(read("index.json")) : []
  const knownIssues = present ? read("known-issues.tsv") : ""
  const vmSamples = index.filter((e) => (e.rootTag === "vm" || e.rootTag === "vms") && !knownIssues.includes(e.file)).map((e) => e.file)

  it("covers a dozen sample documents", () => {
    expect(vmSamples.length).toBeGreaterThanOrEqual(12)
  })

  it.each(vmSamples)("%s", (file) => {
    const text = read(file)
    const expected = expectedVms(text)
    expect(expected.length).toBeGreaterThan(0)
    expect(writtenVms(text)).toEqual(expected)
  })
})

describe("the writer's output on the benchmark's VMs", () => {
  // 40 engine-shaped VMs: dates, descriptions with entities and non-ASCII text, nested lists, links, actions
  const text = vmsXml(40, 11)

  it("is each VM as its document says, and the list is those VMs joined", () => {
    const expected = expectedVms(text)
    expect(expected).toHaveLength(40)
    expect(writtenVms(text, false)).toEqual(expected)
    const vms = Effect.runSync(Xml.decodeListAs(Types.Vm)(text))
    expect(Effect.runSync(Xml.encodeList(Types.Vm)(vms))).toBe(`<vms>${expected.join("")}</vms>`)
  })
})
