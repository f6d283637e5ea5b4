/**
 * The Connection against a fake engine over real HTTPS on loopback, with certificates made for the
 * run: SSO login and logout, token sharing and renewal, TLS, timeouts, interruption, compression,
 * headers, error mapping, retries and redaction.
 */
import * as fs from "node:fs"
import * as http from "node:http"
import * as net from "node:net"
import * as os from "node:os"
import * as tls from "node:tls"
import * as path from "node:path"
import * as zlib from "node:zlib"
import { Config, ConfigProvider, Duration, Effect, Exit, Fiber, Layer, Logger, LogLevel, Option, Random, Redacted, Scope, Stream, TestClock } from "effect"
import { describe, expect, it } from "@effect/vitest"
import * as Connection from "../src/services/Connection.js"
import * as Http from "../src/core/internal/Http.js"
import type { InvalidInputError, OvirtError } from "../src/core/Errors.js"
import { makeCertificates } from "../src/simulator/Certificates.js"
import { system } from "../src/services/index.js"
import { makeListLink } from "../src/types/ListLink.js"
import {
  API_ROOT_XML,
  bearerOf,
  fakeEngine,
  type FakeEngine,
  PASSWORD,
  unauthorizedHtml,
  USERNAME
} from "./support/FakeEngine.js"
import { eventually, sendHtml, sendJson, sendXml, testServer } from "./support/TestServer.js"
import { type RecordedSpan, recordingTracer } from "./support/tracing.js"

const VERSION = (JSON.parse(fs.readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version: string }).version

const engineFor = fakeEngine

const optionsFor = (engine: FakeEngine, extra: Partial<Connection.ConnectionOptions> = {}): Connection.ConnectionOptions => ({
  url: engine.url,
  username: USERNAME,
  password: Redacted.make(PASSWORD),
  caCerts: engine.caPem,
  ...extra
})

/** Runs `use` with a connection in a scope that closes afterwards (so the logout runs). */
const withConnection = <A, E>(
  options: Connection.ConnectionOptions,
  use: (connection: Connection.ConnectionService) => Effect.Effect<A, E>
): Effect.Effect<A, E | InvalidInputError> => Effect.scoped(Effect.flatMap(Connection.make(options), use))

/** The failure of `use`, which must fail. */
const failureOf = <A>(
  options: Connection.ConnectionOptions,
  use: (connection: Connection.ConnectionService) => Effect.Effect<A, OvirtError>
): Effect.Effect<OvirtError, A | InvalidInputError> => withConnection(options, (c) => Effect.flip(use(c)))

/** A port nothing listens on (it was free a moment ago). */
const freePort = Effect.promise(() =>
  new Promise<number>((resolve) => {
    const probe = net.createServer().listen(0, "127.0.0.1", () => {
      const { port } = probe.address() as net.AddressInfo
      probe.close(() => resolve(port))
    })
  }))

/** `server` listening on loopback for the test's scope: its port; closing destroys the sockets it kept. */
const listening = (server: net.Server, sockets: ReadonlySet<net.Socket> = new Set()): Effect.Effect<number, never, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.promise(() => new Promise<number>((resolve) => server.listen(0, "127.0.0.1", () => resolve((server.address() as net.AddressInfo).port)))),
    () => Effect.promise(() => new Promise<void>((resolve) => {
      for (const socket of sockets) socket.destroy()
      server.close(() => resolve())
    }))
  )

/** A temporary directory for the test's scope. */
const tempDir = Effect.acquireRelease(
  Effect.sync(() => fs.mkdtempSync(path.join(os.tmpdir(), "effect-ovirt-"))),
  (dir) => Effect.sync(() => fs.rmSync(dir, { recursive: true, force: true }))
)

const root = (c: Connection.ConnectionService) => c.send({ method: "GET", path: "" })

const captureLogs = () => {
  const lines: Array<string> = []
  const logger = Logger.make(({ logLevel, message }) => {
    lines.push(`${logLevel.label} ${(Array.isArray(message) ? message : [message]).map(String).join(" ")}`)
  })
  const provide = <A, E>(effect: Effect.Effect<A, E>) =>
    effect.pipe(Effect.provide(Logger.replace(Logger.defaultLogger, logger)), Logger.withMinimumLogLevel(LogLevel.Debug))
  return { lines, provide }
}

