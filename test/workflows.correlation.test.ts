/**
 * Correlation ids on the wire (the engine's `Correlation-Id` header), the opt-in retry of 409s that
 * say "locked", and trusting a new engine's CA by its fingerprint: real HTTPS on loopback.
 */
import * as crypto from "node:crypto"
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { Effect, Exit, Layer, Schedule } from "effect"
import { Connection, system, Wait } from "../src/index.js"
import { Simulator } from "../src/testing/index.js"
import { API_ROOT_XML, type FakeEngine, startEngine, USERNAME, PASSWORD } from "./support/FakeEngine.js"
import { sendJson, sendXml, startServer, type TestServer } from "./support/TestServer.js"
import { type RecordedSpan, recordingTracer } from "./support/tracing.js"

const failureOf = <A, E>(exit: Exit.Exit<A, E>): E => {
  if (Exit.isSuccess(exit) || exit.cause._tag !== "Fail") throw new Error(`expected a typed failure, got ${String(exit)}`)
  return exit.cause.error
}

describe("correlation ids", () => {
  let engine: FakeEngine
  beforeAll(async () => {
    engine = await startEngine()
  })
  afterAll(() => engine.close())
  const live = () => Connection.layer({ url: engine.url, username: USERNAME, password: PASSWORD, caCerts: engine.caPem })
  const lastHeader = () => engine.apiRequests().at(-1)?.headers["correlation-id"]

  it.effect("withCorrelationId sends Correlation-Id on every request inside it; the call option replaces it", () =>
    Effect.gen(function* () {
      yield* system.get()
      expect(lastHeader()).toBeUndefined()
      yield* Connection.withCorrelationId("deploy-42")(Effect.gen(function* () {
        yield* system.get()
        expect(lastHeader()).toBe("deploy-42")
        yield* system.get({ correlationId: "just-this" })
        expect(lastHeader()).toBe("just-this")
        yield* system.get()
        expect(lastHeader()).toBe("deploy-42")
      }))
      yield* system.get()
      expect(lastHeader()).toBeUndefined()
    }).pipe(Effect.provide(live())))

  it.effect("the correlation id is an attribute of the call's span", () =>
    Effect.gen(function* () {
      const spans: Array<RecordedSpan> = []
      yield* Connection.withCorrelationId("traced-7")(system.get()).pipe(Effect.withTracer(recordingTracer(spans)))
      yield* system.get().pipe(Effect.withTracer(recordingTracer(spans)))
      const calls = spans.filter((s) => s.name === "ovirt.SystemService.get")
      expect(calls.map((s) => s.attributes.get("ovirt.correlation_id"))).toEqual(["traced-7", undefined])
    }).pipe(Effect.provide(live())))

  it.effect("an id the engine would rewrite is refused before anything is sent", () =>
    Effect.gen(function* () {
      const before = engine.apiRequests().length
      const inside = failureOf(yield* Effect.exit(Connection.withCorrelationId("a b")(system.get())))
      const option = failureOf(yield* Effect.exit(system.get({ correlationId: "x".repeat(51) })))
      expect(inside._tag).toBe("InvalidInputError")
      expect(option._tag).toBe("InvalidInputError")
      expect(option.message).toContain("1 to 50 letters, digits")
      expect(engine.apiRequests().length).toBe(before)
    }).pipe(Effect.provide(live())))
})

describe("jobs by correlation id (simulator)", () => {
  it.effect("Wait.forJob(id) finds the jobs the requests of withCorrelationId started and waits for them", () =>
    Effect.gen(function* () {
      const sim = yield* Simulator.SimulatorTag
      const [down] = yield* system.vms.list({ search: "status=down", max: 1 })
      yield* Connection.withCorrelationId("wf-start-1")(system.vms.vm(down!.id!).start())
      const jobs = yield* Wait.forJob("wf-start-1", {
        schedule: Schedule.recurs(5).pipe(Schedule.tapInput(() => Effect.sync(() => sim.settle())))
      })
      expect(jobs.length).toBeGreaterThan(0)
      expect(jobs.every((j) => j.status === "finished")).toBe(true)
    }).pipe(Effect.provide(Simulator.layer({ seed: "jobs-by-id", timing: { vmStart: 1e9 } }))))
})

