/**
 * The generated types checked against ../shared/ovirt-api/model.json itself (not against the generator):
 * every struct and enum is exported with every member, base members included, and every struct Schema
 * decodes and encodes a value that sets all of its members.
 */
import { Arbitrary, FastCheck, Pretty, Schema } from "effect"
import { describe, expect, expectTypeOf, it } from "@effect/vitest"
import { memberFromText, memberToText, StructNameAnnotationId, structsFromText } from "../src/core/Metadata.js"
import * as Metadata from "../src/types/generated/metadata.js"
import * as Types from "../src/types/index.js"
import { loadModel, type Member, type Struct } from "./support/model.js"

const { present, model } = loadModel("the checks of the types against the model")

const exported = Types as unknown as Readonly<Record<string, unknown>>
const byName = new Map(model.structs.map((s) => [s.name, s]))

const camel = (words: ReadonlyArray<string>): string =>
  words.map((w, i) => (i === 0 ? w : w.charAt(0).toUpperCase() + w.slice(1))).join("")

/** Members of a struct and of all its bases, with whether each is a list link. */
const allMembers = (s: Struct): ReadonlyArray<Member & { readonly listLink: boolean; readonly link: boolean }> => {
  const own = [
    ...s.attributes.map((m) => ({ ...m, listLink: false, link: false })),
    ...s.links.map((m) => ({ ...m, listLink: m.list, link: true }))
  ]
  const base = s.base === null ? undefined : byName.get(s.base)
  return base === undefined ? own : [...allMembers(base), ...own]
}

const date = "2016-10-06T15:38:18.548+02:00"
const dateIso = "2016-10-06T13:38:18.548Z"

/** An encoded value of one member, as the wire would have it. */
const encodedSample = (m: Member & { readonly listLink: boolean }): unknown => {
  const one =
    m.typeKind === "enum" ? "a_value_from_a_newer_engine"
    : m.typeKind === "struct" ? { href: "/ovirt-engine/api/things/123" }
    : { String: "text", Boolean: true, Integer: 9007199254740991, Decimal: 0.5, Date: date }[m.type]
  if (!m.list) return one
  return m.listLink ? Types.makeListLink([], "/ovirt-engine/api/vms/1/things") : [one, one]
}

const schemaOf = (name: string): Schema.Schema<unknown, unknown> => exported[name] as Schema.Schema<unknown, unknown>

