/**
 * The lazy tree's shapes (src/services/generated/tree.ts) as one line of text per service: each line
 * reads back to what the services' own metadata (generated/meta/*) says of that service, every form of a
 * locator reads as written, and text the generator could not have written is refused by name.
 */
import { describe, expect, it } from "@effect/vitest"
import { services } from "../src/services/generated/metadata.js"
import { shapes } from "../src/services/generated/tree.js"
import { shapeFromText, shapeToText } from "../src/services/runtime/Metadata.js"
import { system } from "../src/services/system.js"

const noLoad = () => Promise.reject(new Error("not loaded in this test"))

describe("service tree shapes as text", () => {
  it("every service's shape has the methods and locators of its metadata", () => {
    expect(Object.keys(shapes).sort()).toEqual(services.map((s) => s.name).sort())
    for (const meta of services) {
      const shape = shapeFromText(shapes[meta.name])
      expect(shape.methods, meta.name).toEqual(meta.methods.map((m) => m.name))
      expect(shape.locators, meta.name).toEqual(meta.locators.map((l) => [l.name, l.service, l.parameter === null ? l.path : null]))
      const lists = meta.methods.filter((m) => m.kind === "list").map((m) => `${m.name}Stream`)
      expect(shape.streams.filter((s) => s.endsWith("Stream")), meta.name).toEqual(lists)
    }
  })

  it("reads each form of a locator: a fixed segment, the name in lower case, an id", () => {
    const shape = shapeFromText([noLoad, "get list|listStream listAll|nics:VmNics:nics diskAttachments:DiskAttachments: vm:Vm"])
    expect(shape.methods).toEqual(["get", "list"])
    expect(shape.streams).toEqual(["listStream", "listAll"])
    expect(shape.locators).toEqual([
      ["nics", "VmNicsService", "nics"],
      ["diskAttachments", "DiskAttachmentsService", "diskattachments"],
      ["vm", "VmService", null]
    ])
    expect(shapeFromText([noLoad, "||"])).toMatchObject({ methods: [], streams: [], locators: [] })
  })

  it("writes a shape as the line it reads back", () => {
    const line = "get list|listStream|nics:VmNics:network_interfaces diskAttachments:DiskAttachments: vm:Vm"
    const { methods, streams, locators } = shapeFromText([noLoad, line])
    expect(shapeToText({ methods, streams, locators })).toBe(line)
    for (const text of Object.values(shapes)) expect(shapeToText(shapeFromText(text))).toBe(text[1])
  })

  it("refuses text the generator could not have written, and words it cannot write, naming them", () => {
    expect(() => shapeFromText([noLoad, "get|"])).toThrow("malformed service shape: get|")
    expect(() => shapeFromText([noLoad, "get||vm"])).toThrow(/malformed service shape/)
    expect(() => shapeFromText([noLoad, "get||:Vm"])).toThrow(/malformed service shape/)
    expect(() => shapeFromText([noLoad, "get||vm:Vm:a:b"])).toThrow(/malformed service shape/)
    expect(() => shapeToText({ methods: ["a b"], streams: [], locators: [] })).toThrow(/"a b"/)
    expect(() => shapeToText({ methods: [], streams: [], locators: [["vm", "VmThing", null]] })).toThrow(/"VmThing"/)
    expect(() => shapeToText({ methods: [], streams: [], locators: [["vm", "VmService", "a|b"]] })).toThrow(/"a\|b"/)
  })

  it("the lazy refs built from the text reach the paths their locators name", () => {
    const disks = system.vms.vm("123").diskAttachments
    expect(disks.service).toBe("DiskAttachmentsService")
    expect(disks.path).toBe("vms/123/diskattachments")
    expect(typeof (disks as unknown as Record<string, unknown>).listStream).toBe("function")
  })
})
