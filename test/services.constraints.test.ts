/**
 * The constraint checker: mandatory paths and `or` groups over inputs, with list steps; an add accepted
 * when its input satisfies one of its signatures; and real calls against a recording server showing
 * what is refused is never sent.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Either } from "effect"
import * as Connection from "../src/services/Connection.js"
import { InvalidInputError } from "../src/core/Errors.js"
import type { MethodMeta, ServiceMeta } from "../src/services/runtime/Metadata.js"
import { compileRequirements, missingInputs, type Signature, signaturesOf, unmetSignatures } from "../src/services/runtime/Constraints.js"
import { DisksService } from "../src/services/generated/meta/DisksService.js"
import { HostService } from "../src/services/generated/meta/HostService.js"
import { VmsService } from "../src/services/generated/meta/VmsService.js"
import { system } from "../src/services/index.js"
import { sendXml, testServer } from "./support/TestServer.js"

const check = (
  constraints: { readonly mandatory?: ReadonlyArray<string>; readonly or?: ReadonlyArray<ReadonlyArray<string>> },
  input: Readonly<Record<string, unknown>>
): ReadonlyArray<string> =>
  missingInputs(
    compileRequirements([
      { mandatory: constraints.mandatory ?? [], optional: [], or: (constraints.or ?? []).map((paths) => ({ mandatory: true, paths })) }
    ]),
    (name) => input[name]
  )

describe("input constraints", () => {
  it("reports every missing mandatory path, in order", () => {
    expect(check({ mandatory: ["vm.name", "vm.cluster.id", "fenceType"] }, {})).toEqual(["vm.name", "vm.cluster.id", "fenceType"])
    expect(check({ mandatory: ["vm.name", "vm.cluster.id"] }, { vm: { name: "a", cluster: {} } })).toEqual(["vm.cluster.id"])
    expect(check({ mandatory: ["vm.name"] }, { vm: { name: "" } })).toEqual([])
  })

  it("wants one path of an or group", () => {
    const or = [["vm.cluster.id", "vm.cluster.name"]]
    expect(check({ or }, { vm: {} })).toEqual(["vm.cluster.id or vm.cluster.name"])
    expect(check({ or }, { vm: { cluster: { name: "Default" } } })).toEqual([])
    expect(check({ or }, { vm: { cluster: { id: "1" } } })).toEqual([])
  })

  it("steps into lists: every item, with its index; an empty list is missing", () => {
    const mandatory = ["vm.snapshots[].id"]
    expect(check({ mandatory }, { vm: {} })).toEqual(["vm.snapshots[].id"])
    expect(check({ mandatory }, { vm: { snapshots: [] } })).toEqual(["vm.snapshots[].id"])
    expect(check({ mandatory }, { vm: { snapshots: [{ id: "1" }, {}, { id: "3" }, {}] } })).toEqual(["vm.snapshots[1].id", "vm.snapshots[3].id"])
    expect(check({ mandatory: ["vm.os.boot.devices[]"] }, { vm: { os: { boot: { devices: ["hd"] } } } })).toEqual([])
    expect(check({ mandatory: ["backup.disks"] }, { backup: { disks: [] } })).toEqual(["backup.disks"])
  })

  it("checks an or group per list item", () => {
    const or = [["vm.placementPolicy.hosts[].id", "vm.placementPolicy.hosts[].name"]]
    expect(check({ or }, { vm: { placementPolicy: { hosts: [{ id: "1" }, { name: "h2" }] } } })).toEqual([])
    expect(check({ or }, { vm: { placementPolicy: { hosts: [{ id: "1" }, { address: "x" }] } } })).toEqual([
      "vm.placementPolicy.hosts[1].id or vm.placementPolicy.hosts[1].name"
    ])
  })

  it("merges a signature's constraints with its base's, without repeating a requirement", () => {
    const requirements = compileRequirements([
      { mandatory: ["vm.name"], optional: [], or: [] },
      { mandatory: ["vm.name", "vm.memory"], optional: [], or: [{ mandatory: false, paths: ["vm.a", "vm.b"] }] }
    ])
    expect(missingInputs(requirements, () => undefined)).toEqual(["vm.name", "vm.memory"])
  })
})

describe("signatures: an add is accepted when its input satisfies one of them", () => {
  const names = (service: ServiceMeta, method: string) => {
    const m = service.methods.find((x) => x.name === method) as MethodMeta
    return signaturesOf(service.methods, m).map((s) => s.name)
  }

  it("plain add has its alternatives; a signature called by name and other methods are themselves", () => {
    expect(names(VmsService, "add")).toEqual(["addFromConfiguration", "addFromScratch", "addFromSnapshot"])
    expect(names(VmsService, "addFromScratch")).toEqual(["addFromScratch"])
    expect(names(DisksService, "add")).toEqual(["addLun", "addOnStorageDomain"])
    expect(names(VmsService, "list")).toEqual(["list"])
    // actions' alternatives document optional inputs: the engine approves a host with its public key
    expect(names(HostService, "approve")).toEqual(["approve"])
  })

  it("each signature needs its base's common constraints too, except what the metadata marks relaxed", () => {
    const addOnStorageDomain = signaturesOf(DisksService.methods, DisksService.methods.find((m) => m.name === "addOnStorageDomain") as MethodMeta)
    // DisksService.Add lists disk.interface (deprecated: it moved to the disk attachment) and disk.format
    expect(missingInputs((addOnStorageDomain[0] as Signature).requirements, () => ({}))).toEqual(["disk.format", "disk.provisionedSize"])
  })

  it("names what each signature misses, the closest first", () => {
    const add = VmsService.methods.find((m) => m.name === "add") as MethodMeta
    const unmet = unmetSignatures(signaturesOf(VmsService.methods, add), () => ({ name: "web" }))
    // two each for the first two: the one whose requirements the name meets first
    expect(unmet).toEqual([
      { signature: "addFromScratch", missing: ["vm.cluster.id or vm.cluster.name", "vm.template.id or vm.template.name"], met: 1 },
      { signature: "addFromConfiguration", missing: ["vm.initialization.configuration.data", "vm.initialization.configuration.type"], met: 0 },
      { signature: "addFromSnapshot", missing: ["vm.snapshots[].id", "vm.cluster.id or vm.cluster.name", "vm.template.id or vm.template.name"], met: 1 }
    ])
    expect(unmetSignatures(signaturesOf(VmsService.methods, add), () => ({ name: "web", cluster: { name: "Default" }, template: { name: "Blank" } }))).toBeUndefined()
  })
})

describe("calls checked by signature before anything is sent", () => {
  const connected = <A, E>(effect: Effect.Effect<A, E, Connection.Connection>) =>
    Effect.gen(function* () {
      const server = yield* testServer((request, res) => {
        // an add answers with the object it was sent, an action with success
        if (request.url.endsWith("/approve")) sendXml(res, 200, "<action><status>complete</status></action>")
        else sendXml(res, 201, request.body)
      })
      const result = yield* Effect.either(
        effect.pipe(Effect.provide(Connection.layer({ url: `${server.origin}/ovirt-engine/api`, token: "t", caCerts: server.certificates.caPem })))
      )
      return { result, sent: server.requests.map((r) => `${r.method} ${r.url}`) }
    })

  const refused = (result: Either.Either<unknown, unknown>): InvalidInputError => {
    if (Either.isRight(result) || !(result.left instanceof InvalidInputError)) throw new Error(`expected an InvalidInputError, got ${String(result)}`)
    return result.left
  }

  it.scoped("system.vms.add with a name only: refused, naming each signature's gaps, nothing sent", () =>
    Effect.gen(function* () {
      const { result, sent } = yield* connected(system.vms.add({ name: "web" }))
      const error = refused(result)
      expect(error.message).toBe(
        "VmsService.add: the input satisfies none of its signatures: " +
          "addFromScratch needs vm.cluster.id or vm.cluster.name, vm.template.id or vm.template.name; " +
          "addFromConfiguration needs vm.initialization.configuration.data, vm.initialization.configuration.type; " +
          "addFromSnapshot needs vm.snapshots[].id, vm.cluster.id or vm.cluster.name, vm.template.id or vm.template.name"
      )
      expect(error.paths).toEqual([
        "vm.cluster.id or vm.cluster.name",
        "vm.template.id or vm.template.name",
        "vm.initialization.configuration.data",
        "vm.initialization.configuration.type",
        "vm.snapshots[].id"
      ])
      expect(sent).toEqual([])
    })
  )

  it.scoped("system.vms.add as the README's tour calls it is sent", () =>
    Effect.gen(function* () {
      const { result, sent } = yield* connected(
        system.vms.add({ name: "web2", cluster: { name: "Default" }, template: { name: "Blank" } }, { clone: false })
      )
      expect(Either.isRight(result) && result.right.name).toBe("web2")
      expect(sent).toEqual(["POST /ovirt-engine/api/vms?clone=false"])
    })
  )

  it.scoped("system.disks.add on a storage domain needs no interface; an empty disk is refused unsent", () =>
    Effect.gen(function* () {
      const disk = { format: "cow", provisionedSize: 1073741824, storageDomains: [{ id: "sd1" }] } as const
      const ok = yield* connected(system.disks.add(disk))
      expect(Either.isRight(ok.result)).toBe(true)
      expect(ok.sent).toEqual(["POST /ovirt-engine/api/disks"])
      const direct = yield* connected(system.disks.addOnStorageDomain(disk))
      expect(direct.sent).toEqual(["POST /ovirt-engine/api/disks"])
      const bad = yield* connected(system.disks.add({ name: "d" }))
      expect(refused(bad.result).message).toMatch(/^DisksService\.add: the input satisfies none of its signatures: addOnStorageDomain needs disk\.format, disk\.provisionedSize; addLun needs disk\.format, /)
      expect(bad.sent).toEqual([])
    })
  )

  it.scoped("an action's alternatives are not insisted on: approve without credentials is sent", () =>
    Effect.gen(function* () {
      const { result, sent } = yield* connected(system.hosts.host("h1").approve())
      expect(Either.isRight(result)).toBe(true)
      expect(sent).toEqual(["POST /ovirt-engine/api/hosts/h1/approve"])
    })
  )

  it.scoped("integers a number cannot hold exactly are refused unsent, in the body and in the query", () =>
    Effect.gen(function* () {
      const body = yield* connected(system.vms.add({ name: "big", cluster: { name: "Default" }, template: { name: "Blank" }, memory: 1e23 }))
      expect(refused(body.result).paths).toEqual(["vm.memory"])
      const query = yield* connected(system.vms.list({ max: 2 ** 53 }))
      expect(refused(query.result).paths).toEqual(["max"])
      expect([...body.sent, ...query.sent]).toEqual([])
    })
  )
})
