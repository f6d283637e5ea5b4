/**
 * Service behaviour modelled on the reference SDK's own tests, over real HTTPS on loopback with the real
 * Connection layer and real sample documents from ../shared/ovirt-api/samples.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { Chunk, Effect, Either, ManagedRuntime, Stream } from "effect"
import { beforeEach, describe, expect, it } from "@effect/vitest"
import * as Connection from "../src/services/Connection.js"
import type { OvirtError } from "../src/core/Errors.js"
import * as VmsService from "../src/services/generated/VmsService.js"
import { service, system } from "../src/services/index.js"
import { ovirtApiPath, sharedPresent } from "./support/shared.js"
import { sharedScriptedEngine } from "./support/scripted.js"
import type { RecordedRequest, TestServer } from "./support/TestServer.js"

const samples = ovirtApiPath("samples")
const present = sharedPresent(samples, "the services behaviour tests")
const sample = (file: string): string => fs.readFileSync(path.join(samples, file), "utf8")

interface Answer {
  readonly status: number
  readonly body: string
}

describe.skipIf(!present)("services", () => {
  let server: TestServer
  let runtime: ManagedRuntime.ManagedRuntime<Connection.Connection, unknown>
  let answers: Array<Answer> = []

  sharedScriptedEngine(
    "behaviour-token",
    () => answers.shift() ?? { status: 500, body: "<fault><reason>no answer scripted</reason></fault>" },
    (scripted) => void ({ server, runtime } = scripted)
  )
  beforeEach(() => {
    answers = []
    server.requests.length = 0
  })

  // the shared connection (real HTTPS on loopback), so the tests run with the live clock
  const run = <A>(effect: Effect.Effect<A, OvirtError, Connection.Connection>): Effect.Effect<Either.Either<A, OvirtError>, unknown> =>
    Effect.either(effect).pipe(Effect.provide(runtime))
  const ok = <A>(effect: Effect.Effect<A, OvirtError, Connection.Connection>): Effect.Effect<A, unknown> =>
    Effect.flatMap(run(effect), (result) =>
      Either.isLeft(result) ? Effect.die(new Error(`unexpected failure: ${JSON.stringify(result.left)}`)) : Effect.succeed(result.right))
  const last = (): RecordedRequest => server.requests[server.requests.length - 1] as RecordedRequest
  const query = (request: RecordedRequest): URLSearchParams => new URL(request.url, server.origin).searchParams
  const pathname = (request: RecordedRequest): string => new URL(request.url, server.origin).pathname

  it.live("gives an empty array for an empty <vms/>", () =>
    Effect.gen(function* () {
      answers.push({ status: 200, body: "<vms/>" })
      expect(yield* ok(system.vms.list())).toEqual([])
      expect(last().method).toBe("GET")
      expect(pathname(last())).toBe("/ovirt-engine/api/vms")
    }))

  it.live("lists the VMs of a real collection document", () =>
    Effect.gen(function* () {
      answers.push({ status: 200, body: sample("0002.xml") })
      const vms = yield* ok(system.vms.list({ max: 10 }))
      expect(vms.map((vm) => [vm.id, vm.name, vm.memory])).toEqual([
        ["123", "yourvm", 1073741824],
        ["456", "myname", 2147483648]
      ])
      expect(query(last()).get("max")).toBe("10")
    }))

  it.live("sends search URL-encoded", () =>
    Effect.gen(function* () {
      answers.push({ status: 200, body: "<vms/>" })
      yield* ok(system.vms.list({ search: "name=web* and status=up", caseSensitive: false }))
      const raw = last().url
      expect(raw).not.toContain(" ")
      expect(raw).toMatch(/search=name%3Dweb\*(\+|%20)and(\+|%20)status%3Dup/)
      expect(query(last()).get("search")).toBe("name=web* and status=up")
      expect(query(last()).get("case_sensitive")).toBe("false")
    }))

  it.live("gets a VM by id, the id escaped in the path", () =>
    Effect.gen(function* () {
      answers.push({ status: 200, body: sample("0001.xml") })
      const vm = yield* ok(system.vms.vm("123").get())
      expect(vm).toMatchObject({ id: "123", name: "myvm", description: "My VM", memory: 1073741824 })
      expect(pathname(last())).toBe("/ovirt-engine/api/vms/123")
      answers.push({ status: 200, body: sample("0001.xml") })
      yield* ok(system.vms.vm("a b/c").get())
      expect(last().url.split("?")[0]).toBe("/ovirt-engine/api/vms/a%20b%2Fc")
    }))

  it.live("sends follow and decodes the inlined list", () =>
    Effect.gen(function* () {
      answers.push({ status: 200, body: sample("0004.xml") })
      const vm = yield* ok(system.vms.vm("123").get({ follow: "disk_attachments.disk" }))
      expect(query(last()).get("follow")).toBe("disk_attachments.disk")
      expect(vm.diskAttachments?.[0]?.disk?.name).toBe("mydisk")
    }))

  it.live("adds with clone: true as clone=true and sends the body as <vm>", () =>
    Effect.gen(function* () {
      answers.push({ status: 201, body: sample("0015.xml") })
      const added = yield* ok(
        system.vms.add({ name: "myvm", description: "My VM", cluster: { name: "Default" }, template: { name: "Blank" } }, { clone: true })
      )
      expect(added.id).toBe("007")
      expect(last().method).toBe("POST")
      expect(query(last()).get("clone")).toBe("true")
      const body = last().body
      expect(body.startsWith("<vm>")).toBe(true)
      for (const part of ["<name>myvm</name>", "<cluster><name>Default</name></cluster>", "<template><name>Blank</name></template>"]) {
        expect(body).toContain(part)
      }
    }))

  it.live("sends a VM read from the engine back as the engine reads it: no href, no <link>", () =>
    Effect.gen(function* () {
      answers.push({ status: 200, body: sample("0015.xml") })
      const vm = yield* ok(system.vms.vm("007").get())
      expect(vm.href).toBe("/ovirt-engine/api/vms/007")
      expect(vm.cluster?.href).toBe("/ovirt-engine/api/clusters/002")
      answers.push({ status: 200, body: sample("0015.xml") })
      yield* ok(system.vms.vm("007").update({ ...vm, memory: 2 * 1073741824 }))
      const body = last().body
      expect(last().method).toBe("PUT")
      expect(body).not.toMatch(/href=|<link\b|<actions\b/)
      expect(body).toContain('<vm id="007"><name>myvm</name>')
      expect(body).toContain("<memory>2147483648</memory>")
      expect(body).toContain('<cluster id="002"/>')
      // the lists the answer only linked to are left out, not sent as empty lists that would clear them
      expect(body).not.toMatch(/<disk_attachments\/>|<nics\/>/)
    }))

  it.live.each([200, 201, 202])("accepts %i for add", (status) =>
    Effect.gen(function* () {
      answers.push({ status, body: sample("0015.xml") })
      expect((yield* ok(system.vms.add({ name: "myvm", cluster: { name: "Default" }, template: { name: "Blank" } }))).name).toBe("myvm")
    }))

  it.live("fails with NotFoundError (code 404) for a missing VM", () =>
    Effect.gen(function* () {
      answers.push({ status: 404, body: sample("0006.xml") })
      const result = yield* run(system.vms.vm("404").get())
      expect(Either.isLeft(result) && result.left._tag).toBe("NotFoundError")
      if (Either.isLeft(result) && result.left._tag === "NotFoundError") expect(result.left.code).toBe(404)
    }))

  it.live("sends start as <action> with its parameters", () =>
    Effect.gen(function* () {
      answers.push({ status: 200, body: "<action><status>complete</status></action>" })
      const result = yield* ok(
        system.vms.vm("123").start({ useCloudInit: true, pause: false, vm: { initialization: { hostName: "web1" } } })
      )
      expect(result).toBeUndefined()
      expect(last().method).toBe("POST")
      expect(pathname(last())).toBe("/ovirt-engine/api/vms/123/start")
      const body = last().body
      expect(body.startsWith("<action>")).toBe(true)
      expect(body).toContain("<use_cloud_init>true</use_cloud_init>")
      expect(body).toContain("<pause>false</pause>")
      expect(body).toContain("<vm><initialization><host_name>web1</host_name></initialization></vm>")
    }))

  it.live("keeps reserved words as member and option names: vm.export({ async })", () =>
    Effect.gen(function* () {
      answers.push({ status: 200, body: "<action><status>complete</status></action>" })
      yield* ok(system.vms.vm("123").export({ async: true, exclusive: true, storageDomain: { name: "export1" } }))
      expect(pathname(last())).toBe("/ovirt-engine/api/vms/123/export")
      expect(last().body).toContain("<async>true</async>")
      expect(last().body).toContain("<storage_domain><name>export1</name></storage_domain>")
    }))

  it.live("fails with FaultError when the action is answered with a fault", () =>
    Effect.gen(function* () {
      answers.push({
        status: 200,
        body: "<action><status>failed</status><fault><reason>Operation Failed</reason><detail>[Cannot start VM]</detail></fault></action>"
      })
      const result = yield* run(system.vms.vm("123").start())
      expect(Either.isLeft(result) && result.left._tag).toBe("FaultError")
      if (Either.isLeft(result) && result.left._tag === "FaultError") {
        expect(result.left.fault).toEqual({ reason: "Operation Failed", detail: "[Cannot start VM]" })
        expect(result.left.message).toContain("Operation Failed")
      }
      answers.push({ status: 400, body: sample("0006.xml") })
      const rejected = yield* run(system.vms.vm("123").stop())
      expect(Either.isLeft(rejected) && rejected.left._tag).toBe("FaultError")
    }))

  it.live("gives an action's single output", () =>
    Effect.gen(function* () {
      answers.push({ status: 200, body: "<action><status>complete</status><ticket><value>abc</value><expiry>120</expiry></ticket></action>" })
      expect(yield* ok(system.vms.vm("123").ticket({ ticket: { expiry: 120 } }))).toEqual({ value: "abc", expiry: 120 })
      answers.push({ status: 200, body: "<action><status>complete</status><is_attached>true</is_attached></action>" })
      expect(yield* ok(system.storageDomains.storageDomain("sd").isAttached({ host: { id: "h1" } }))).toBe(true)
      expect(last().body).toBe(`<action><host id="h1"/></action>`)
    }))

  it.live("fails mandatory-field validation with every missing path, and sends nothing", () =>
    Effect.gen(function* () {
      const result = yield* run(system.vms.addFromScratch({ description: "no name" }))
      expect(Either.isLeft(result) && result.left._tag).toBe("InvalidInputError")
      if (Either.isLeft(result) && result.left._tag === "InvalidInputError") {
        expect(result.left.paths).toEqual(["vm.name", "vm.cluster.id or vm.cluster.name", "vm.template.id or vm.template.name"])
      }
      const snapshot = yield* run(
        system.vms.addFromSnapshot({ name: "n", cluster: { id: "c" }, template: { name: "t" }, snapshots: [{ id: "s1" }, { description: "x" }] })
      )
      expect(Either.isLeft(snapshot) && snapshot.left._tag === "InvalidInputError" && snapshot.left.paths).toEqual(["vm.snapshots[1].id"])
      const fence = yield* run(system.hosts.host("h").fence())
      expect(Either.isLeft(fence) && fence.left._tag === "InvalidInputError" && fence.left.paths).toEqual(["fenceType"])
      expect(server.requests).toEqual([])
    }))

  it.live("rejects values of the wrong type before sending", () =>
    Effect.gen(function* () {
      const max = yield* run(system.vms.list({ max: "10" as unknown as number }))
      expect(Either.isLeft(max) && max.left._tag === "InvalidInputError" && max.left.paths).toEqual(["max"])
      const memory = yield* run(system.vms.add({ name: "n", cluster: { name: "Default" }, template: { name: "Blank" }, memory: "1 GiB" as unknown as number }))
      expect(Either.isLeft(memory) && memory.left._tag === "InvalidInputError" && memory.left.paths).toEqual(["vm.memory"])
      const action = yield* run(system.vms.vm("1").start({ vm: { memory: "x" as unknown as number } }))
      expect(Either.isLeft(action) && action.left._tag === "InvalidInputError" && action.left.paths).toEqual(["vm.memory"])
      expect(server.requests).toEqual([])
    }))

  it.live("adds per-call query parameters and headers", () =>
    Effect.gen(function* () {
      answers.push({ status: 200, body: "<vms/>" })
      yield* ok(system.vms.list({ search: "x", query: { extra: "1", flag: true }, headers: { "X-Custom": "yes" } }))
      expect(query(last()).getAll("extra")).toEqual(["1"])
      expect(query(last()).get("flag")).toBe("true")
      expect(last().headers["x-custom"]).toBe("yes")
    }))

  it.live("sends HostService.upgrade's own timeout parameter in the action", () =>
    Effect.gen(function* () {
      answers.push({ status: 200, body: "<action><status>complete</status></action>" })
      yield* ok(system.hosts.host("h1").upgrade({ timeout: 30, reboot: true }))
      expect(last().body).toContain("<timeout>30</timeout>")
    }))

  it.live("streams a list as the body arrives, and the plain functions take the path first", () =>
    Effect.gen(function* () {
      const vms = Array.from({ length: 500 }, (_, i) => `<vm id="v${i}"><name>vm${i}</name></vm>`).join("")
      answers.push({ status: 200, body: `<vms>${vms}</vms>` })
      const items = yield* ok(Stream.runCollect(VmsService.listStream("vms", { allContent: true })))
      expect(Chunk.size(items)).toBe(500)
      expect(Chunk.unsafeGet(items, 499)).toEqual({ id: "v499", name: "vm499" })
      expect(query(last()).get("all_content")).toBe("true")
      answers.push({ status: 200, body: `<vms>${vms}</vms>` })
      const first = yield* ok(Stream.runCollect(Stream.take(system.vms.listStream(), 3)))
      expect(Chunk.toReadonlyArray(first).map((vm) => vm.id)).toEqual(["v0", "v1", "v2"])
    }))

  it.live("finds refs by path, and names an unknown segment", () =>
    Effect.gen(function* () {
      const ref = yield* service("vms/123/diskattachments")
      expect(ref).toEqual(system.vms.vm("123").diskAttachments)
      const bad = yield* Effect.either(service("vms/123/nonsense/1"))
      expect(Either.isLeft(bad) && bad.left._tag).toBe("InvalidInputError")
      if (Either.isLeft(bad)) {
        expect(bad.left.message).toContain('"nonsense"')
        expect(bad.left.paths).toEqual(["nonsense"])
      }
    }))
})
