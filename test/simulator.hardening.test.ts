/**
 * The simulator cannot be crashed or made to hold unbounded memory, and resolves paths as the engine
 * does: unauthenticated and oversized bodies (as sent and inflated), a failure inside a handler, and
 * dot or empty path segments, each over real HTTPS on loopback and each followed by a normal request
 * that must succeed.
 */
import { describe, expect, it, vi } from "@effect/vitest"
import { Effect } from "effect"
import * as https from "node:https"
import * as zlib from "node:zlib"
import { Simulator } from "../src/testing/index.js"
import type { Hooks } from "../src/simulator/Engine.js"

type Sim = Simulator.Simulator

const MiB = 1024 * 1024

interface Answer {
  readonly status: number
  readonly body: string
  /** Body bytes the client had handed to its socket when the answer's head arrived. */
  readonly sentWhenAnswered: number
}

/**
 * A raw HTTPS request with the path exactly as given (no URL resolution on this side either). The
 * body is `bodySize` bytes of `chunk` repeated, written with back-pressure, so a 300 MiB upload never
 * exists in this process's memory; a write failure after the answer arrived (the server closing a
 * connection whose upload it refused) is expected and ignored.
 */
const send = (
  sim: Sim,
  path: string,
  init: { method?: string; headers?: Record<string, string | number>; body?: Buffer; chunk?: Buffer; bodySize?: number } = {}
) =>
  Effect.async<Answer, Error>((resume) => {
    const url = new URL(sim.url)
    let sent = 0
    let answered = false
    const req = https.request(
      { host: url.hostname, port: url.port, path, method: init.method ?? "GET", headers: init.headers ?? {}, ca: sim.caPem, agent: false },
      (res) => {
        answered = true
        const sentWhenAnswered = sent
        let body = ""
        res.setEncoding("utf8")
        res.on("data", (c: string) => (body += c))
        res.on("end", () => {
          // As a client does once answered: stop sending what the server refused.
          req.destroy()
          resume(Effect.succeed({ status: res.statusCode ?? 0, body, sentWhenAnswered }))
        })
        res.on("error", () => resume(Effect.succeed({ status: res.statusCode ?? 0, body, sentWhenAnswered })))
      }
    )
    req.on("error", (e) => {
      if (!answered) resume(Effect.fail(e))
    })
    if (init.chunk !== undefined && init.bodySize !== undefined) {
      const { chunk, bodySize } = init
      const pump = () => {
        while (!answered && !req.destroyed && sent < bodySize) {
          const piece = chunk.subarray(0, Math.min(chunk.length, bodySize - sent))
          sent += piece.length
          if (!req.write(piece)) return void req.once("drain", pump)
        }
        if (sent >= bodySize || answered) req.end()
      }
      pump()
    } else {
      if (init.body !== undefined) sent = init.body.length
      req.end(init.body)
    }
    return Effect.sync(() => req.destroy())
  })

const bearer = (sim: Sim) =>
  Effect.map(
    send(sim, "/ovirt-engine/sso/oauth/token", {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded", Accept: "application/json" },
      body: Buffer.from(new URLSearchParams({ grant_type: "password", scope: "ovirt-app-api", username: sim.username, password: sim.password }).toString())
    }),
    (a) => ({ Authorization: `Bearer ${(JSON.parse(a.body) as { access_token: string }).access_token}` })
  )

/** The normal request every case ends with: the simulator must still answer it. */
const stillServes = (sim: Sim) =>
  Effect.gen(function* () {
    const auth = yield* bearer(sim)
    const hosts = yield* send(sim, "/ovirt-engine/api/hosts", { headers: auth })
    expect(hosts.status).toBe(200)
    expect(hosts.body).toContain("<hosts>")
  })

const faultDetail = (xml: string) => /<detail>([^<]*)<\/detail>/.exec(xml)?.[1]