describe.skipIf(!present)("Types against the model", () => {
  it("has 220 structs and 115 enums", () => {
    expect(model.structs.length).toBe(220)
    expect(model.enums.length).toBe(115)
  })

  it.each(model.structs.map((s) => [s.name, s] as const))("struct %s decodes and encodes every member", (name, s) => {
    const schema = schemaOf(name)
    expect(Schema.isSchema(schema)).toBe(true)
    expect(schema.ast.annotations[StructNameAnnotationId]).toBe(name)

    const members = allMembers(s)
    const encoded: Record<string, unknown> = { href: `/ovirt-engine/api/${name}/1` }
    for (const m of members) encoded[camel(m.words)] = encodedSample(m)

    const decoded = Schema.decodeUnknownSync(schema)(encoded) as Record<string, unknown>
    expect(Object.keys(decoded).sort()).toEqual(Object.keys(encoded).sort())
    for (const m of members) {
      const key = camel(m.words)
      const value = decoded[key]
      if (m.listLink) {
        expect([...(value as ReadonlyArray<unknown>)]).toEqual([])
        expect((value as { href?: string }).href).toBe("/ovirt-engine/api/vms/1/things")
      } else if (m.type === "Date") {
        const dates = m.list ? (value as ReadonlyArray<unknown>) : [value]
        for (const d of dates) expect((d as Date).toISOString()).toBe(dateIso)
      } else {
        expect(value, key).toEqual(encoded[key])
      }
    }

    const reencoded = Schema.encodeSync(schema)(decoded) as Record<string, unknown>
    for (const m of members) {
      const key = camel(m.words)
      if (m.type === "Date") {
        const texts = m.list ? (reencoded[key] as ReadonlyArray<string>) : [reencoded[key] as string]
        for (const t of texts) expect(new Date(t).getTime()).toBe(Date.parse(date))
      } else {
        expect(reencoded[key], key).toEqual(encoded[key])
      }
      if (m.listLink) expect((reencoded[key] as { href?: string }).href).toBe("/ovirt-engine/api/vms/1/things")
    }
  })

  it.each(model.enums.map((e) => [e.name, e] as const))("enum %s has its known values and stays open", (name, e) => {
    expect(exported[`${name}Values`]).toEqual(e.values.map((v) => v.name))
    const schema = schemaOf(name)
    for (const v of e.values) expect(Schema.decodeUnknownSync(schema)(v.name)).toBe(v.name)
    expect(Schema.decodeUnknownSync(schema)("added_in_a_newer_engine")).toBe("added_in_a_newer_engine")
    expect(() => Schema.decodeUnknownSync(schema)(42)).toThrow()
  })

  it("has the wire metadata of every struct (members base-first) and enum", () => {
    expect(Metadata.structs.map((s) => s.name)).toEqual(model.structs.map((s) => s.name))
    for (const s of model.structs) {
      const meta = Metadata.structs.find((m) => m.name === s.name)
      expect(meta && { name: meta.name, xml: meta.xml, plural: meta.plural }).toEqual({ name: s.name, xml: s.xml, plural: s.xmlPlural })
      expect(meta?.members, s.name).toEqual(
        allMembers(s).map((m) => ({
          name: camel(m.words),
          xml: m.xml,
          kind: m.typeKind,
          type: m.type,
          list: m.list,
          ...(m.xmlItem === undefined ? {} : { item: m.xmlItem }),
          ...(m.xmlAttribute ? { attribute: true } : {}),
          ...(m.link ? { link: true } : {}),
          ...(m.rel === undefined ? {} : { rel: m.rel }),
          ...(m.schemaType === undefined ? {} : { schemaType: m.schemaType })
        }))
      )
    }
    expect(Metadata.enums).toEqual(model.enums.map((e) => ({ name: e.name, values: e.values.map((v) => v.name) })))
    const vm = Metadata.structs.find((m) => m.name === "Vm")
    expect(vm?.members.slice(0, 4).map((m) => m.name)).toEqual(["comment", "description", "id", "name"])
    expect(vm?.members.find((m) => m.name === "diskAttachments")).toEqual({
      name: "diskAttachments", xml: "disk_attachments", kind: "struct", type: "DiskAttachment", list: true,
      item: "disk_attachment", link: true, rel: "diskattachments"
    })
  })

  it("exports nothing beyond the model's types and the ListLink helpers", () => {
    const expected = new Set([
      ...model.structs.flatMap((s) => [s.name]),
      ...model.enums.flatMap((e) => [e.name, `${e.name}Values`]),
      "ListLink",
      "makeListLink"
    ])
    expect(Object.keys(Types).sort()).toEqual([...expected].sort())
  })
})

describe("Types values", () => {
  it("an object literal is a Types.Vm, and decodes as one", () => {
    const vm: Types.Vm = {
      id: "123",
      name: "web-1",
      status: "up",
      memory: 8 * 2 ** 40,
      startTime: new Date(date),
      cluster: { id: "c1", href: "/ovirt-engine/api/clusters/c1" },
      diskAttachments: Types.makeListLink([], "/ovirt-engine/api/vms/123/diskattachments"),
      nics: [{ name: "nic1", interface: "virtio" }]
    }
    expectTypeOf(vm.status).toEqualTypeOf<Types.VmStatus | undefined>()
    expectTypeOf(vm.diskAttachments).toEqualTypeOf<Types.ListLink<Types.DiskAttachment> | undefined>()
    // @ts-expect-error memory is a number
    const wrong: Types.Vm = { memory: "8 GiB" }
    expect(wrong).toBeDefined()

    const encoded = Schema.encodeSync(Types.Vm)(vm)
    expectTypeOf(encoded.startTime).toEqualTypeOf<string | undefined>()
    expect(encoded.startTime).toBe(dateIso)
    const decoded = Schema.decodeUnknownSync(Types.Vm)(encoded)
    expect(decoded.startTime).toEqual(new Date(date))
    expect(decoded.diskAttachments?.href).toBe("/ovirt-engine/api/vms/123/diskattachments")
    expect(decoded.cluster).toEqual({ id: "c1", href: "/ovirt-engine/api/clusters/c1" })
    expect(decoded.memory).toBe(8 * 2 ** 40)
  })

  it("an unknown enum value decodes, also nested in a struct", () => {
    const vm = Schema.decodeUnknownSync(Types.Vm)({ status: "hibernating_on_the_moon" })
    expect(vm.status).toBe("hibernating_on_the_moon")
    expect(Types.VmStatusValues).toContain("powering_up")
  })

  it("malformed values fail to decode", () => {
    expect(() => Schema.decodeUnknownSync(Types.Vm)({ memory: "abc" })).toThrow(/memory/)
    expect(() => Schema.decodeUnknownSync(Types.Vm)({ startTime: "not a date" })).toThrow(/startTime/)
    expect(() => Schema.decodeUnknownSync(Types.Vm)({ cluster: { id: 5 } })).toThrow(/cluster/)
  })
})

