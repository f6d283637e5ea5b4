/**
 * Wrong-object writes: every id and path segment the SDK builds reaches exactly the one segment it
 * names. Bad ids (`""`, `.`, `..`, non-strings) fail with InvalidInputError and send nothing, through
 * every verb of the ref tree, `service(path)`, `followLink` and `send`; ids holding `/`, `?`, `#`, `%`
 * reach the engine percent-encoded, as one segment. A loopback HTTPS engine records what it receives.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Redacted, Stream } from "effect"
import * as Connection from "../src/services/Connection.js"
import type { OvirtError } from "../src/core/Errors.js"
import { system } from "../src/services/index.js"
import { makeListLink } from "../src/types/ListLink.js"
import { fakeEngine, type FakeEngine, PASSWORD, USERNAME } from "./support/FakeEngine.js"
import { sendXml } from "./support/TestServer.js"

const VM = "123"

/** An engine that answers any API request with a plausible document and records the paths. */
const engine = fakeEngine({
  api: (request, response) => {
    const path = request.url.split("?")[0]!
    if (request.method === "DELETE") return sendXml(response, 200, "")
    if (path.endsWith("/start")) return sendXml(response, 200, "<action><status>complete</status></action>")
    if (path.endsWith("/nics")) return sendXml(response, request.method === "POST" ? 201 : 200, request.method === "POST" ? "<nic id=\"n\"/>" : "<nics/>")
    return sendXml(response, 200, "<vm id=\"1\"/>")
  }
})

const connect = (e: FakeEngine) =>
  Connection.layer({ url: e.url, username: USERNAME, password: Redacted.make(PASSWORD), caCerts: e.caPem })

const apiPaths = (e: FakeEngine) => e.apiRequests().map((r) => `${r.method} ${r.url}`)

const bad: ReadonlyArray<readonly [string, unknown]> = [
  ["empty", ""],
  ["dot", "."],
  ["dot-dot", ".."],
  ["undefined", undefined],
  ["null", null],
  ["an object", { id: "1" }],
  ["a number", 5]
]

/** Every verb through the ref tree, with `id` where an id goes. */
const verbs = (id: unknown): ReadonlyArray<readonly [string, Effect.Effect<unknown, OvirtError, Connection.Connection>]> => {
  const anyId = id as string
  return [
    ["get", system.vms.vm(anyId).get()],
    ["list", system.vms.vm(anyId).nics.list()],
    ["listStream", Stream.runDrain(system.vms.vm(anyId).nics.listStream())],
    ["add", system.vms.vm(anyId).nics.add({ name: "nic1" })],
    ["update", system.vms.vm(anyId).update({ name: "x" })],
    ["remove", system.vms.vm(VM).nics.nic(anyId).remove()],
    ["action", system.vms.vm(anyId).start()]
  ]
}

describe("ids that cannot name one segment", () => {
  for (const [what, id] of bad) {
    it.scoped(`${what}: every verb fails with InvalidInputError and sends nothing`, () =>
      Effect.gen(function* () {
        const e = yield* engine
        for (const [verb, call] of verbs(id)) {
          const error = yield* Effect.flip(Effect.provide(call, connect(e)))
          expect(error._tag, verb).toBe("InvalidInputError")
          expect(error.message, verb).toContain("Nothing was sent")
        }
        // not even the login: the path is refused before a token is needed
        expect(e.server.requests).toEqual([])
      }))
  }

  it.scoped("nic(\"..\").remove() sends nothing, and a good id on the same engine reaches exactly its path", () =>
    Effect.gen(function* () {
      const e = yield* engine
      const error = yield* Effect.flip(Effect.provide(system.vms.vm(VM).nics.nic("..").remove(), connect(e)))
      expect(error._tag).toBe("InvalidInputError")
      expect(error.message).toContain('dot segment ".."')
      expect(apiPaths(e)).toEqual([])
      yield* Effect.provide(system.vms.vm(VM).nics.nic("n1").remove(), connect(e))
      expect(apiPaths(e)).toEqual(["DELETE /ovirt-engine/api/vms/123/nics/n1"])
    }))
})