describe("SSO login", () => {
  it.scopedLive("posts the password grant as a form with Accept: application/json exactly, then sends the API headers", () =>
    Effect.gen(function* () {
      const engine = yield* engineFor()
      const answer = yield* withConnection(optionsFor(engine), root)
      expect(answer.status).toBe(200)
      expect(answer.body).toContain("<api>")

      const [sso] = engine.ssoRequests()
      expect(sso!.method).toBe("POST")
      expect(sso!.headers.accept).toBe("application/json")
      expect(sso!.headers["content-type"]).toBe("application/x-www-form-urlencoded")
      expect(Object.fromEntries(new URLSearchParams(sso!.body))).toEqual({
        grant_type: "password",
        scope: "ovirt-app-api",
        username: USERNAME,
        password: PASSWORD
      })

      const [api] = engine.apiRequests()
      expect(api!.headers.authorization).toBe("Bearer token-1")
      expect(api!.headers.version).toBe("4")
      expect(api!.headers.accept).toBe("application/xml")
      expect(api!.headers["user-agent"]).toBe(`effect-ovirt/${VERSION}`)
      expect(api!.headers["content-type"]).toBeUndefined()
      expect(api!.headers["all-content"]).toBeUndefined()
    }))

  it.scopedLive("sends Content-Type with a body and All-Content with all_content=true", () =>
    Effect.gen(function* () {
      const engine = yield* engineFor()
      engine.setApi((request, response) => sendXml(response, request.method === "POST" ? 201 : 200, "<vm><name>x</name></vm>"))
      yield* withConnection(optionsFor(engine), (c) =>
        Effect.zip(
          c.send({ method: "POST", path: "vms", body: "<vm><name>x</name></vm>" }),
          c.send({ method: "GET", path: "vms/1", query: [["all_content", "true"]] })
        ))
      const [post, get] = engine.apiRequests()
      expect(post!.headers["content-type"]).toBe("application/xml")
      expect(post!.body).toBe("<vm><name>x</name></vm>")
      expect(get!.url).toBe("/ovirt-engine/api/vms/1?all_content=true")
      expect(get!.headers["all-content"]).toBe("true")
    }))

  it.scopedLive("reads the token from a one-element array answer, under ssoTokenName", () =>
    Effect.gen(function* () {
      const engine = yield* engineFor({
        sso: (_request, response, engine) => {
          engine.validTokens.add("custom-1")
          sendJson(response, 200, [{ id_token: ["custom-1"] }])
        }
      })
      const token = yield* withConnection(optionsFor(engine, { ssoTokenName: "id_token" }), (c) =>
        Effect.zipLeft(c.authenticate, root(c)))
      expect(Redacted.value(token)).toBe("custom-1")
      expect(engine.apiRequests()[0]!.headers.authorization).toBe("Bearer custom-1")
    }))

  it.scopedLive("turns {error_code, error} into an AuthError with the code and text", () =>
    Effect.gen(function* () {
      const engine = yield* engineFor({
        sso: (_r, response) => sendJson(response, 401, { error_code: "access_denied", error: "Cannot authenticate user 'admin@internal': The username or password is incorrect.." })
      })
      const error = yield* failureOf(optionsFor(engine), root)
      expect(error._tag).toBe("AuthError")
      if (error._tag !== "AuthError") return
      expect(error.ssoError).toBe("access_denied")
      expect(error.message).toContain("The username or password is incorrect")
      expect(error.message).not.toContain("user@profile")
      expect(engine.apiRequests()).toHaveLength(0)
    }))

  it.scopedLive("turns {error, error_description} into an AuthError with the code and text", () =>
    Effect.gen(function* () {
      const engine = yield* engineFor({
        sso: (_r, response) => sendJson(response, 400, { error: "invalid_grant", error_description: "The provided authorization grant for the username and password has expired." })
      })
      const error = yield* failureOf(optionsFor(engine), (c) => c.authenticate)
      expect(error._tag).toBe("AuthError")
      if (error._tag !== "AuthError") return
      expect(error.ssoError).toBe("invalid_grant")
      expect(error.message).toContain("authorization grant for the username and password has expired")
    }))

  it.scopedLive("classifies an SSO answer that is not JSON by its status: 503 FaultError, 403 AuthError, 200 DecodeError", () =>
    Effect.gen(function* () {
      let status = 503
      const engine = yield* engineFor({
        sso: (_r, response) => sendHtml(response, status, `<html><body><h1>Service Unavailable</h1> ${PASSWORD}</body></html>`)
      })
      const ssoUrl = `${engine.server.origin}/ovirt-engine/sso/oauth/token`
      const unavailable = yield* failureOf(optionsFor(engine), root)
      expect(unavailable._tag).toBe("FaultError")
      expect(unavailable.message).toContain(ssoUrl)
      expect(unavailable.message).toContain("503")
      expect(unavailable.message).toContain("Service Unavailable")
      expect(unavailable.message).not.toContain("check `url`")
      if (unavailable._tag === "FaultError") expect(unavailable.code).toBe(503)
      status = 403
      const forbidden = yield* failureOf(optionsFor(engine), root)
      expect(forbidden._tag).toBe("AuthError")
      expect(forbidden.message).toContain(ssoUrl)
      status = 200
      const notSso = yield* failureOf(optionsFor(engine), root)
      expect(notSso._tag).toBe("DecodeError")
      expect(notSso.message).toContain("check `url`")
      for (const error of [unavailable, forbidden, notSso]) {
        expect(JSON.stringify(error)).not.toContain(PASSWORD)
        expect(error.message).not.toContain(PASSWORD)
      }
      expect(engine.apiRequests()).toHaveLength(0)
    }))

  it.scopedLive("hints at user@profile when the username has none or the engine says no valid profile", () =>
    Effect.gen(function* () {
      const engine = yield* engineFor({
        sso: (_r, response) => sendJson(response, 400, { error_code: "access_denied", error: "Cannot authenticate user 'admin': No valid profile found in credentials.." })
      })
      const noProfile = yield* failureOf(optionsFor(engine, { username: "admin" }), root)
      expect(noProfile.message).toContain("user@profile")
      expect(noProfile.message).toContain("admin@ovirt@internalsso")
      const saidByEngine = yield* failureOf(optionsFor(engine, { username: "admin@wrong" }), root)
      expect(saidByEngine.message).toContain("user@profile")
    }))

  it.scopedLive("makes one SSO request for 100 concurrent first calls", () =>
    Effect.gen(function* () {
      const engine = yield* engineFor()
      const answers = yield* withConnection(optionsFor(engine), (c) =>
        Effect.all(Array.from({ length: 100 }, () => root(c)), { concurrency: "unbounded" }))
      expect(answers).toHaveLength(100)
      expect(engine.ssoRequests()).toHaveLength(1)
      expect(new Set(engine.apiRequests().map(bearerOf))).toEqual(new Set(["token-1"]))
    }))

  it.scopedLive("keeps the login of a first caller interrupted at once for the next caller", () =>
    Effect.gen(function* () {
      const engine = yield* engineFor({
        sso: (_r, response, engine) => {
          setTimeout(() => {
            engine.validTokens.add(`token-${++engine.issued}`)
            sendJson(response, 200, { access_token: `token-${engine.issued}` })
          }, 200)
        }
      })
      const [first, second] = yield* withConnection(optionsFor(engine), (c) =>
        Effect.zip(Effect.option(Effect.timeout(root(c), "1 millis")), root(c)))
      expect(Option.isNone(first)).toBe(true)
      expect(second.status).toBe(200)
      expect(engine.ssoRequests()).toHaveLength(1)
    }))

  it.scopedLive("shares a failed login too: 100 concurrent calls, one SSO request, 100 AuthErrors", () =>
    Effect.gen(function* () {
      const engine = yield* engineFor({ sso: (_r, response) => sendJson(response, 401, { error: "access_denied", error_description: "no" }) })
      const errors = yield* withConnection(optionsFor(engine), (c) =>
        Effect.all(Array.from({ length: 100 }, () => Effect.flip(root(c))), { concurrency: "unbounded" }))
      expect(errors.every((e) => e._tag === "AuthError")).toBe(true)
      expect(engine.ssoRequests()).toHaveLength(1)
    }))
})

describe("401 and token renewal", () => {
  it.scopedLive("gets a new token once and replays the request once", () =>
    Effect.gen(function* () {
      const engine = yield* engineFor()
      const answer = yield* withConnection(optionsFor(engine), (c) =>
        Effect.gen(function* () {
          yield* c.authenticate
          engine.validTokens.clear() // the engine forgot the session
          return yield* root(c)
        }))
      expect(answer.status).toBe(200)
      expect(engine.ssoRequests()).toHaveLength(2)
      expect(engine.apiRequests().map(bearerOf)).toEqual(["token-1", "token-2"])
    }))

  it.scopedLive("fails with an AuthError on a second 401, whatever the body (HTML here)", () =>
    Effect.gen(function* () {
      const engine = yield* engineFor({ api: (_r, response) => unauthorizedHtml(response) })
      const error = yield* failureOf(optionsFor(engine), (c) => c.send({ method: "GET", path: "vms", query: [["search", "name=a"]] }))
      expect(error._tag).toBe("AuthError")
      if (error._tag !== "AuthError") return
      expect(error.code).toBe(401)
      expect(error.method).toBe("GET")
      expect(error.path).toBe("vms?search=name%3Da")
      expect(engine.apiRequests()).toHaveLength(2)
      expect(engine.ssoRequests()).toHaveLength(2)
    }))

  it.scopedLive("maps 403 to AuthError", () =>
    Effect.gen(function* () {
      const engine = yield* engineFor({
        api: (_r, response) => sendXml(response, 403, "<fault><reason>Operation Failed</reason><detail>[User is not authorized to perform this action.]</detail></fault>")
      })
      const error = yield* failureOf(optionsFor(engine), root)
      expect(error._tag).toBe("AuthError")
      if (error._tag !== "AuthError") return
      expect(error.code).toBe(403)
      expect(error.fault?.detail).toBe("[User is not authorized to perform this action.]")
      expect(engine.apiRequests()).toHaveLength(1)
    }))
})