describe("retryConflicts", () => {
  const NEVER = 1_000_000_000
  /** Retries at once, finishing the simulator's pending changes before each retry. */
  const settling = (sim: Simulator.Simulator) => Schedule.recurs(3).pipe(Schedule.tapInput(() => Effect.sync(() => sim.settle())))

  it.effect("a 409 'locked' is sent again on the schedule and then succeeds; off by default", () =>
    Effect.gen(function* () {
      const sim = yield* Simulator.SimulatorTag
      const disk = yield* system.disks.add({ name: "scratch", provisionedSize: 1024 ** 3, format: "cow", interface: "virtio_scsi", storageDomains: [{ id: sim.objects("storagedomains").find((sd) => sd.type === "data")!.id as string }] })
      const ref = system.disks.disk(disk.id!)
      const plain = failureOf(yield* Effect.exit(ref.remove()))
      expect(plain._tag === "FaultError" && plain.code).toBe(409)
      const before = sim.stats().requests
      yield* ref.remove({ retryConflicts: settling(sim) })
      expect(sim.stats().requests - before).toBe(2) // the 409, then the remove that worked
      expect(sim.objects("disks").some((d) => d.id === disk.id)).toBe(false)
    }).pipe(Effect.provide(Simulator.layer({ seed: "conflicts", timing: { lock: NEVER } }))))

  it.effect("connection-wide: a lock conflict is retried until the schedule ends and keeps its last fault; other 409s never", () =>
    Effect.gen(function* () {
      const sim = yield* Simulator.SimulatorTag
      const domain = sim.objects("storagedomains").find((sd) => sd.type === "data")!
      const disk = yield* system.disks.add({ name: "locked", provisionedSize: 1024 ** 3, format: "cow", interface: "virtio_scsi", storageDomains: [{ id: domain.id as string }] })
      let before = sim.stats().requests
      const locked = failureOf(yield* Effect.exit(system.disks.disk(disk.id!).remove()))
      expect(sim.stats().requests - before).toBe(4) // once, then the schedule's 3 retries
      expect(locked._tag === "FaultError" && locked.fault?.detail).toContain("Related operation is currently in progress")

      const [down] = yield* system.vms.list({ search: "status=down", max: 1 })
      const vm = system.vms.vm(down!.id!)
      yield* vm.start()
      before = sim.stats().requests
      const running = failureOf(yield* Effect.exit(vm.remove()))
      expect(sim.stats().requests - before).toBe(1)
      expect(running._tag === "FaultError" && running.fault?.detail).toBe("[Cannot remove VM. VM is running.]")
    }).pipe(Effect.provide(Simulator.layer({ seed: "conflicts", timing: { vmStart: NEVER, lock: NEVER }, connection: { retryConflicts: Schedule.recurs(3) } }))))
})

describe("trust in a new engine", () => {
  let server: TestServer
  let fingerprint: string
  beforeAll(async () => {
    server = await startServer((request, response) => {
      const path = request.url.split("?")[0]
      if (path === "/ovirt-engine/services/pki-resource") {
        response.writeHead(200, { "content-type": "application/x-x509-cert" })
        return response.end(server.certificates.caPem)
      }
      if (path === "/ovirt-engine/sso/oauth/token") return sendJson(response, 200, { access_token: "t-1", scope: "ovirt-app-api", exp: "1790000000000", token_type: "bearer" })
      if (path === "/ovirt-engine/services/sso-logout") return sendJson(response, 200, {})
      return sendXml(response, 200, API_ROOT_XML)
    })
    fingerprint = new crypto.X509Certificate(server.certificates.caPem).fingerprint256
  })
  afterAll(() => server.close())
  const api = () => `${server.origin}/ovirt-engine/api`

  it.effect("fetchCaCertificate gives the PEM and its fingerprint; a pin that matches passes, one that does not is an AuthError naming both", () =>
    Effect.gen(function* () {
      const ca = yield* Connection.fetchCaCertificate(api())
      expect(ca.fingerprint).toBe(fingerprint)
      expect(ca.pem.trim()).toBe(server.certificates.caPem.trim())
      const pinned = yield* Connection.fetchCaCertificate(api(), { pin: fingerprint.replace(/:/g, "").toLowerCase() })
      expect(pinned.fingerprint).toBe(fingerprint)
      const wrong = "00".repeat(32)
      const error = failureOf(yield* Effect.exit(Connection.fetchCaCertificate(api(), { pin: wrong })))
      expect(error._tag).toBe("AuthError")
      expect(error.message).toContain(fingerprint)
      expect(error.message).toContain("00:00:00")
      const bad = failureOf(yield* Effect.exit(Connection.fetchCaCertificate(api(), { pin: "abc" })))
      expect(bad._tag).toBe("InvalidInputError")
    }))

  it.effect("Connection.layer({ caFromEngine: { pin } }) trusts the CA before sending credentials; a mismatch sends none", () =>
    Effect.gen(function* () {
      server.requests.length = 0
      const options = { url: api(), username: USERNAME, password: PASSWORD }
      const failed = failureOf(yield* Effect.exit(Effect.scoped(Layer.build(Connection.layer({ ...options, caFromEngine: { pin: "ab".repeat(32) } })))))
      expect(failed._tag).toBe("AuthError")
      expect(server.requests.map((r) => r.url.split("?")[0])).toEqual(["/ovirt-engine/services/pki-resource"])
      expect(server.requests[0]!.headers.authorization).toBeUndefined()
      expect(server.requests[0]!.body).toBe("")

      server.requests.length = 0
      const apiRoot = yield* system.get().pipe(Effect.provide(Connection.layer({ ...options, caFromEngine: { pin: fingerprint } })))
      expect(apiRoot.productInfo?.name).toBe("oVirt Engine")
      const paths = server.requests.map((r) => r.url.split("?")[0])
      expect(paths.slice(0, 3)).toEqual(["/ovirt-engine/services/pki-resource", "/ovirt-engine/sso/oauth/token", "/ovirt-engine/api"])
    }))

  it.effect("against the simulator: the layer pins the CA the simulator serves", () =>
    Effect.gen(function* () {
      const sim = yield* Simulator.make({ seed: "trust" })
      const pin = new crypto.X509Certificate(sim.caPem).fingerprint256
      const options = { url: sim.url, username: sim.username, password: sim.password }
      const api = yield* system.get().pipe(Effect.provide(Connection.layer({ ...options, caFromEngine: { pin } })))
      expect(api.productInfo?.version?.major).toBe(4)
      const before = sim.stats().tokensIssued
      const wrong = failureOf(yield* Effect.exit(system.get().pipe(Effect.provide(Connection.layer({ ...options, caFromEngine: { pin: "12".repeat(32) } })))))
      expect(wrong._tag).toBe("AuthError")
      expect(sim.stats().tokensIssued).toBe(before)
    }).pipe(Effect.scoped))
})
