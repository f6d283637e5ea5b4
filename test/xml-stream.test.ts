/**
 * `Xml.decodeStream`: a collection document arriving in chunks of bytes, split anywhere (inside
 * tags, entities and multi-byte UTF-8 characters), gives the same items as decoding it whole, and
 * gives them as the bytes arrive.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { Chunk, Effect, Either, Exit, Stream } from "effect"
import { describe, expect, it } from "@effect/vitest"
import { DecodeError } from "../src/core/Errors.js"
import * as Xml from "../src/types/Xml.js"
import * as Types from "../src/types/index.js"
import { ovirtApiPath, sharedPresent } from "./support/shared.js"

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text)

const streamed = (chunks: ReadonlyArray<Uint8Array>, options?: Xml.DecodeOptions) =>
  Effect.runSyncExit(Stream.runCollect(Xml.decodeStream(Types.Vm, options)(Stream.fromIterable(chunks))).pipe(Effect.map(Chunk.toArray)))

const collected = (chunks: ReadonlyArray<Uint8Array>, options?: Xml.DecodeOptions): ReadonlyArray<Types.Vm> => {
  const exit = streamed(chunks, options)
  if (Exit.isFailure(exit)) throw new Error(`stream failed: ${JSON.stringify(exit.cause)}`)
  return exit.value
}

const failure = (chunks: ReadonlyArray<Uint8Array>): DecodeError => {
  const exit = streamed(chunks)
  if (Exit.isSuccess(exit) || exit.cause._tag !== "Fail") throw new Error("expected the stream to fail")
  expect(exit.cause.error).toBeInstanceOf(DecodeError)
  return exit.cause.error
}

const handWritten = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<vms>
    <vm href="/ovirt-engine/api/vms/1" id="1">
        <actions><link href="/ovirt-engine/api/vms/1/start" rel="start"/></actions>
        <name>Löschbarer-Testrechner-€-中-😀</name>
        <description>Windows desktop for &lt;finance&gt; team &amp; friends &#x1F600;</description>
        <link href="/ovirt-engine/api/vms/1/nics" rel="nics"/>
        <creation_time>2020-03-06T09:46:41.294+01:00</creation_time>
        <memory>4294967296</memory>
        <os><boot><devices><device>hd</device></devices></boot><type>rhel_9x64</type></os>
        <status>up</status>
    </vm>
    <vm href="/ovirt-engine/api/vms/2" id="2"><name><![CDATA[cdata & <stuff>]]></name><stateless>TRUE</stateless></vm>
    <vm id="3"/>
</vms>
`

describe("decodeStream", () => {
  const whole = Effect.runSync(Xml.decodeListAs(Types.Vm)(handWritten))

  it("gives the items of the document", () => {
    expect(whole.map((vm) => vm.id)).toEqual(["1", "2", "3"])
    expect(whole[0].name).toBe("Löschbarer-Testrechner-€-中-😀")
    expect(whole[0].nics!.href).toBe("/ovirt-engine/api/vms/1/nics")
    expect(collected([bytes(handWritten)])).toEqual(whole)
  })

  it("gives the same items when the bytes are split in two at every offset", () => {
    const data = bytes(handWritten)
    for (let cut = 0; cut <= data.length; cut++) {
      const items = collected([data.subarray(0, cut), data.subarray(cut)])
      expect(items, `split at byte ${cut}`).toEqual(whole)
      expect(items[0].nics!.href, `split at byte ${cut}`).toBe("/ovirt-engine/api/vms/1/nics")
    }
  })

  it("gives the same items from one-byte chunks", () => {
    const data = bytes(handWritten)
    const chunks = Array.from({ length: data.length }, (_, i) => data.subarray(i, i + 1))
    expect(collected(chunks)).toEqual(whole)
  })

  it.effect("gives items as the bytes arrive, before the document is complete", () =>
    Effect.gen(function* () {
      const data = bytes(handWritten)
      const end = handWritten.indexOf("</vm>") + 5
      const firstVmBytes = bytes(handWritten.slice(0, end)).length
      let fed = 0
      const chunks = [data.subarray(0, firstVmBytes), data.subarray(firstVmBytes)]
      const source = Stream.fromIterable(chunks).pipe(Stream.tap(() => Effect.sync(() => fed++)))
      const first = yield* Stream.runHead(Xml.decodeStream(Types.Vm)(source))
      expect(first._tag === "Some" && first.value.id).toBe("1")
      expect(fed).toBe(1)
    }))

  it.effect("fails with a DecodeError after the items before a malformed part", () =>
    Effect.gen(function* () {
      const broken = bytes('<vms><vm id="1"/><vm id="2"><memory>12</memry></vm></vms>')
      const seen: Array<string | undefined> = []
      const exit = yield* Effect.exit(
        Stream.runForEach(Xml.decodeStream(Types.Vm)(Stream.fromIterable([broken.subarray(0, 20), broken.subarray(20)])), (vm) =>
          Effect.sync(() => seen.push(vm.id))
        )
      )
      expect(Exit.isFailure(exit)).toBe(true)
      expect(seen).toEqual(["1"])
      expect(failure([broken]).message).toContain("does not match")
    }))

  it.effect("gives the items before a malformed part that arrives in the same chunk, then the DecodeError", () =>
    Effect.gen(function* () {
      const broken = bytes('<vms><vm id="1"/><vm id="2"/><vm id="3"><name>a & b</name></vm></vms>')
      const results = yield* Stream.runCollect(Stream.either(Xml.decodeStream(Types.Vm)(Stream.succeed(broken))))
      const [ids, errors] = [[...results].filter(Either.isRight).map((r) => r.right.id), [...results].filter(Either.isLeft)]
      expect(ids).toEqual(["1", "2"])
      expect(errors.map((e) => e.left.element)).toEqual(["/vms/vm[3]/name"])
    }))

  it("fails on a truncated document, invalid UTF-8, a wrong root, bad values", () => {
    expect(failure([bytes('<vms><vm id="1"/>')]).message).toContain("unexpected end of document")
    expect(failure([new Uint8Array([0x3c, 0x76, 0x6d, 0x73, 0x3e, 0xff, 0x3c, 0x2f, 0x76, 0x6d, 0x73, 0x3e])]).message).toContain("UTF-8")
    expect(failure([bytes('<vm id="1"/>')]).message).toContain("expected a <vms> document")
    expect(failure([bytes("<vms><vm><memory>lots</memory></vm></vms>")]).element).toBe("/vms/vm[1]/memory")
  })

  it("passes the options on: strict mode and onUnknown", () => {
    const unknown: Array<string> = []
    collected([bytes("<vms><vm><color>red</color></vm></vms>")], { onUnknown: (p) => unknown.push(p) })
    expect(unknown).toEqual(["/vms/vm/color"])
    expect(Exit.isFailure(streamed([bytes("<vms><vm><color>red</color></vm></vms>")], { strict: true }))).toBe(true)
  })

  // a 1 MiB description with references, CR LF and non-ASCII, and an unknown element with as much text
  const longText = Array.from({ length: 16384 }, (_, i) => `line ${i} caf\u00e9 &amp; \u{1F600} &#x41;\r\n]]&gt;`).join("")
  const longDocument = `<vms><vm id="1"><description>${longText}</description><color>${longText}</color><name>after</name></vm></vms>`
  const chunksOf = (data: Uint8Array, size: number): Array<Uint8Array> =>
    Array.from({ length: Math.ceil(data.length / size) }, (_, i) => data.subarray(i * size, (i + 1) * size))

  it("hands over a long text as it arrives: the buffer stays small, and the text is whole", () => {
    const data = bytes(longDocument)
    for (const size of [4096, 997, 61]) {
      const decoder = Either.getOrThrow(Xml.ListDecoder.make("Vm"))
      let items: Array<unknown> = []
      let mostHeld = 0
      for (const chunk of chunksOf(data, size)) {
        items = items.concat(Either.getOrThrow(decoder.write(chunk)))
        mostHeld = Math.max(mostHeld, decoder.buffered)
      }
      items = items.concat(Either.getOrThrow(decoder.end()))
      // at most one chunk plus what a cut may leave (a reference, CR LF, "]]", a tag), not the 2 MiB of text
      expect(mostHeld).toBeLessThan(size + 64)
      expect(decoder.unknownCount).toBe(1)
      const expected = longText.replace(/\r\n/g, "\n").replace(/&amp;/g, "&").replace(/&#x41;/g, "A").replace(/&gt;/g, ">")
      expect(items).toEqual([{ id: "1", description: expected, name: "after" }])
      expect((items[0] as Types.Vm).description).toEqual(Effect.runSync(Xml.decodeListAs(Types.Vm)(longDocument))[0]!.description)
    }
  })

  it("refuses ']]>' and a broken reference split across chunks, and a reference that never ends", () => {
    expect(failure([bytes("<vms><vm><name>a]"), bytes("]"), bytes(">b</name></vm></vms>")]).message).toContain("']]>' in text")
    expect(failure([bytes("<vms><vm><name>a&am"), bytes("x;</name></vm></vms>")]).message).toContain("unknown entity &amx;")
    const endless = failure([bytes(`<vms><vm><name>a&${"x".repeat(70)}`), bytes(`${"x".repeat(5000)}</name></vm></vms>`)])
    expect(endless.message).toContain("'&' not starting an entity reference")
    expect(collected([bytes("<vms><vm><name>a&am"), bytes("p;b\r"), bytes("\nc</name></vm></vms>")])).toEqual([{ name: "a&b\nc" }])
  })

  // non-ASCII in attribute values, in text, next to a raw '>' in text and in an attribute value, and
  // in a VM with no '>' for a long way: the chunk is handed over in pieces cut at '>' around it
  const mixedVm = (i: number) =>
    `<vm id="${i}" href="/vms/\u00e9${i}"><name>caf\u00e9-${i} > \u20ac</name><description>${"x".repeat(i * 37)}\u{1F600}${"y".repeat(i * 11)}</description>` +
    `<comment>a > b \u4e2d</comment><os><type>rhel</type></os><memory>${i}</memory></vm>`
  const mixedDocument = `\ufeff<vms>${Array.from({ length: 40 }, (_, i) => mixedVm(i)).join("")}<vm id="last"><name>plain</name></vm></vms>`

  it("gives the same items for a mostly ASCII document with non-ASCII here and there, in chunks of any size", () => {
    const whole = Effect.runSync(Xml.decodeListAs(Types.Vm, { strict: true })(mixedDocument.slice(1)))
    expect(whole.length).toBe(41)
    expect(whole[3]).toEqual({
      id: "3",
      href: "/vms/\u00e93",
      name: "caf\u00e9-3 > \u20ac",
      description: `${"x".repeat(111)}\u{1F600}${"y".repeat(33)}`,
      comment: "a > b \u4e2d",
      os: { type: "rhel" },
      memory: 3
    })
    const data = bytes(mixedDocument)
    for (const size of [1, 2, 3, 5, 64, 333, 4096, data.length]) {
      expect(collected(chunksOf(data, size), { strict: true }), `chunks of ${size} bytes`).toEqual(whole)
    }
  })

  it("fails on invalid UTF-8 inside a mostly ASCII chunk, with nothing from that chunk decoded", () => {
    const ascii = bytes(`<vms><vm id="1"/>${"<vm><name>plain</name></vm>".repeat(100)}`)
    // a lone continuation byte, an overlong '/', a UTF-16 surrogate, and a code point past U+10FFFF
    for (const bad of [[0x80], [0xc0, 0xaf], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80]]) {
      const chunk = new Uint8Array([...ascii, ...bytes("<vm><name>"), ...bad, ...bytes("</name></vm></vms>")])
      const decoder = Either.getOrThrow(Xml.ListDecoder.make("Vm"))
      const result = decoder.write(chunk)
      expect(Either.isLeft(result) && result.left.message, `bytes ${bad.join(",")}`).toBe("the body is not valid UTF-8")
      expect(decoder.take()).toEqual([])
    }
  })

  it("allows one byte order mark, as decode does", () => {
    const bom = [0xef, 0xbb, 0xbf]
    expect(collected([new Uint8Array([...bom, ...bytes("<vms/>")])])).toEqual([])
    expect(collected([new Uint8Array(bom.slice(0, 1)), new Uint8Array([...bom.slice(1), ...bytes("<vms/>")])])).toEqual([])
    const twice = new Uint8Array([...bom, ...bom, ...bytes("<vms/>")])
    expect(failure([twice]).message).toMatch(/text outside the root element/)
    expect(Exit.isFailure(Effect.runSyncExit(Xml.decode(new TextDecoder("utf-8", { ignoreBOM: true }).decode(twice))))).toBe(true)
  })
})

const samplesDir = ovirtApiPath("samples")
const present = sharedPresent(path.join(samplesDir, "0002.xml"), "the sample split test")

describe.skipIf(!present)("decodeStream on a sample collection", () => {
  it("0002.xml split at every byte offset gives what decodeListAs gives", () => {
    const text = fs.readFileSync(path.join(samplesDir, "0002.xml"), "utf8")
    expect(text.startsWith("<vms>")).toBe(true)
    const whole = Effect.runSync(Xml.decodeListAs(Types.Vm, { strict: true })(text))
    expect(whole.length).toBeGreaterThan(0)
    const data = bytes(text)
    for (let cut = 0; cut <= data.length; cut++) {
      expect(collected([data.subarray(0, cut), data.subarray(cut)], { strict: true }), `split at byte ${cut}`).toEqual(whole)
    }
  })
})