describe("logout", () => {
  it.scopedLive("revokes the token it obtained when the scope closes", () =>
    Effect.gen(function* () {
      const engine = yield* engineFor()
      yield* withConnection(optionsFor(engine), root)
      const [logout] = engine.logoutRequests()
      expect(engine.logoutRequests()).toHaveLength(1)
      expect(logout!.method).toBe("POST")
      expect(logout!.headers.accept).toBe("application/json")
      expect(Object.fromEntries(new URLSearchParams(logout!.body))).toEqual({ scope: "ovirt-app-api", token: "token-1" })
      expect(engine.validTokens.size).toBe(0)
    }))

  it.scopedLive("does not log in or out with a token given by the user", () =>
    Effect.gen(function* () {
      const engine = yield* engineFor()
      engine.validTokens.add("user-token")
      yield* withConnection({ url: engine.url, token: "user-token", caCerts: engine.caPem }, root)
      expect(engine.ssoRequests()).toHaveLength(0)
      expect(engine.logoutRequests()).toHaveLength(0)
      expect(engine.apiRequests()[0]!.headers.authorization).toBe("Bearer user-token")
    }))

  it.scopedLive("fails with AuthError when a user token is refused and there are no credentials", () =>
    Effect.gen(function* () {
      const engine = yield* engineFor()
      const error = yield* failureOf({ url: engine.url, token: "stale-token", caCerts: engine.caPem }, root)
      expect(error._tag).toBe("AuthError")
      expect(engine.ssoRequests()).toHaveLength(0)
    }))

  it.scopedLive("does not revoke with logoutOnClose: false", () =>
    Effect.gen(function* () {
      const engine = yield* engineFor()
      yield* withConnection(optionsFor(engine, { logoutOnClose: false }), root)
      expect(engine.ssoRequests()).toHaveLength(1)
      expect(engine.logoutRequests()).toHaveLength(0)
    }))

  it.scoped("closes within 10 s when the logout never answers, with a warning", () =>
    Effect.gen(function* () {
      const engine = yield* engineFor({ logout: () => undefined /* accepts the POST, never answers */ })
      const logs = captureLogs()
      // the test clock stands in for the 10 s; the server and the sockets are real
      const outcome = yield* logs.provide(Effect.gen(function* () {
        const scope = yield* Scope.make()
        const c = yield* Scope.extend(Connection.make(optionsFor(engine)), scope)
        yield* root(c)
        const closing = yield* Effect.fork(Scope.close(scope, Exit.void))
        yield* Effect.promise(() => eventually(() => engine.logoutRequests().length === 1))
        yield* TestClock.adjust("9999 millis")
        const early = yield* Fiber.poll(closing)
        yield* TestClock.adjust("1 millis")
        const closed = yield* Effect.promise(() => Promise.race([
          Effect.runPromise(Fiber.await(closing)).then(() => "closed"),
          new Promise<string>((resolve) => setTimeout(() => resolve("hung"), 5_000))
        ]))
        return { early: Option.isSome(early), closed }
      }))
      expect(outcome).toEqual({ early: false, closed: "closed" })
      expect(logs.lines.some((line) => line.startsWith("WARN") && line.includes("did not answer within 10000 ms"))).toBe(true)
    }))

  it.scopedLive("bounds the logout by a shorter timeout", () =>
    Effect.gen(function* () {
      const engine = yield* engineFor({ logout: () => undefined })
      const logs = captureLogs()
      yield* logs.provide(Effect.scoped(Effect.flatMap(Connection.make(optionsFor(engine, { timeout: "200 millis" })), root)))
      expect(engine.logoutRequests()).toHaveLength(1)
      expect(logs.lines.some((line) => line.startsWith("WARN") && line.includes("Revoking the SSO token failed"))).toBe(true)
    }))

  it.scopedLive("logs in and out at a custom ssoUrl and ssoRevokeUrl, on another host", () =>
    Effect.gen(function* () {
      const engine = yield* engineFor()
      const sso = yield* testServer((request, response) => {
        if (request.url === "/auth/token") {
          engine.validTokens.add("custom-token")
          return sendJson(response, 200, { access_token: "custom-token" })
        }
        if (request.url === "/auth/logout") return sendJson(response, 200, {})
        response.writeHead(404).end()
      })
      yield* withConnection(optionsFor(engine, {
        caCerts: [engine.caPem, sso.certificates.caPem],
        ssoUrl: `${sso.origin}/auth/token`,
        ssoRevokeUrl: `${sso.origin}/auth/logout`
      }), root)
      expect(sso.requests.map((r) => r.url)).toEqual(["/auth/token", "/auth/logout"])
      expect(Object.fromEntries(new URLSearchParams(sso.requests[0]!.body))).toMatchObject({ grant_type: "password", username: USERNAME })
      expect(Object.fromEntries(new URLSearchParams(sso.requests[1]!.body))).toEqual({ scope: "ovirt-app-api", token: "custom-token" })
      expect(engine.ssoRequests()).toHaveLength(0)
      expect(engine.logoutRequests()).toHaveLength(0)
      expect(engine.apiRequests()[0]!.headers.authorization).toBe("Bearer custom-token")
    }))

  it.scopedLive("logs a failed revoke and still closes", () =>
    Effect.gen(function* () {
      const engine = yield* engineFor({ logout: (_r, response) => sendJson(response, 400, { error: "invalid_request", error_description: "bad token" }) })
      const logs = captureLogs()
      yield* logs.provide(Effect.scoped(Effect.flatMap(Connection.make(optionsFor(engine)), root)))
      expect(engine.logoutRequests()).toHaveLength(1)
      expect(logs.lines.some((line) => line.startsWith("WARN") && line.includes("invalid_request"))).toBe(true)
    }))
})

describe("TLS and connecting", () => {
  it.scopedLive("fails with a ConnectionError naming an unknown CA (also while logging in)", () =>
    Effect.gen(function* () {
      const engine = yield* engineFor()
      const error = yield* failureOf(optionsFor(engine, { caCerts: makeCertificates().caPem }), root)
      expect(error._tag).toBe("ConnectionError")
      if (error._tag !== "ConnectionError") return
      expect(error.reason).toBe("UNABLE_TO_VERIFY_LEAF_SIGNATURE")
      expect(error.message).toContain("unknown CA")
      expect(error.message).toContain("caFile")
    }))

  it.scopedLive("names an expired certificate and a name mismatch", () =>
    Effect.gen(function* () {
      const base = makeCertificates()
      const expired = yield* engineFor({ certificates: makeCertificates({ ca: base, expired: true }) })
      const otherName = yield* engineFor({ certificates: makeCertificates({ ca: base, hosts: ["engine.example.com"] }) })
      const e1 = yield* failureOf(optionsFor(expired, { caCerts: base.caPem }), root)
      expect(e1._tag).toBe("ConnectionError")
      expect(e1.message).toContain("expired")
      const e2 = yield* failureOf(optionsFor(otherName, { caCerts: base.caPem }), root)
      expect(e2._tag).toBe("ConnectionError")
      expect(e2.message).toContain("name mismatch")
    }))

  it.scopedLive("trusts the system's CAs by default, and not the test CA", () =>
    Effect.gen(function* () {
      const bundle = "/etc/ssl/certs/ca-certificates.crt"
      if (fs.existsSync(bundle)) {
        // Node's own CAs plus the system's
        expect(Http.systemCertificates()?.length ?? 0).toBeGreaterThan(tls.rootCertificates.length)
      }
      const engine = yield* engineFor()
      const { caCerts: _drop, ...rest } = optionsFor(engine)
      const error = yield* failureOf(rest, root)
      expect(error._tag).toBe("ConnectionError")
      expect(error.message).toContain("unknown CA")
    }))

  it.scopedLive("trusts the CA of caFile", () =>
    Effect.gen(function* () {
      const engine = yield* engineFor()
      const dir = yield* tempDir
      const caFile = path.join(dir, "ca.pem")
      fs.writeFileSync(caFile, engine.caPem)
      const { caCerts: _drop, ...rest } = optionsFor(engine)
      const answer = yield* withConnection({ ...rest, caFile }, root)
      expect(answer.status).toBe(200)
    }))

  it.scopedLive("skips verification with insecure: true, with one warning", () =>
    Effect.gen(function* () {
      const engine = yield* engineFor()
      const logs = captureLogs()
      const { caCerts: _drop, ...rest } = optionsFor(engine)
      const answer = yield* logs.provide(Effect.scoped(
        Effect.flatMap(Connection.make({ ...rest, insecure: true }), (c) => Effect.zipRight(root(c), root(c)))
      ))
      expect(answer.status).toBe(200)
      expect(logs.lines.filter((line) => line.startsWith("WARN") && line.includes("insecure"))).toHaveLength(1)
    }))

  it.scopedLive("fails with a ConnectionError on a refused port", () =>
    Effect.gen(function* () {
      const port = yield* freePort
      const error = yield* failureOf({ url: `https://127.0.0.1:${port}/ovirt-engine/api`, username: USERNAME, password: PASSWORD }, root)
      expect(error._tag).toBe("ConnectionError")
      if (error._tag !== "ConnectionError") return
      expect(error.reason).toBe("ECONNREFUSED")
      expect(error.message).toContain("refused")
    }))
})

