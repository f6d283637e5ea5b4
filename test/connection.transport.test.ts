/**
 * The user's HTTP layer and the one duration rule, over real HTTPS on loopback: middleware given as
 * `transformClient` shapes every request (API and SSO) while the SDK's TLS, timeouts and redaction
 * still apply; W3C `traceparent` carries the current span unless turned off; durations in code need a
 * unit; a service method made before its module loaded imports it once, however often it runs.
 */
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import { describe, expect, expectTypeOf, it } from "@effect/vitest"
import { Config, ConfigProvider, Effect, Logger, LogLevel, Redacted } from "effect"
import type { InvalidInputError } from "../src/core/Errors.js"
import * as Connection from "../src/services/Connection.js"
import { validate } from "../src/core/Options.js"
import { shapes } from "../src/services/generated/tree.js"
import type { ServiceShapeText } from "../src/services/runtime/Metadata.js"
import type { DiskAttachmentsServiceRef } from "../src/services/generated/DiskAttachmentsService.js"
import type { VmNicServiceRef } from "../src/services/generated/VmNicService.js"
import type { SystemServiceRef } from "../src/services/generated/SystemService.js"
import type { VmsServiceRef } from "../src/services/generated/VmsService.js"
import { system } from "../src/services/index.js"
import type { ServiceRef } from "../src/services/ServiceRef.js"
import { API_ROOT_XML, bearerOf, fakeEngine, PASSWORD, unauthorizedHtml, USERNAME } from "./support/FakeEngine.js"
import { sendXml } from "./support/TestServer.js"

const engine = fakeEngine

const optionsFor = (e: { readonly url: string; readonly caPem: string }, extra: Partial<Connection.ConnectionOptions> = {}): Connection.ConnectionOptions => ({
  url: e.url,
  username: USERNAME,
  password: Redacted.make(PASSWORD),
  caCerts: e.caPem,
  ...extra
})

const root = Effect.flatMap(Connection.Connection, (c) => c.send({ method: "GET", path: "" }))

const addSource = (client: HttpClient.HttpClient) => client.pipe(HttpClient.mapRequest(HttpClientRequest.setHeader("X-Request-Source", "cmdb-sync")))

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-0[01]$/