describe("metadata text", () => {
  it("reads a member line with every flag, with and without its wire name", () => {
    expect(memberFromText("diskAttachments disk_attachments struct DiskAttachment list item=disk_attachment link rel=diskattachments")).toEqual({
      name: "diskAttachments", xml: "disk_attachments", kind: "struct", type: "DiskAttachment", list: true,
      item: "disk_attachment", link: true, rel: "diskattachments"
    })
    expect(memberFromText("diskAttachments struct DiskAttachment list")).toEqual({
      name: "diskAttachments", xml: "disk_attachments", kind: "struct", type: "DiskAttachment", list: true
    })
    expect(memberFromText("provisionedSize primitive Integer schemaType=xs:long")).toEqual({
      name: "provisionedSize", xml: "provisioned_size", kind: "primitive", type: "Integer", list: false, schemaType: "xs:long"
    })
    expect(memberFromText("cpuProfile profile struct CpuProfile")).toMatchObject({ name: "cpuProfile", xml: "profile" })
  })

  it("reads the kind from the type when the line leaves it out: a primitive's name, else a struct (an enum says so)", () => {
    expect(memberFromText("id String attribute")).toEqual({ name: "id", xml: "id", kind: "primitive", type: "String", list: false, attribute: true })
    expect(memberFromText("cpuProfile profile CpuProfile")).toEqual({ name: "cpuProfile", xml: "profile", kind: "struct", type: "CpuProfile", list: false })
    expect(memberFromText("diskAttachments DiskAttachment list")).toMatchObject({ xml: "disk_attachments", kind: "struct", list: true })
    expect(memberFromText("status enum VmStatus")).toEqual({ name: "status", xml: "status", kind: "enum", type: "VmStatus", list: false })
    expect(memberFromText("state vm_state enum VmStatus")).toMatchObject({ xml: "vm_state", kind: "enum" })
    for (const primitive of ["String", "Boolean", "Integer", "Decimal", "Date"]) expect(memberFromText(`x ${primitive}`).kind).toBe("primitive")
  })

  it("writes a member as the line it reads back, flags in a fixed order, the wire name only when it is not the name in snake case", () => {
    const line = "diskAttachments DiskAttachment list attribute link item=disk_attachment rel=diskattachments schemaType=xs:long"
    expect(memberToText(memberFromText(line))).toBe(line)
    expect(memberToText({ name: "id", xml: "id", kind: "primitive", type: "String", list: false, attribute: true })).toBe("id String attribute")
    expect(memberToText({ name: "cpuProfile", xml: "profile", kind: "struct", type: "CpuProfile", list: false })).toBe("cpuProfile profile CpuProfile")
    expect(memberToText({ name: "status", xml: "status", kind: "enum", type: "VmStatus", list: false })).toBe("status enum VmStatus")
    for (const struct of Metadata.structs) for (const member of struct.members) expect(memberFromText(memberToText(member))).toEqual(member)
    expect(() => memberToText({ name: "a b", xml: "a", kind: "primitive", type: "String", list: false })).toThrow(/"a b"/)
    // a wire name that reads as a kind could not be told from a left-out one
    expect(() => memberToText({ name: "shape", xml: "struct", kind: "primitive", type: "String", list: false })).toThrow(/"struct" of shape/)
    // a kind the type would not say: a struct named like a primitive, a primitive that is not one, a type in lower case
    expect(() => memberToText({ name: "when", xml: "when", kind: "struct", type: "Date", list: false })).toThrow(/struct Date of when/)
    expect(() => memberToText({ name: "size", xml: "size", kind: "primitive", type: "Long", list: false })).toThrow(/primitive Long of size/)
    expect(() => memberToText({ name: "a", xml: "a", kind: "struct", type: "vm", list: false })).toThrow(/type "vm" of a/)
    expect(() => memberToText({ name: "a", xml: "Big", kind: "struct", type: "Vm", list: false })).toThrow(/wire name "Big" of a/)
  })

  it("refuses a line the generator could not have written, naming it", () => {
    expect(() => memberFromText("name name primitive")).toThrow("malformed member metadata: name name primitive")
    expect(() => memberFromText("name primitive")).toThrow("malformed member metadata: name primitive")
    expect(() => memberFromText("name name thing String")).toThrow(/malformed member metadata/)
    expect(() => memberFromText("name name primitive String lists")).toThrow(/malformed member metadata/)
    expect(() => memberFromText("name name primitive String =x")).toThrow(/malformed member metadata/)
  })

  it("gives a struct its base's members first, then its own, wherever the base stands in the table", () => {
    const [derived, base] = structsFromText([
      ["Vm", "vm", "vms", "Identified", ["memory primitive Integer"]],
      ["Identified", "identified", null, null, ["id primitive String attribute", "name primitive String"]]
    ])
    expect(derived.members.map((m) => m.name)).toEqual(["id", "name", "memory"])
    expect(base.members.map((m) => m.name)).toEqual(["id", "name"])
    expect([derived.name, derived.xml, derived.plural]).toEqual(["Vm", "vm", "vms"])
  })

  it("reads a struct's member lines on the first use of its members, once (loading the table reads none)", () => {
    const [vm, bad] = structsFromText([
      ["Vm", "vm", "vms", null, ["memory primitive Integer"]],
      ["Bad", "bad", null, null, ["name primitive"]]
    ])
    expect(vm.members).toBe(vm.members)
    expect(vm.members.map((m) => m.name)).toEqual(["memory"])
    expect(() => bad.members).toThrow("malformed member metadata: name primitive")
  })

  it("refuses an unknown base and a chain of bases that comes back to itself", () => {
    expect(() => structsFromText([["Vm", "vm", "vms", "Nothing", []]])).toThrow("malformed struct metadata: Vm has base Nothing")
    expect(() => structsFromText([["A", "a", null, "B", []], ["B", "b", null, "A", []]])).toThrow(/malformed struct metadata: \w has base/)
  })
})