describe("pool and proxy", () => {
  it.scopedLive("keeps to `connections` sockets", () =>
    Effect.gen(function* () {
      const engine = yield* engineFor()
      let most = 0
      engine.setApi((_r, response) => {
        most = Math.max(most, engine.server.openSockets())
        setImmediate(() => sendXml(response, 200, API_ROOT_XML))
      })
      yield* withConnection(optionsFor(engine, { connections: 1 }), (c) =>
        Effect.all(Array.from({ length: 8 }, () => root(c)), { concurrency: "unbounded" }))
      expect(engine.apiRequests()).toHaveLength(8)
      expect(most).toBe(1)
    }))

  it.scopedLive("goes through an HTTP CONNECT proxy", () =>
    Effect.gen(function* () {
      const engine = yield* engineFor()
      const tunnels: Array<string> = []
      const proxy = http.createServer((_req, res) => res.writeHead(405).end())
      const sockets = new Set<net.Socket>()
      proxy.on("connect", (req: http.IncomingMessage, client: net.Socket, head: Buffer) => {
        tunnels.push(req.url ?? "")
        const [host, port] = (req.url ?? "").split(":")
        const upstream = net.connect(Number(port), host, () => {
          client.write("HTTP/1.1 200 Connection Established\r\n\r\n")
          upstream.write(head)
          upstream.pipe(client)
          client.pipe(upstream)
        })
        sockets.add(upstream).add(client)
        upstream.on("error", () => client.destroy())
        client.on("error", () => upstream.destroy())
      })
      const port = yield* listening(proxy, sockets)
      const answer = yield* withConnection(optionsFor(engine, { proxy: `http://127.0.0.1:${port}` }), root)
      expect(answer.status).toBe(200)
      expect(tunnels).toContain(`127.0.0.1:${engine.server.port}`)
    }))

  it.scopedLive("fails with a ConnectionError naming the proxy when it refuses the tunnel", () =>
    Effect.gen(function* () {
      const engine = yield* engineFor()
      const proxy = http.createServer()
      proxy.on("connect", (_req: http.IncomingMessage, socket: net.Socket) => {
        socket.end("HTTP/1.1 407 Proxy Authentication Required\r\n\r\n")
      })
      const port = yield* listening(proxy)
      const error = yield* failureOf(optionsFor(engine, { proxy: `http://127.0.0.1:${port}` }), root)
      expect(error._tag).toBe("ConnectionError")
      if (error._tag !== "ConnectionError") return
      expect(error.reason).toBe("PROXY")
      expect(error.message).toContain("407")
    }))

  it.scopedLive("bounds the proxy hop with connectTimeout: a proxy that never answers the CONNECT is a connect TimeoutError", () =>
    Effect.gen(function* () {
      const engine = yield* engineFor()
      const silent = http.createServer()
      const sockets = new Set<net.Socket>()
      silent.on("connect", (_req: http.IncomingMessage, socket: net.Socket) => void sockets.add(socket)) // never answers
      const port = yield* listening(silent, sockets)
      // the phase says connectTimeout fired (the call's own timeout would say another); the guard only stops a hang
      const error = yield* failureOf(optionsFor(engine, { proxy: `http://127.0.0.1:${port}`, connectTimeout: "300 millis", retry: false }), root).pipe(
        Effect.timeoutTo({ duration: "60 seconds", onSuccess: (error): OvirtError | "hung" => error, onTimeout: () => "hung" as const })
      )
      expect(error).not.toBe("hung")
      if (error === "hung") return
      expect(error._tag).toBe("TimeoutError")
      if (error._tag !== "TimeoutError") return
      expect(error.phase).toBe("connect")
      expect(error.message).toContain(`127.0.0.1:${port}`)
      expect(sockets.size).toBe(1)
    }))

  it.scopedLive("fails with a connect TimeoutError when the TLS handshake never completes", () =>
    Effect.gen(function* () {
      const silent = net.createServer(() => undefined)
      const sockets = new Set<net.Socket>()
      silent.on("connection", (socket) => sockets.add(socket))
      const port = yield* listening(silent, sockets)
      const error = yield* failureOf({ url: `https://127.0.0.1:${port}/ovirt-engine/api`, username: USERNAME, password: PASSWORD, connectTimeout: "200 millis" }, root)
      expect(error._tag).toBe("TimeoutError")
      if (error._tag !== "TimeoutError") return
      expect(error.phase).toBe("connect")
    }))
})

describe("timeouts and interruption", () => {
  it.scopedLive("fails a slow call after login with a TimeoutError", () =>
    Effect.gen(function* () {
      const engine = yield* engineFor({ api: () => undefined /* never answers */ })
      const error = yield* failureOf(optionsFor(engine, { timeout: "300 millis" }), root)
      expect(error._tag).toBe("TimeoutError")
      if (error._tag !== "TimeoutError") return
      expect(error.phase).toBe("request")
      expect(error.method).toBe("GET")
      expect(engine.ssoRequests()).toHaveLength(1)
      expect(yield* Effect.promise(() => eventually(() => engine.server.inFlight() === 0))).toBe(true)
    }))

  it.scopedLive("lets a call's own timeout override the connection's", () =>
    Effect.gen(function* () {
      const engine = yield* engineFor({ api: () => undefined })
      const error = yield* failureOf(optionsFor(engine), (c) =>
        c.send({ method: "GET", path: "vms", options: { timeout: "200 millis" } }))
      expect(error._tag).toBe("TimeoutError")
    }))

  it.scopedLive("lets a call's own timeout lift or lengthen the connection's, and refuses one that is not a duration", () =>
    Effect.gen(function* () {
      const engine = yield* engineFor()
      engine.setApi((_r, response) => void setTimeout(() => sendXml(response, 200, API_ROOT_XML), 400))
      const [unlimited, longer, connectionWide, monthLong] = yield* withConnection(optionsFor(engine, { timeout: "200 millis" }), (c) =>
        Effect.all([
          c.send({ method: "GET", path: "", options: { timeout: Duration.infinity } }),
          c.send({ method: "GET", path: "", options: { timeout: "5 seconds" } }),
          Effect.flip(root(c)),
          // past what a Node timer holds (about 24.8 days): no limit in practice, never a timer that fires at once
          c.send({ method: "GET", path: "", options: { timeout: "30 days" } })
        ]))
      expect(unlimited.status).toBe(200)
      expect(longer.status).toBe(200)
      expect(monthLong.status).toBe(200)
      expect(connectionWide._tag).toBe("TimeoutError")
      const sent = engine.apiRequests().length
      const [soon, zero, streamed] = yield* withConnection(optionsFor(engine), (c) =>
        Effect.all([
          Effect.flip(c.send({ method: "GET", path: "", options: { timeout: "soon" as never } })),
          Effect.flip(c.send({ method: "GET", path: "", options: { timeout: 0 as never } })),
          Effect.flip(Stream.runDrain(c.sendStream({ method: "GET", path: "vms", options: { timeout: "soon" as never } })))
        ]))
      for (const error of [soon, zero, streamed]) expect(error._tag).toBe("InvalidInputError")
      expect(soon.message).toContain("timeout")
      expect(engine.apiRequests()).toHaveLength(sent)
    }))

  // a buffered call reads its body in the same wait as the headers: a stall there is bounded all the same
  it.scopedLive("fails a call whose body stalls after the headers with a TimeoutError, and frees the socket", () =>
    Effect.gen(function* () {
      const engine = yield* engineFor()
      engine.setApi((_r, response) => {
        response.writeHead(200, { "content-type": "application/xml" })
        response.write("<api><product_info>") // and never the rest
      })
      yield* withConnection(optionsFor(engine, { timeout: "300 millis" }), (c) =>
        Effect.gen(function* () {
          const error = yield* Effect.flip(root(c))
          expect(error._tag).toBe("TimeoutError")
          if (error._tag !== "TimeoutError") return
          expect(error.phase).toBe("request")
          expect(error.path).toBe("")
          // while the connection is open: the stalled request itself was aborted
          expect(yield* Effect.promise(() => eventually(() => engine.server.inFlight() === 0))).toBe(true)
        }))
    }))

  it.scopedLive("aborts the request and frees the socket when the fiber is interrupted", () =>
    Effect.gen(function* () {
      const engine = yield* engineFor()
      yield* withConnection(optionsFor(engine), (c) =>
        Effect.gen(function* () {
          yield* c.authenticate
          engine.setApi(() => undefined) // hold every API request
          const fiber = yield* Effect.fork(root(c))
          yield* Effect.promise(() => eventually(() => engine.server.inFlight() === 1))
          const exit = yield* Fiber.interrupt(fiber)
          expect(Exit.isInterrupted(exit)).toBe(true)
          // the server sees the request's connection closed
          expect(yield* Effect.promise(() => eventually(() => engine.server.inFlight() === 0))).toBe(true)
        }))
    }))
})