describe("transformClient", () => {
  it.scoped("a middleware's header reaches the engine on the SSO login and on API calls", () =>
    Effect.gen(function* () {
      const e = yield* engine()
      const answer = yield* Effect.provide(root, Connection.layer(optionsFor(e, { transformClient: addSource })))
      expect(answer.status).toBe(200)
      expect(e.ssoRequests()[0]?.headers["x-request-source"]).toBe("cmdb-sync")
      expect(e.apiRequests()[0]?.headers["x-request-source"]).toBe("cmdb-sync")
      // the SDK's own headers are still there
      expect(e.apiRequests()[0]?.headers.version).toBe("4")
      expect(bearerOf(e.apiRequests()[0]!)).toBe("token-1")
    }))

  // live clock: the timeout is real time against a server that never answers
  it.scopedLive("the connection's timeout still bounds a call that goes through the middleware", () =>
    Effect.gen(function* () {
      const e = yield* engine({ api: () => undefined /* never answers */ })
      const seen: Array<string> = []
      const spy = (client: HttpClient.HttpClient) =>
        addSource(client).pipe(HttpClient.tapRequest((request) => Effect.sync(() => void seen.push(String(request.headers["x-request-source"])))))
      // logged in first: the call's own timeout then bounds only the API request
      const error = yield* Effect.provide(
        Effect.flatMap(Connection.Connection, (c) =>
          Effect.zipRight(c.authenticate, Effect.flip(c.send({ method: "GET", path: "", options: { timeout: "300 millis" } })))),
        Connection.layer(optionsFor(e, { transformClient: spy, retry: false }))
      )
      expect(error._tag).toBe("TimeoutError")
      // the SSO login, the API request and the logout on close all went through the middleware
      expect(seen).toEqual(["cmdb-sync", "cmdb-sync", "cmdb-sync"])
    }))

  it.scoped("a middleware that sees every request leaves no secret in the debug log or the errors", () =>
    Effect.gen(function* () {
      const e = yield* engine({
        api: (request, response, engine) => {
          if (!engine.validTokens.has(bearerOf(request) ?? "")) return unauthorizedHtml(response)
          // an engine that echoes the token in a fault
          sendXml(response, 400, `<fault><reason>Bad</reason><detail>token ${bearerOf(request)}</detail></fault>`)
        }
      })
      const lines: Array<string> = []
      const seenByMiddleware: Array<string> = []
      const spy = (client: HttpClient.HttpClient) =>
        client.pipe(HttpClient.tapRequest((request) => Effect.sync(() => void seenByMiddleware.push(request.url))))
      const error = yield* Effect.flip(Effect.provide(root, Connection.layer(optionsFor(e, { transformClient: spy, debug: true })))).pipe(
        Effect.provide(Logger.replace(Logger.defaultLogger, Logger.make(({ message }) => void lines.push(String(message))))),
        Logger.withMinimumLogLevel(LogLevel.Debug)
      )
      expect(error._tag).toBe("FaultError")
      expect(seenByMiddleware.some((url) => url.endsWith("/ovirt-engine/api"))).toBe(true)
      expect(lines.some((line) => line.includes("> GET"))).toBe(true)
      for (const text of [...lines, error.message, JSON.stringify(error)]) {
        for (const secret of [PASSWORD, encodeURIComponent(PASSWORD), "token-1"]) expect(text).not.toContain(secret)
      }
    }))

  it.effect("one that is not a function is refused before anything is sent", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(validate({ url: "https://e/ovirt-engine/api", token: "t", transformClient: "yes" as never }))
      expect(error.message).toContain("transformClient")
    }))
})

describe("trace propagation", () => {
  it.scoped("sends traceparent from the call's span, in the caller's trace, by default", () =>
    Effect.gen(function* () {
      const e = yield* engine()
      const outer = yield* Effect.provide(
        Effect.zipLeft(Effect.orDie(Effect.currentSpan), root),
        Connection.layer(optionsFor(e))
      ).pipe(Effect.withSpan("caller"))
      const header = String(e.apiRequests()[0]?.headers.traceparent ?? "")
      const match = TRACEPARENT.exec(header)
      expect(match, header).not.toBeNull()
      expect(match?.[1]).toBe(outer.traceId)
      // the parent is the SDK's own span of the call, a child of the caller's
      expect(match?.[2]).not.toBe(outer.spanId)
    }))

  it.scoped("sends none with tracePropagation: false, or when the middleware turns it off", () =>
    Effect.gen(function* () {
      const e = yield* engine()
      yield* Effect.provide(root, Connection.layer(optionsFor(e, { tracePropagation: false }))).pipe(Effect.withSpan("caller"))
      yield* Effect.provide(root, Connection.layer(optionsFor(e, { transformClient: HttpClient.withTracerPropagation(false) }))).pipe(Effect.withSpan("caller"))
      expect(e.apiRequests()).toHaveLength(2)
      for (const request of e.apiRequests()) expect(request.headers.traceparent).toBeUndefined()
    }))
})