describe("ListLink", () => {
  const Links = Types.ListLink(Types.DiskAttachment)

  it("keeps the href of a link that was not inlined through decode and encode", () => {
    const link = Types.makeListLink([], "/ovirt-engine/api/vms/1/diskattachments")
    const decoded = Schema.decodeUnknownSync(Links)(link)
    expect(decoded.length).toBe(0)
    expect(decoded.href).toBe("/ovirt-engine/api/vms/1/diskattachments")
    expect(Schema.encodeSync(Links)(decoded).href).toBe("/ovirt-engine/api/vms/1/diskattachments")
  })

  it("decodes inlined items with the item Schema, and keeps an href given with them", () => {
    const decoded = Schema.decodeUnknownSync(Types.ListLink(Types.Statistic))(
      Types.makeListLink([{ id: "s1", values: [{ datum: 1.5 }] }], "/x")
    )
    expect([...decoded]).toEqual([{ id: "s1", values: [{ datum: 1.5 }] }])
    expect(decoded.href).toBe("/x")
    const plain = Schema.decodeUnknownSync(Links)([{ id: "a" }])
    expect(plain.href).toBeUndefined()
    expect(Schema.decodeUnknownSync(Types.ListLink(Schema.Date))(["2020-01-01T00:00:00Z"])[0]).toEqual(
      new Date("2020-01-01T00:00:00Z")
    )
  })

  it("rejects what is not a list, bad items and a non-string href", () => {
    expect(() => Schema.decodeUnknownSync(Links)({ href: "/x" })).toThrow()
    expect(() => Schema.decodeUnknownSync(Links)([{ id: 1 }])).toThrow()
    expect(() => Schema.decodeUnknownSync(Links)(Object.assign([], { href: 7 }))).toThrow(/href/)
  })

  it("makeListLink returns plain arrays unchanged and does not mutate its input", () => {
    const items = [1, 2]
    expect(Types.makeListLink(items)).toBe(items)
    const linked = Types.makeListLink(items, "/h")
    expect(linked).not.toBe(items)
    expect("href" in items).toBe(false)
    expect([...linked]).toEqual([1, 2])
  })
})

describe("ListLink Schema tooling", () => {
  const Links = Types.ListLink(Types.Fault)

  it("has an equivalence that compares items and href", () => {
    const eq = Schema.equivalence(Links)
    expect(eq(Types.makeListLink([{ reason: "r" }], "/a"), Types.makeListLink([{ reason: "r" }], "/a"))).toBe(true)
    expect(eq(Types.makeListLink([], "/a"), Types.makeListLink([], "/b"))).toBe(false)
    expect(eq(Types.makeListLink([{ reason: "r" }]), Types.makeListLink([{ reason: "s" }]))).toBe(false)
  })

  it("pretty-prints the href and generates values that decode", () => {
    expect(Pretty.make(Links)(Types.makeListLink([{ reason: "r" }], "/a"))).toBe(`makeListLink([{ "reason": "r" }], "/a")`)
    const samples = FastCheck.sample(Arbitrary.make(Links), { numRuns: 50, seed: 1 })
    expect(samples.some((s) => s.href !== undefined)).toBe(true)
    expect(samples.some((s) => s.length > 0)).toBe(true)
    for (const s of samples) expect(Schema.encodeSync(Links)(s).href).toBe(s.href)
  })
})