describe("streams", () => {
  const trickle = (engine: FakeEngine) =>
    engine.setApi((_r, response) => {
      response.writeHead(200, { "content-type": "application/xml" })
      response.write("<vms><vm id=\"1\"/>") // and never the rest
    })

  it.scopedLive("stopping a stream early aborts the request and frees the socket", () =>
    Effect.gen(function* () {
      const engine = yield* engineFor()
      trickle(engine)
      yield* withConnection(optionsFor(engine), (c) =>
        Effect.gen(function* () {
          const first = yield* c.sendStream({ method: "GET", path: "vms" }).pipe(Stream.take(1), Stream.runCollect)
          expect(first.length).toBe(1)
          expect(yield* Effect.promise(() => eventually(() => engine.server.inFlight() === 0))).toBe(true)
        }))
    }))

  it.scopedLive("bounds a stream with the timeout", () =>
    Effect.gen(function* () {
      const engine = yield* engineFor()
      trickle(engine)
      const error = yield* failureOf(optionsFor(engine), (c) =>
        Stream.runDrain(c.sendStream({ method: "GET", path: "vms", options: { timeout: "300 millis" } })))
      expect(error._tag).toBe("TimeoutError")
    }))
})

describe("HTTP details", () => {
  it.scopedLive("asks for gzip and decodes gzip and deflate answers", () =>
    Effect.gen(function* () {
      const engine = yield* engineFor()
      let encoding: "gzip" | "deflate" = "gzip"
      engine.setApi((request, response) => {
        const body = encoding === "gzip" ? zlib.gzipSync(API_ROOT_XML) : zlib.deflateSync(API_ROOT_XML)
        response.writeHead(200, { "content-type": "application/xml", "content-encoding": encoding, "content-length": body.length })
        response.end(body)
      })
      const [gzip, deflate] = yield* withConnection(optionsFor(engine), (c) =>
        Effect.gen(function* () {
          const a = yield* root(c)
          encoding = "deflate"
          const b = yield* root(c)
          return [a, b] as const
        }))
      expect(engine.apiRequests()[0]!.headers["accept-encoding"]).toContain("gzip")
      expect(gzip.body).toBe(API_ROOT_XML)
      expect(deflate.body).toBe(API_ROOT_XML)
    }))

  it.scopedLive("does not ask for compression with compress: false", () =>
    Effect.gen(function* () {
      const engine = yield* engineFor()
      yield* withConnection(optionsFor(engine, { compress: false }), root)
      expect(engine.apiRequests()[0]!.headers["accept-encoding"]).toBe("identity")
    }))

  it.scopedLive("lets per-call headers replace connection-wide ones, and neither replace the SDK's", () =>
    Effect.gen(function* () {
      const engine = yield* engineFor()
      yield* withConnection(
        optionsFor(engine, { headers: { "X-Conn": "conn", "X-Both": "conn", Accept: "text/plain", authorization: "Basic eA==" } }),
        (c) => c.send({ method: "GET", path: "", options: { headers: { "x-both": "call", "Prefer": "persistent-auth", Version: "3" } } })
      )
      const headers = engine.apiRequests()[0]!.headers
      expect(headers["x-conn"]).toBe("conn")
      expect(headers["x-both"]).toBe("call")
      expect(headers.prefer).toBe("persistent-auth")
      expect(headers.accept).toBe("application/xml")
      expect(headers.version).toBe("4")
      expect(headers.authorization).toBe("Bearer token-1")
    }))

  it.scopedLive("refuses invalid and hop-by-hop headers, per call and connection-wide, before sending", () =>
    Effect.gen(function* () {
      const engine = yield* engineFor()
      const perCall = yield* withConnection(optionsFor(engine), (c) =>
        Effect.all([
          { "X-Evil": "a\r\nX-Injected: 1" },
          { "Bad Name": "x" },
          { "X-Count": 3 as unknown as string },
          { "Transfer-Encoding": "chunked" },
          { connection: "close" },
          { Host: "elsewhere.example.com" },
          { "Content-Length": "0" }
        ].map((headers) => Effect.flip(c.send({ method: "GET", path: "", options: { headers } })))))
      for (const error of perCall) expect(error._tag).toBe("InvalidInputError")
      expect(perCall[3]!.message).toContain("Transfer-Encoding")
      expect(engine.apiRequests()).toHaveLength(0)
      for (const headers of [{ "Keep-Alive": "timeout=5" }, { TE: "trailers" }, { "X-Evil": "a\nb" }]) {
        const error = yield* Effect.scoped(Effect.flip(Connection.make(optionsFor(engine, { headers }))))
        expect(error._tag).toBe("InvalidInputError")
      }
    }))

  it.scopedLive("adds the call's query parameters after the method's own", () =>
    Effect.gen(function* () {
      const engine = yield* engineFor()
      engine.setApi((_r, response) => sendXml(response, 200, "<vms/>"))
      yield* withConnection(optionsFor(engine), (c) =>
        c.send({ method: "GET", path: "vms", query: [["search", "name=web*"]], options: { query: { max: 10, follow: "nics" } } }))
      expect(engine.apiRequests()[0]!.url).toBe("/ovirt-engine/api/vms?search=name%3Dweb*&max=10&follow=nics")
    }))

  it.scopedLive("streams a body after checking the status", () =>
    Effect.gen(function* () {
      const engine = yield* engineFor()
      engine.setApi((_r, response) => {
        response.writeHead(200, { "content-type": "application/xml" })
        response.write("<vms>")
        response.end("<vm id=\"1\"/></vms>")
      })
      const text = yield* withConnection(optionsFor(engine), (c) =>
        c.sendStream({ method: "GET", path: "vms" }).pipe(Stream.decodeText(), Stream.mkString))
      expect(text).toBe("<vms><vm id=\"1\"/></vms>")
      engine.setApi((_r, response) => sendXml(response, 404, "<fault><reason>Not Found</reason></fault>"))
      const error = yield* failureOf(optionsFor(engine), (c) => Stream.runDrain(c.sendStream({ method: "GET", path: "vms/9" })))
      expect(error._tag).toBe("NotFoundError")
    }))
})