describe("Simulator: bounded request bodies", () => {
  it.scoped("an unauthenticated 300 MiB POST is answered 401 before its body is read, and none of it is kept", () =>
    Effect.gen(function* () {
      const sim = yield* Simulator.make({ seed: "hardening" })
      const answer = yield* send(sim, "/ovirt-engine/api/vms", {
        method: "POST",
        headers: { "Content-Type": "application/xml", "Content-Length": 300 * MiB },
        chunk: Buffer.alloc(MiB, "x"),
        bodySize: 300 * MiB
      })
      expect(answer.status).toBe(401)
      // The answer came while the upload was far from done, and the server kept no byte of it.
      expect(answer.sentWhenAnswered).toBeLessThan(100 * MiB)
      expect(sim.stats().bodyBytesPeak).toBe(0)
      yield* stillServes(sim)
    })
  )

  it.scoped("a body over maxRequestBytes is a 413 <fault>, declared or streamed, before the upload ends", () =>
    Effect.gen(function* () {
      const sim = yield* Simulator.make({ seed: "hardening", maxRequestBytes: MiB })
      const auth = yield* bearer(sim)
      const declared = yield* send(sim, "/ovirt-engine/api/vms", {
        method: "POST",
        headers: { ...auth, "Content-Type": "application/xml", "Content-Length": 300 * MiB },
        chunk: Buffer.alloc(MiB, "x"),
        bodySize: 300 * MiB
      })
      expect(declared.status).toBe(413)
      expect(faultDetail(declared.body)).toBe(`The request body is larger than the ${MiB} bytes this engine accepts`)
      expect(declared.sentWhenAnswered).toBeLessThan(100 * MiB)
      // Chunked, with no length announced: refused once the bound is passed.
      const streamed = yield* send(sim, "/ovirt-engine/api/vms", {
        method: "POST",
        headers: { ...auth, "Content-Type": "application/xml", "Transfer-Encoding": "chunked" },
        chunk: Buffer.alloc(64 * 1024, "x"),
        bodySize: 300 * MiB
      })
      expect(streamed.status).toBe(413)
      expect(streamed.sentWhenAnswered).toBeLessThan(100 * MiB)
      expect(sim.stats().tooLarge).toBe(2)
      expect(sim.stats().bodyBytesPeak).toBeLessThanOrEqual(MiB)
      // A body within the bound is still read and answered as before.
      const fine = yield* send(sim, "/ovirt-engine/api/vms", {
        method: "POST",
        headers: { ...auth, "Content-Type": "application/xml" },
        body: Buffer.from("<vm><name>bounded</name><cluster><name>Default</name></cluster><template><name>Blank</name></template></vm>")
      })
      expect(fine.status).toBe(201)
      yield* stillServes(sim)
    })
  )

  it.scoped("a gzip body inflating to 1 GiB is a 413 <fault>; inflating stops at the bound", () =>
    Effect.gen(function* () {
      const sim = yield* Simulator.make({ seed: "hardening" })
      const auth = yield* bearer(sim)
      // Concatenated gzip members inflate to the sum of theirs: 16 x 64 MiB of zeros, ~1 MiB sent.
      const member = zlib.gzipSync(Buffer.alloc(64 * MiB), { level: 9 })
      const bomb = Buffer.concat(Array.from({ length: 16 }, () => member))
      expect(bomb.length).toBeLessThan(2 * MiB)
      const answer = yield* send(sim, "/ovirt-engine/api/vms", {
        method: "POST",
        headers: { ...auth, "Content-Type": "application/xml", "Content-Encoding": "gzip" },
        body: bomb
      })
      expect(answer.status).toBe(413)
      expect(answer.body).toContain("<fault>")
      expect(sim.stats().bodyBytesPeak).toBeLessThanOrEqual(bomb.length + 10 * MiB)
      const broken = yield* send(sim, "/ovirt-engine/api/vms", {
        method: "POST",
        headers: { ...auth, "Content-Type": "application/xml", "Content-Encoding": "gzip" },
        body: Buffer.from("not gzip at all")
      })
      expect(broken.status).toBe(400)
      expect(faultDetail(broken.body)).toBe("The request body is not valid gzip")
      yield* stillServes(sim)
    })
  )

  it.scoped("a failure inside a handler is a 500 <fault> and a line on stderr; the server stays up", () =>
    Effect.gen(function* () {
      const sim = yield* Simulator.make({ seed: "hardening" })
      const engine = sim.state.engine
      const hooks = engine.hooks!
      const failing: Hooks = {
        ...hooks,
        action: () => {
          throw new TypeError("a defect in a behaviour")
        }
      }
      engine.hooks = failing
      const stderr = vi.spyOn(process.stderr, "write").mockImplementation(() => true)
      yield* Effect.addFinalizer(() => Effect.sync(() => stderr.mockRestore()))
      const auth = yield* bearer(sim)
      const vm = sim.objects("vms")[0]
      const answer = yield* send(sim, `/ovirt-engine/api/vms/${String(vm.id)}/start`, {
        method: "POST",
        headers: { ...auth, "Content-Type": "application/xml" },
        body: Buffer.from("<action/>")
      })
      expect(answer.status).toBe(500)
      expect(answer.body).toContain("<fault>")
      expect(answer.body).not.toContain("a defect in a behaviour")
      const lines = stderr.mock.calls.map((c) => String(c[0])).filter((l) => l.includes("internal error"))
      expect(lines).toHaveLength(1)
      expect(lines[0]).toContain(`POST /ovirt-engine/api/vms/${String(vm.id)}/start`)
      expect(lines[0]).toContain("TypeError: a defect in a behaviour")
      expect(sim.stats().internalErrors).toBe(1)
      engine.hooks = hooks
      yield* stillServes(sim)
    })
  )
})