describe("durations need a unit in code", () => {
  it.effect("a bare number for timeout, connectTimeout or retry.base is refused, saying what to write", () =>
    Effect.gen(function* () {
      const base = { url: "https://e/ovirt-engine/api", token: "t" }
      const timeout = yield* Effect.flip(validate({ ...base, timeout: 60 as never }))
      expect(timeout._tag).toBe("InvalidInputError")
      expect(timeout.message).toBe('`timeout` is a bare number (60) without a unit: write "60 seconds" or "60 millis" (or a Duration).')
      expect((yield* Effect.flip(validate({ ...base, connectTimeout: 5 as never }))).message).toContain('"5 seconds"')
      expect((yield* Effect.flip(validate({ ...base, retry: { base: 200 as never } }))).message).toContain("`retry.base` is a bare number")
      expect((yield* validate({ ...base, timeout: "60 seconds" })).timeoutMillis).toBe(60_000)
    }))

  it.effect("the environment's bare number is seconds, and a unit is taken as written", () =>
    Effect.gen(function* () {
      const read = (timeout: string) =>
        Effect.flatMap(Config.unwrap(Connection.fromEnv), validate).pipe(
          Effect.withConfigProvider(ConfigProvider.fromMap(new Map([["OVIRT_URL", "https://e/ovirt-engine/api"], ["OVIRT_TOKEN", "t"], ["OVIRT_TIMEOUT", timeout]])))
        )
      expect((yield* read("60")).timeoutMillis).toBe(60_000)
      expect((yield* read("500 millis")).timeoutMillis).toBe(500)
    }))

  it.scoped("a call's bare-number timeout fails the call and nothing is sent", () =>
    Effect.gen(function* () {
      const e = yield* engine()
      const error = yield* Effect.flip(Effect.provide(
        Effect.flatMap(Connection.Connection, (c) => c.send({ method: "GET", path: "", options: { timeout: 30 as never } })),
        Connection.layer(optionsFor(e))
      ))
      expect(error._tag).toBe("InvalidInputError")
      expect(error.message).toContain('write "30 seconds"')
      expect(e.apiRequests()).toHaveLength(0)
    }))
})

describe("lazy service modules", () => {
  it.scoped("a method effect made before its module loaded imports it once, however often it runs", () =>
    Effect.gen(function* () {
      // the tree's entry is `[loader, text]`: the loader is swapped for one that counts
      const entry = shapes.ClusterService! as unknown as [ServiceShapeText[0], string]
      const load = entry[0]
      let loads = 0
      entry[0] = () => {
        loads++
        return load()
      }
      yield* Effect.addFinalizer(() => Effect.sync(() => void (entry[0] = load)))
      const e = yield* engine({
        api: (request, response) =>
          request.url.includes("/clusters/") ? sendXml(response, 200, '<cluster id="c1"><name>prod</name></cluster>') : sendXml(response, 200, API_ROOT_XML)
      })
      const get = system.clusters.cluster("c1").get()
      const names = yield* Effect.provide(Effect.map(Effect.replicateEffect(get, 3), (all) => all.map((c) => c.name)), Connection.layer(optionsFor(e)))
      expect(names).toEqual(["prod", "prod", "prod"])
      expect(loads).toBe(1)
    }))
})

describe("Connection.service(path)", () => {
  it.effect("is typed by a literal path of the tree, and gives the same ref as the locators", () =>
    Effect.gen(function* () {
      expectTypeOf(Connection.service("vms/123/diskattachments")).toEqualTypeOf<Effect.Effect<DiskAttachmentsServiceRef, InvalidInputError>>()
      expectTypeOf(Connection.service("/vms/")).toEqualTypeOf<Effect.Effect<VmsServiceRef, InvalidInputError>>()
      expectTypeOf(Connection.service("vms/1/nics/2")).toEqualTypeOf<Effect.Effect<VmNicServiceRef, InvalidInputError>>()
      expectTypeOf(Connection.service("")).toEqualTypeOf<Effect.Effect<SystemServiceRef, InvalidInputError>>()
      // a literal no locator knows has no ref type; a path known at run time is any ServiceRef
      expectTypeOf(Connection.service("nosuchthing")).toEqualTypeOf<Effect.Effect<never, InvalidInputError>>()
      const dynamic: string = "vms"
      expectTypeOf(Connection.service(dynamic)).toEqualTypeOf<Effect.Effect<ServiceRef, InvalidInputError>>()
      const ref = yield* Connection.service("vms/123/diskattachments")
      expect(ref).toEqual(system.vms.vm("123").diskAttachments)
      const error = yield* Effect.flip(Connection.service("nosuchthing"))
      expect(error.message).toContain("nosuchthing")
    }))
})