describe("errors from answers", () => {
  it.scopedLive("does not follow redirects: a 302 is a FaultError", () =>
    Effect.gen(function* () {
      const engine = yield* engineFor()
      engine.setApi((_r, response) => {
        response.writeHead(302, { location: "https://elsewhere.example.com/", "content-length": 0 })
        response.end()
      })
      const error = yield* failureOf(optionsFor(engine), root)
      expect(error._tag).toBe("FaultError")
      if (error._tag !== "FaultError") return
      expect(error.code).toBe(302)
    }))

  it.scopedLive("gives a DecodeError with a hint when a 200 answer is HTML and the url path is not /ovirt-engine/api", () =>
    Effect.gen(function* () {
      const engine = yield* engineFor({ apiPath: "/ovirt-engine" })
      engine.setApi((_r, response) => sendHtml(response, 200, "<html><body>Welcome to oVirt</body></html>"))
      const error = yield* failureOf(optionsFor(engine), root)
      expect(error._tag).toBe("DecodeError")
      expect(error.message).toContain("HTML")
      expect(error.message).toContain("/ovirt-engine/api")
    }))

  it.scopedLive("says JSON when a 200 answer is JSON", () =>
    Effect.gen(function* () {
      const engine = yield* engineFor()
      engine.setApi((_r, response) => sendJson(response, 200, { vms: [] }))
      const error = yield* failureOf(optionsFor(engine), root)
      expect(error._tag).toBe("DecodeError")
      expect(error.message).toContain("JSON")
    }))

  it.scopedLive("gives a FaultError with the engine's reason and detail on 409", () =>
    Effect.gen(function* () {
      const engine = yield* engineFor()
      engine.setApi((_r, response) => sendXml(response, 409, `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
  <fault><detail>[Cannot add VM. The given name is already in use.]</detail><reason>Operation Failed</reason></fault>`))
      const error = yield* failureOf(optionsFor(engine), (c) => c.send({ method: "POST", path: "vms", body: "<vm/>" }))
      expect(error._tag).toBe("FaultError")
      if (error._tag !== "FaultError") return
      expect(error.code).toBe(409)
      expect(error.method).toBe("POST")
      expect(error.path).toBe("vms")
      expect(error.fault).toEqual({ reason: "Operation Failed", detail: "[Cannot add VM. The given name is already in use.]" })
      expect(error.message).toContain("name is already in use")
    }))

  it.scopedLive("reads the fault of a failed action", () =>
    Effect.gen(function* () {
      const engine = yield* engineFor()
      engine.setApi((_r, response) => sendXml(response, 400, "<action><status>failed</status><fault><reason>Operation Failed</reason><detail>[VM is running.]</detail></fault></action>"))
      const error = yield* failureOf(optionsFor(engine), (c) => c.send({ method: "POST", path: "vms/1/start", body: "<action/>" }))
      expect(error._tag).toBe("FaultError")
      if (error._tag !== "FaultError") return
      expect(error.fault?.detail).toBe("[VM is running.]")
    }))

  it.scopedLive("gives a NotFoundError on 404", () =>
    Effect.gen(function* () {
      const engine = yield* engineFor()
      engine.setApi((_r, response) => sendXml(response, 404, "<fault><reason>Operation Failed</reason><detail>Entity not found: 123</detail></fault>"))
      const error = yield* failureOf(optionsFor(engine), (c) => c.send({ method: "GET", path: "vms/123" }))
      expect(error._tag).toBe("NotFoundError")
      if (error._tag !== "NotFoundError") return
      expect(error.code).toBe(404)
      expect(error.path).toBe("vms/123")
      expect(error.fault?.detail).toBe("Entity not found: 123")
    }))
})

describe("error paths", () => {
  it.scopedLive("gives every error of one call the same path: below the API root, query included, secrets removed", () =>
    Effect.gen(function* () {
      const engine = yield* engineFor()
      let answer: (response: http.ServerResponse) => void = () => undefined
      engine.setApi((request, response, engine) => {
        if (!engine.validTokens.has(bearerOf(request) ?? "")) return unauthorizedHtml(response)
        answer(response)
      })
      const call = system.vms.list({ search: "name=web", query: { password: "hunter22" } })
      const layer = Connection.layer(optionsFor(engine, { retry: false, timeout: "2 seconds" }))
      const failure = (respond: (response: http.ServerResponse) => void) => {
        answer = respond
        return Effect.flip(call).pipe(Effect.provide(layer))
      }
      const errors = [
        yield* failure((response) => response.socket?.destroy()),
        yield* failure((response) => sendXml(response, 400, "<fault><reason>Operation Failed</reason><detail>[bad search]</detail></fault>")),
        yield* failure((response) => sendXml(response, 200, "<vms><vm id=\"1\"><memory>lots</memory></vm></vms>")),
        yield* failure((response) => sendHtml(response, 200, "<html><body>Welcome</body></html>")),
        yield* failure(() => undefined /* never answers: the 2 s timeout */)
      ]
      expect(errors.map((error) => error._tag)).toEqual(["ConnectionError", "FaultError", "DecodeError", "DecodeError", "TimeoutError"])
      for (const error of errors) {
        expect(error._tag !== "InvalidInputError" && [error.method, error.path]).toEqual(["GET", "vms?search=name%3Dweb&password=<redacted>"])
        expect(JSON.stringify(error)).not.toContain("hunter22")
      }
    }))

  it.scopedLive("shows the API root as / in messages, with an empty path", () =>
    Effect.gen(function* () {
      const port = yield* freePort
      const error = yield* failureOf({ url: `https://127.0.0.1:${port}/ovirt-engine/api`, token: "t0ken" }, root)
      expect(error._tag).toBe("ConnectionError")
      expect(error._tag !== "InvalidInputError" && error.path).toBe("")
      expect(error.message).toContain("(GET /)")
    }))
})

describe("retries", () => {
  const flaky = (failures: number, status = 503) => {
    let left = failures
    return (_r: unknown, response: import("node:http").ServerResponse) => {
      if (left-- > 0) return sendHtml(response, status, "<html><body>Service Unavailable</body></html>")
      sendXml(response, 200, API_ROOT_XML)
    }
  }
  const retry = { times: 3, base: "1 millis", max: "5 millis" } as const

  it.scopedLive("retries a GET on 503", () =>
    Effect.gen(function* () {
      const engine = yield* engineFor()
      engine.setApi(flaky(2))
      const answer = yield* withConnection(optionsFor(engine, { retry }), root)
      expect(answer.status).toBe(200)
      expect(engine.apiRequests()).toHaveLength(3)
    }))

  it.scoped("draws the jitter from Effect's Random: with it fixed, the pause is exact", () =>
    Effect.gen(function* () {
      const engine = yield* engineFor()
      engine.setApi(flaky(1))
      const retried = yield* Effect.scoped(Effect.gen(function* () {
        const c = yield* Connection.make(optionsFor(engine, { retry: { times: 1, base: "1 second", max: "1 second" } }))
        yield* c.authenticate
        const call = yield* Effect.fork(root(c))
        yield* Effect.promise(() => eventually(() => engine.apiRequests().length === 1))
        // the pause is half the ceiling plus the drawn fraction of the other half: 500 + 0.5 * 500 ms
        yield* TestClock.adjust("749 millis")
        yield* Effect.promise(() => new Promise((resolve) => setTimeout(resolve, 100)))
        const early = engine.apiRequests().length
        yield* TestClock.adjust("1 millis")
        const answer = yield* Fiber.join(call)
        return { early, status: answer.status }
      })).pipe(Effect.withRandom(Random.fixed([0.5])))
      expect(retried).toEqual({ early: 1, status: 200 })
      expect(engine.apiRequests()).toHaveLength(2)
    }))

  it.scopedLive("gives up after the configured retries", () =>
    Effect.gen(function* () {
      const engine = yield* engineFor()
      engine.setApi(flaky(10))
      const error = yield* failureOf(optionsFor(engine, { retry }), root)
      expect(error._tag).toBe("FaultError")
      expect(engine.apiRequests()).toHaveLength(4)
    }))

  it.scopedLive("retries a PUT on 502 and a DELETE on 504", () =>
    Effect.gen(function* () {
      const engine = yield* engineFor()
      const answers = yield* withConnection(optionsFor(engine, { retry }), (c) =>
        Effect.gen(function* () {
          engine.setApi(flaky(1, 502))
          const put = yield* c.send({ method: "PUT", path: "vms/1", body: "<vm/>" })
          engine.setApi(flaky(2, 504))
          const del = yield* c.send({ method: "DELETE", path: "vms/1" })
          return [put.status, del.status]
        }))
      expect(answers).toEqual([200, 200])
      expect(engine.apiRequests().map((r) => r.method)).toEqual(["PUT", "PUT", "DELETE", "DELETE", "DELETE"])
      // the replayed PUT carries its body again
      expect(engine.apiRequests().slice(0, 2).map((r) => r.body)).toEqual(["<vm/>", "<vm/>"])
    }))

  it.scopedLive("does not retry other 5xx answers", () =>
    Effect.gen(function* () {
      const engine = yield* engineFor()
      engine.setApi(flaky(1, 500))
      const error = yield* failureOf(optionsFor(engine, { retry }), root)
      expect(error._tag).toBe("FaultError")
      expect(engine.apiRequests()).toHaveLength(1)
    }))

  it.scopedLive("never retries a POST", () =>
    Effect.gen(function* () {
      const engine = yield* engineFor()
      engine.setApi(flaky(1))
      const error = yield* failureOf(optionsFor(engine, { retry }), (c) => c.send({ method: "POST", path: "vms", body: "<vm/>" }))
      expect(error._tag).toBe("FaultError")
      expect(engine.apiRequests()).toHaveLength(1)
    }))

  it.scopedLive("does not retry with retry: false", () =>
    Effect.gen(function* () {
      const engine = yield* engineFor()
      engine.setApi(flaky(1))
      yield* failureOf(optionsFor(engine, { retry: false }), root)
      expect(engine.apiRequests()).toHaveLength(1)
    }))

  it.scopedLive("retries a GET after a connection reset", () =>
    Effect.gen(function* () {
      const engine = yield* engineFor()
      let resets = 1
      engine.setApi((request, response) => {
        if (resets-- > 0) return response.socket?.destroy()
        sendXml(response, 200, API_ROOT_XML)
      })
      const answer = yield* withConnection(optionsFor(engine, { retry }), root)
      expect(answer.status).toBe(200)
      expect(engine.apiRequests()).toHaveLength(2)
    }))
})