describe("Simulator: a client that goes away", () => {
  it.scoped("a body cut off half way is nobody's failure: no 500, no stderr line, the next request works", () =>
    Effect.gen(function* () {
      const sim = yield* Simulator.make({ seed: "hardening" })
      const auth = yield* bearer(sim)
      const stderr = vi.spyOn(process.stderr, "write")
      yield* Effect.addFinalizer(() => Effect.sync(() => stderr.mockRestore()))
      const url = new URL(sim.url)
      // Announces 1 MiB, sends 64 KiB, then closes; waits until the server has seen the socket go.
      yield* Effect.async<void>((resume) => {
        const req = https.request({
          host: url.hostname,
          port: url.port,
          path: "/ovirt-engine/api/vms",
          method: "POST",
          headers: { ...auth, "Content-Type": "application/xml", "Content-Length": MiB },
          ca: sim.caPem,
          agent: false
        })
        req.on("error", () => undefined)
        req.write(Buffer.alloc(64 * 1024, "x"), () => {
          req.destroy()
          resume(Effect.void)
        })
      })
      while (sim.stats().openConnections > 0) yield* Effect.sleep("10 millis")
      yield* stillServes(sim)
      expect(sim.stats().internalErrors).toBe(0)
      expect(stderr.mock.calls.filter((c) => String(c[0]).includes("internal error"))).toEqual([])
    })
  )
})

describe("Simulator: paths resolve segment by segment, as the engine's", () => {
  it.scoped("a dot segment where an id goes is a malformed id (400), never the parent; empty segments name nothing", () =>
    Effect.gen(function* () {
      const sim = yield* Simulator.make({ seed: "hardening" })
      const auth = yield* bearer(sim)
      const vm = String(sim.objects("vms")[0].id)
      const base = `/ovirt-engine/api/vms/${vm}`
      for (const dots of ["..", ".", "%2e%2e", "%2E%2e", ".%2e", "%2e"]) {
        const remove = yield* send(sim, `${base}/nics/${dots}`, { method: "DELETE", headers: auth })
        expect({ dots, status: remove.status }).toEqual({ dots, status: 400 })
        expect(faultDetail(remove.body)).toBe(`Invalid UUID string: ${decodeURIComponent(dots)}`)
        const get = yield* send(sim, `${base}/nics/${dots}`, { headers: auth })
        expect(get.status).toBe(400)
        expect(get.body).not.toContain("<vm ")
      }
      // `vms/..` reads no other collection, `vms/{id}/..` no VM list, an empty segment no VM.
      expect((yield* send(sim, "/ovirt-engine/api/vms/../hosts", { headers: auth })).status).toBe(400)
      expect((yield* send(sim, `${base}/..`, { headers: auth })).status).toBe(404)
      expect((yield* send(sim, `/ovirt-engine/api/vms//${vm}`, { headers: auth })).status).toBe(404)
      expect((yield* send(sim, `${base}//nics`, { headers: auth })).status).toBe(404)
      // The VM is still there, and a trailing slash still names it.
      expect(sim.objects("vms").some((o) => o.id === vm)).toBe(true)
      const again = yield* send(sim, `${base}/`, { headers: auth })
      expect(again.status).toBe(200)
      expect(again.body).toContain(`<vm id="${vm}" href="/ovirt-engine/api/vms/${vm}">`)
    })
  )
})
