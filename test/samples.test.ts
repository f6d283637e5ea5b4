/**
 * Every real document of ../shared/ovirt-api/samples (examples from the API reference) through the
 * codec: strict decoding with zero unknowns, and encode -> decode giving the same value; the
 * documents of samples/known-issues.tsv (documentation mistakes, engine extras) decode leniently or
 * fail cleanly with a DecodeError.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { Effect, Exit, type Schema } from "effect"
import { describe, expect, it } from "@effect/vitest"
import { DecodeError } from "../src/core/Errors.js"
import * as Xml from "../src/types/Xml.js"
import * as Types from "../src/types/index.js"
import { ovirtApiPath, sharedPresent } from "./support/shared.js"

const samplesDir = ovirtApiPath("samples")
const present = sharedPresent(path.join(samplesDir, "index.json"), "the sample documents' tests")

interface SampleEntry {
  readonly file: string
  readonly rootTag: string
}

const read = (file: string): string => fs.readFileSync(path.join(samplesDir, file), "utf8")

/** Values with list links made explicit, so that equality also compares each list's `href`. */
const canonical = (value: unknown): unknown => {
  if (Array.isArray(value)) {
    const href = (value as { href?: string }).href
    const items = value.map(canonical)
    return href === undefined ? items : { items, href }
  }
  if (value instanceof Date) return { date: value.toISOString() }
  if (typeof value === "object" && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, canonical(v)]))
  }
  return value
}

const schemaOf = (structName: string): Schema.Schema<unknown, unknown> =>
  (Types as unknown as Record<string, Schema.Schema<unknown, unknown>>)[structName]

describe.skipIf(!present)("sample documents", () => {
  const index: ReadonlyArray<SampleEntry> = present ? JSON.parse(read("index.json")) : []
  // file -> the element paths known-issues.tsv lists for it ("" for the document's root)
  const knownIssues = new Map<string, Array<string>>()
  if (present) {
    for (const line of read("known-issues.tsv").split("\n")) {
      if (line.trim().length === 0) continue
      const [file, , what] = line.split("\t")
      knownIssues.set(file, [...(knownIssues.get(file) ?? []), what.slice(0, what.indexOf(": "))])
    }
  }
  const withoutIndexes = (p: string): string => p.replace(/\[[0-9]+\]/g, "")
  /** Whether `reported` (an element or attribute path) is at or below one of `listed`. */
  const listedFor = (reported: string, listed: ReadonlyArray<string>): boolean =>
    listed.some((l) => l !== "" && (reported === l || reported.startsWith(`${l}/`)))
  const regular = index.filter((e) => !knownIssues.has(e.file))
  const irregular = index.filter((e) => knownIssues.has(e.file))

  it("are all there", () => {
    expect(index.length).toBeGreaterThan(200)
    expect(irregular.length).toBeGreaterThan(10)
  })

  it.effect.each(regular.map((e) => [e.file, e.rootTag] as const))("%s <%s> decodes strictly and round-trips", ([file, rootTag]) =>
    Effect.gen(function* () {
      const text = read(file)
      const unknown: Array<string> = []
      const value = yield* Xml.decode(text, { strict: true, onUnknown: (p) => unknown.push(p) })
      expect(unknown).toEqual([])

      const catalog = Xml.catalog()
      const single = catalog.byTag(rootTag)
      const struct = single ?? catalog.byPlural(rootTag)
      expect(struct, `root <${rootTag}> is a model type`).toBeDefined()
      const schema = schemaOf(struct!.name)
      expect(schema, `Types.${struct!.name}`).toBeDefined()

      // the same value through the typed entry points
      const typed = single
        ? yield* Xml.decodeAs(schema, { strict: true })(text)
        : yield* Xml.decodeListAs(schema, { strict: true })(text)
      expect(canonical(typed)).toEqual(canonical(value))

      // written as the engine writes it and read again: the same value
      const written = single
        ? yield* Xml.encode(schema, { mode: "document" })(value)
        : yield* Xml.encodeList(schema, { mode: "document" })(value as ReadonlyArray<unknown>)
      const again = yield* Xml.decode(written, { strict: true })
      expect(canonical(again)).toEqual(canonical(value))

      // written as a request body: what the engine reads, no href and no <link> anywhere
      const body = single
        ? yield* Xml.encode(schema)(value)
        : yield* Xml.encodeList(schema)(value as ReadonlyArray<unknown>)
      expect(body).not.toMatch(/\shref="|<link\b|<actions\b/)
      if (/\shref="/.test(text)) expect(body.length).toBeLessThan(written.length)
    }))

  it.effect.each(irregular.map((e) => [e.file, e.rootTag] as const))("%s <%s> (known issue) decodes leniently or fails cleanly where listed", ([file, rootTag]) =>
    Effect.gen(function* () {
      const text = read(file)
      const listed = knownIssues.get(file)!
      const reported: Array<string> = []
      const exit = yield* Effect.exit(Xml.decode(text, { onUnknown: (p) => reported.push(withoutIndexes(p)) }))
      if (Exit.isSuccess(exit)) {
        expect(exit.value).toBeDefined()
        // everything skipped is what the list says is wrong with this document (some listed rels the
        // reader knows as the engine's own, so it may report fewer)
        for (const p of reported) expect(listedFor(p, listed), `${p} is listed for ${file}: ${listed.join(", ")}`).toBe(true)
        // and strict mode refuses exactly when something was skipped
        expect(Exit.isSuccess(yield* Effect.exit(Xml.decode(text, { strict: true })))).toBe(reported.length === 0)
      } else {
        const error = exit.cause._tag === "Fail" ? exit.cause.error : undefined
        expect(error).toBeInstanceOf(DecodeError)
        if (listed.includes("")) {
          // listed as a root element the model does not have
          expect(error!.message).toContain(`unknown root element <${rootTag}`)
        } else {
          // a malformed value the list names, at its path
          expect(listed).toContain(withoutIndexes(error!.element ?? ""))
        }
      }
    }))
})