describe("secrets", () => {
  it.scopedLive("keeps the password and tokens out of every log line and error message with debug: true", () =>
    Effect.gen(function* () {
      const engine = yield* engineFor()
      let calls = 0
      engine.setApi((request, response, engine) => {
        calls++
        if (calls === 2) engine.validTokens.clear() // forces a 401, a new login and a replay
        if (!engine.validTokens.has(bearerOf(request) ?? "")) return unauthorizedHtml(response)
        // an engine that echoes the token in a fault must not leak it either
        if (request.url.includes("echo")) return sendXml(response, 400, `<fault><reason>Bad</reason><detail>token ${bearerOf(request)} password ${PASSWORD}</detail></fault>`)
        sendXml(response, 200, API_ROOT_XML)
      })
      const logs = captureLogs()
      const errors: Array<string> = []
      yield* logs.provide(Effect.scoped(Effect.gen(function* () {
        const c = yield* Connection.make(optionsFor(engine, { debug: true }))
        yield* root(c)
        yield* root(c)
        const error = yield* Effect.flip(c.send({ method: "GET", path: "echo", query: [["password", PASSWORD]] }))
        errors.push(error.message, JSON.stringify(error))
      })))
      // debug: true shows the wire even at the default minimum level (Info)
      const quiet: Array<string> = []
      yield* Effect.scoped(Effect.flatMap(Connection.make(optionsFor(engine, { debug: true })), root)).pipe(
        Effect.provide(Logger.replace(Logger.defaultLogger, Logger.make(({ message }) => void quiet.push(String(message)))))
      )
      expect(quiet.some((line) => line.includes("> GET"))).toBe(true)
      // an API call's line shows that it carried a token (the transport adds it apart from the shared headers)
      expect(quiet.some((line) => line.includes("> GET") && line.includes(`"Authorization":"<redacted>"`))).toBe(true)
      logs.lines.push(...quiet)
      const tokens = [...Array(engine.issued).keys()].map((i) => `token-${i + 1}`)
      expect(tokens.length).toBeGreaterThanOrEqual(2)
      expect(logs.lines.some((line) => line.startsWith("DEBUG") && line.includes("/ovirt-engine/sso/oauth/token"))).toBe(true)
      expect(logs.lines.some((line) => line.startsWith("DEBUG") && line.includes("sso-logout"))).toBe(true)
      expect(logs.lines.some((line) => line.includes("<redacted>"))).toBe(true)
      for (const text of [...logs.lines, ...errors]) {
        for (const secret of [PASSWORD, encodeURIComponent(PASSWORD), new URLSearchParams({ p: PASSWORD }).toString().slice(2), ...tokens]) {
          expect(text).not.toContain(secret)
        }
      }
    }))
})

describe("links", () => {
  it.scopedLive("follows a struct link and a list link, decoding by the answer's root tag", () =>
    Effect.gen(function* () {
      const engine = yield* engineFor()
      engine.setApi((request, response) => {
        if (request.url === "/ovirt-engine/api/clusters/1") {
          return sendXml(response, 200, '<cluster href="/ovirt-engine/api/clusters/1" id="1"><name>Default</name></cluster>')
        }
        if (request.url === "/ovirt-engine/api/vms/1/nics") {
          return sendXml(response, 200, '<nics><nic href="/ovirt-engine/api/vms/1/nics/2" id="2"><name>nic1</name></nic></nics>')
        }
        sendXml(response, 404, "<fault><reason>Not Found</reason></fault>")
      })
      const [cluster, nics, isLink, notLink] = yield* withConnection(optionsFor(engine), (c) =>
        Effect.all([
          c.followLink({ href: "/ovirt-engine/api/clusters/1", id: "1" } as { readonly href?: string; readonly id?: string; readonly name?: string }),
          c.followLink(makeListLink<{ readonly name?: string }>([], "/ovirt-engine/api/vms/1/nics")),
          Effect.succeed(c.isLink(makeListLink([], "/ovirt-engine/api/vms/1/nics"))),
          Effect.succeed(c.isLink([]))
        ]))
      expect(cluster.name).toBe("Default")
      expect(nics.map((nic) => nic.name)).toEqual(["nic1"])
      expect(isLink).toBe(true)
      expect(notLink).toBe(false)
    }))

  it.scopedLive("refuses a value without href", () =>
    Effect.gen(function* () {
      const engine = yield* engineFor()
      const error = yield* failureOf(optionsFor(engine), (c) => c.followLink({ name: "x" }))
      expect(error._tag).toBe("InvalidInputError")
      expect(engine.apiRequests()).toHaveLength(0)
    }))
})

describe("kerberos", () => {
  it.scopedLive("posts the http grant to token-http-auth and answers the Negotiate challenge (or says what to install)", () =>
    Effect.gen(function* () {
      const engine = yield* engineFor()
      const requests: Array<import("./support/TestServer.js").RecordedRequest> = []
      engine.server.setHandler((request, response) => {
        requests.push(request)
        response.writeHead(401, { "www-authenticate": "Negotiate", "content-type": "text/html" })
        response.end("<html>Unauthorized</html>")
      })
      const error = yield* failureOf({ url: engine.url, kerberos: true, caCerts: engine.caPem }, root)
      expect(error._tag).toBe("AuthError")
      const [first] = requests
      expect(first!.url).toBe("/ovirt-engine/sso/oauth/token-http-auth")
      expect(first!.headers.accept).toBe("application/json")
      expect(first!.headers.authorization).toBeUndefined()
      expect(Object.fromEntries(new URLSearchParams(first!.body))).toEqual({
        grant_type: "urn:ovirt:params:oauth:grant-type:http",
        scope: "ovirt-app-api"
      })
      const installed = yield* Effect.promise(() => import("kerberos" as string).then(() => true, () => false))
      if (!installed) expect(error.message).toContain("npm install kerberos")
    }))
})