describe("ids with characters that must be escaped", () => {
  it.scoped("reach the engine as one percent-encoded segment, for every verb", () =>
    Effect.gen(function* () {
      const e = yield* engine
      const id = "a/b?c#d%e\\f ..%2e%2e"
      const escaped = encodeURIComponent(id)
      for (const [verb, call] of verbs(id)) yield* Effect.provide(Effect.asVoid(call), connect(e)).pipe(Effect.orDieWith((x) => new Error(`${verb}: ${x.message}`)))
      expect(apiPaths(e)).toEqual([
        `GET /ovirt-engine/api/vms/${escaped}`,
        `GET /ovirt-engine/api/vms/${escaped}/nics`,
        `GET /ovirt-engine/api/vms/${escaped}/nics`,
        `POST /ovirt-engine/api/vms/${escaped}/nics`,
        `PUT /ovirt-engine/api/vms/${escaped}`,
        `DELETE /ovirt-engine/api/vms/123/nics/${escaped}`,
        `POST /ovirt-engine/api/vms/${escaped}/start`
      ])
    }))

  it.scoped("a dot-like id that is not a dot segment once decoded is sent, escaped", () =>
    Effect.gen(function* () {
      const e = yield* engine
      yield* Effect.provide(system.vms.vm("...").get(), connect(e))
      yield* Effect.provide(system.vms.vm("%2e%2e").get(), connect(e))
      expect(apiPaths(e)).toEqual(["GET /ovirt-engine/api/vms/...", "GET /ovirt-engine/api/vms/%252e%252e"])
    }))
})

describe("service(path)", () => {
  it.effect("refuses dot segments, escaped or not, and paths that are not strings", () =>
    Effect.gen(function* () {
      for (const path of ["vms/..", "vms/.", "vms/%2e%2E/nics", "vms/%2E", "vms/123/nics/..", "vms//nics", 5 as unknown as string]) {
        const error = yield* Effect.flip(Connection.service(path))
        expect(error._tag, String(path)).toBe("InvalidInputError")
      }
      const ref = yield* Connection.service("vms/a%2Fb/nics")
      expect(ref.path).toBe("vms/a%2Fb/nics")
    }))
})

describe("followLink", () => {
  it.scoped("refuses an href that leaves the API root or does not name exactly its segments, sending nothing", () =>
    Effect.gen(function* () {
      const e = yield* engine
      const origin = e.server.origin
      const hrefs = [
        "/ovirt-engine/api/vms/1/nics/..",
        "/ovirt-engine/api/vms/1/nics/%2e%2e",
        "/ovirt-engine/api/vms/./1",
        "/ovirt-engine/api/../api/vms/1",
        "/ovirt-engine/api/vms\\..\\hosts",
        "/ovirt-engine/api/vms//1",
        "//evil.example.com/ovirt-engine/api/vms/1",
        "https://evil.example.com/ovirt-engine/api/vms/1",
        `${origin}/ovirt-engine/api/vms/1#frag`,
        "vms/1",
        "/ovirt-engine/sso/oauth/token"
      ]
      for (const href of hrefs) {
        const error = yield* Effect.flip(Effect.flatMap(Connection.Connection, (c) => c.followLink({ href })).pipe(Effect.provide(connect(e))))
        expect(error._tag, href).toBe("InvalidInputError")
      }
      expect(e.server.requests).toEqual([])
      // a sound href, absolute or not, is followed to exactly its path
      yield* Effect.flatMap(Connection.Connection, (c) =>
        Effect.zip(c.followLink({ href: `${origin}/ovirt-engine/api/vms/1` }), c.followLink(makeListLink([], "/ovirt-engine/api/vms/1/nics?max=2")))
      ).pipe(Effect.provide(connect(e)))
      expect(apiPaths(e)).toEqual(["GET /ovirt-engine/api/vms/1", "GET /ovirt-engine/api/vms/1/nics?max=2"])
    }))
})

describe("send", () => {
  it.scoped("refuses a raw path with a dot segment or a character that must be escaped", () =>
    Effect.gen(function* () {
      const e = yield* engine
      for (const path of ["vms/1/..", "vms/%2E%2E", "vms/a b", "vms/1?x=1", "vms/1#x", "vms\\1", "/vms", "vms/"]) {
        const error = yield* Effect.flip(Effect.flatMap(Connection.Connection, (c) => c.send({ method: "DELETE", path })).pipe(Effect.provide(connect(e))))
        expect(error._tag, path).toBe("InvalidInputError")
      }
      expect(e.server.requests).toEqual([])
    }))
})