describe("spans", () => {
  it.scopedLive("runs every call in a span named after the service and operation, without secrets", () =>
    Effect.gen(function* () {
      const engine = yield* engineFor()
      engine.setApi((_r, response) => sendXml(response, 200, "<vms/>"))
      const spans: Array<RecordedSpan> = []
      yield* withConnection(optionsFor(engine, { headers: { "X-Auth-Token": "sekrit-header-value" } }), (c) =>
        Effect.zip(
          c.send({ method: "GET", path: "vms", service: "VmsService", operation: "list", query: [["search", "name=a"]] }),
          c.send({ method: "DELETE", path: "vms/1" })
        ).pipe(Effect.withTracer(recordingTracer(spans))))
      const list = spans.find((s) => s.name === "ovirt.VmsService.list")
      expect(list).toBeDefined()
      expect(list!.attributes.get("http.request.method")).toBe("GET")
      expect(list!.attributes.get("url.path")).toBe("vms?search=name%3Da")
      expect(list!.attributes.get("http.response.status_code")).toBe(200)
      expect(spans.some((s) => s.name === "ovirt.DELETE")).toBe(true)
      expect(spans.some((s) => s.name === "ovirt.sso.login")).toBe(true)
      const everything = JSON.stringify(spans.map((s) => [s.name, [...s.attributes]]))
      expect(list!.attributes.get("server.address")).toBe(`127.0.0.1:${engine.server.port}`)
      for (const secret of [PASSWORD, encodeURIComponent(PASSWORD), "token-1", "sekrit-header-value"]) expect(everything).not.toContain(secret)
    }))
})

describe("service(path)", () => {
  it.scopedLive("gives the ref at a path, or an InvalidInputError", () =>
    Effect.gen(function* () {
      const ref = yield* Connection.service("vms/123/diskattachments")
      expect(ref.path).toBe("vms/123/diskattachments")
      const error = yield* Effect.flip(Connection.service("nosuchthing"))
      expect(error._tag).toBe("InvalidInputError")
      const engine = yield* engineFor()
      const same = yield* withConnection(optionsFor(engine), (c) => c.service("vms/123/diskattachments"))
      expect(same.path).toBe(ref.path)
      expect(same.service).toBe(ref.service)
    }))
})

describe("options", () => {
  const invalid = (options: Connection.ConnectionOptions) =>
    Effect.scoped(Effect.flip(Connection.make(options)))

  it.scopedLive("rejects bad options at build time, saying what to fix", () =>
    Effect.gen(function* () {
      expect((yield* invalid({ url: "" })).message).toContain("`url` is missing")
      expect((yield* invalid({ url: "ftp://engine/ovirt-engine/api", token: "t" })).message).toContain("http")
      expect((yield* invalid({ url: "not a url", token: "t" })).message).toContain("not a URL")
      expect((yield* invalid({ url: "https://e/ovirt-engine/api", username: "admin@internal" })).message).toContain("without `password`")
      expect((yield* invalid({ url: "https://e/ovirt-engine/api" })).message).toContain("No credentials")
      const missing = yield* invalid({ url: "https://e/ovirt-engine/api", token: "t", caFile: "/nonexistent/ca.pem" })
      expect(missing._tag).toBe("InvalidInputError")
      expect(missing.message).toContain("/nonexistent/ca.pem")
      expect((yield* invalid({ url: "https://e/ovirt-engine/api", token: "t", timeout: "soon" as never })).message).toContain("timeout")
    }))

  it.scopedLive("reads the settings from Config with layerConfig", () =>
    Effect.gen(function* () {
      const engine = yield* engineFor()
      const dir = yield* tempDir
      fs.writeFileSync(path.join(dir, "ca.pem"), engine.caPem)
      const provider = ConfigProvider.fromMap(new Map([
        ["OVIRT_URL", engine.url],
        ["OVIRT_USERNAME", USERNAME],
        ["OVIRT_PASSWORD", PASSWORD],
        ["OVIRT_CA_FILE", path.join(dir, "ca.pem")],
        ["OVIRT_TIMEOUT", "30"],
        ["OVIRT_LOGOUT_ON_CLOSE", "false"]
      ]))
      const ok = yield* Effect.flatMap(Connection.Connection, (c) => c.test).pipe(
        Effect.provide(Connection.layerConfig().pipe(Layer.provide(Layer.setConfigProvider(provider))))
      )
      expect(ok).toBe(true)
      expect(engine.logoutRequests()).toHaveLength(0)
    }))

  it.scopedLive("takes Config.Wrap overrides: a Config per setting", () =>
    Effect.gen(function* () {
      const engine = yield* engineFor()
      engine.validTokens.add("env-token")
      const provider = ConfigProvider.fromMap(new Map([["ENGINE", engine.url], ["ENGINE_TOKEN", "env-token"]]))
      const layer = Connection.layerConfig({
        url: Config.string("ENGINE"),
        token: Config.redacted("ENGINE_TOKEN"),
        caCerts: Config.succeed(engine.caPem),
        timeout: Config.succeed("10 seconds")
      })
      const ok = yield* Effect.flatMap(Connection.Connection, (c) => c.test).pipe(
        Effect.provide(layer.pipe(Layer.provide(Layer.setConfigProvider(provider))))
      )
      expect(ok).toBe(true)
      expect(engine.apiRequests()[0]!.headers.authorization).toBe("Bearer env-token")
    }))

  it.scopedLive("test gives false and testOrFail the reason", () =>
    Effect.gen(function* () {
      const engine = yield* engineFor({ sso: (_r, response) => sendJson(response, 401, { error: "access_denied", error_description: "no" }) })
      const [ok, error] = yield* withConnection(optionsFor(engine), (c) => Effect.zip(c.test, Effect.flip(c.testOrFail)))
      expect(ok).toBe(false)
      expect(error._tag).toBe("AuthError")
    }))
})

describe("compressed edge cases", () => {
  it.scopedLive("reads an empty answer marked gzip", () =>
    Effect.gen(function* () {
      const engine = yield* engineFor()
      engine.setApi((_r, response) => {
        response.writeHead(200, { "content-type": "application/xml", "content-encoding": "gzip", "content-length": 0 })
        response.end()
      })
      const answer = yield* withConnection(optionsFor(engine), (c) => c.send({ method: "DELETE", path: "vms/1" }))
      expect(answer.body).toBe("")
    }))

  it.scopedLive("streams a gzip answer decompressed", () =>
    Effect.gen(function* () {
      const engine = yield* engineFor()
      const xml = `<vms>${"<vm id=\"1\"><name>a</name></vm>".repeat(5000)}</vms>`
      engine.setApi((_r, response) => {
        const body = zlib.gzipSync(xml)
        response.writeHead(200, { "content-type": "application/xml", "content-encoding": "gzip" })
        response.write(body.subarray(0, 100))
        setImmediate(() => response.end(body.subarray(100)))
      })
      const text = yield* withConnection(optionsFor(engine), (c) =>
        c.sendStream({ method: "GET", path: "vms" }).pipe(Stream.decodeText(), Stream.mkString))
      expect(text).toBe(xml)
    }))
})

describe("pipelining", () => {
  it.scopedLive("sends several requests on one socket with pipeline > 1", () =>
    Effect.gen(function* () {
      const engine = yield* engineFor()
      const waiting: Array<() => void> = []
      let most = 0
      let sockets = 0
      engine.setApi((_r, response) => {
        waiting.push(() => sendXml(response, 200, API_ROOT_XML))
        most = Math.max(most, engine.server.inFlight())
        sockets = Math.max(sockets, engine.server.openSockets())
        // hold the answers until a second request arrived (or, without pipelining, give up waiting)
        if (waiting.length >= 2) for (const release of waiting.splice(0)) release()
        else setTimeout(() => { for (const release of waiting.splice(0)) release() }, 300)
      })
      yield* withConnection(optionsFor(engine, { connections: 1, pipeline: 4 }), (c) =>
        Effect.all(Array.from({ length: 4 }, () => c.send({ method: "GET", path: "" })), { concurrency: "unbounded" }))
      expect(sockets).toBe(1)
      expect(most).toBeGreaterThanOrEqual(2)
    }))
})
