/**
 * No secret, ever: servers on loopback HTTPS echo what they received (the SSO service the login form
 * into its error, the API the query into its fault and its 404 page), with a password holding a space
 * and `!'()~` (which the form encodes as `+` and `%21 %27 %28 %29 %7E`), and the connection's own token
 * passed by the caller in an ordinary query parameter. No error message, `JSON.stringify(error)`, debug
 * log line (debug: true), span attribute or span failure cause may hold the password or token in any
 * shape the SDK writes it.
 */
import type * as http from "node:http"
import { describe, expect, it } from "@effect/vitest"
import { Cause, Effect, Exit, Logger, LogLevel, Redacted, Tracer } from "effect"
import * as Connection from "../src/services/Connection.js"
import { system } from "../src/services/index.js"
import { fakeEngine, USERNAME } from "./support/FakeEngine.js"
import type { RecordedRequest } from "./support/TestServer.js"
import { sendHtml, sendJson, sendXml } from "./support/TestServer.js"

const PASSWORD = "my pass!'()~&=wörd"

/** The shapes a secret has on the wire and in echoes: raw, path-escaped, form-encoded, JSON-escaped, XML-escaped. */
const shapesOf = (secret: string): ReadonlyArray<string> => [
  secret,
  encodeURIComponent(secret),
  new URLSearchParams({ v: secret }).toString().slice(2),
  JSON.stringify(secret).slice(1, -1),
  secret.replace(/&/g, "&amp;").replace(/'/g, "&apos;")
]

/** Collects every log line and every span (attributes, and the failure of the span's exit). */
const observe = () => {
  const lines: Array<string> = []
  const spans: Array<{ name: string; attributes: Map<string, unknown>; exit?: string }> = []
  const logger = Logger.make(({ message, annotations }) => {
    lines.push(`${(Array.isArray(message) ? message : [message]).map(String).join(" ")} ${JSON.stringify([...annotations])}`)
  })
  const tracer = Tracer.make({
    span: (name, parent, context, links, startTime, kind) => {
      const record: { name: string; attributes: Map<string, unknown>; exit?: string } = { name, attributes: new Map() }
      spans.push(record)
      return {
        _tag: "Span", name, spanId: String(spans.length), traceId: "t", parent, context, links: [...links], sampled: true, kind,
        status: { _tag: "Started", startTime },
        attributes: record.attributes,
        end: (_end, exit) => {
          if (Exit.isFailure(exit)) record.exit = `${Cause.pretty(exit.cause)} ${JSON.stringify(Cause.squash(exit.cause))}`
        },
        attribute: (key, value) => void record.attributes.set(key, value),
        event: () => undefined,
        addLinks: () => undefined
      }
    },
    context: (f) => f()
  })
  const provide = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
    effect.pipe(
      Effect.withTracer(tracer),
      Effect.provide(Logger.replace(Logger.defaultLogger, logger)),
      Logger.withMinimumLogLevel(LogLevel.Debug)
    )
  const everything = () => [...lines, ...spans.map((s) => `${s.name} ${JSON.stringify([...s.attributes])} ${s.exit ?? ""}`)]
  return { lines, spans, provide, everything }
}

const expectNone = (texts: ReadonlyArray<string>, secrets: ReadonlyArray<string>) => {
  for (const text of texts) for (const secret of secrets) for (const shape of shapesOf(secret)) expect(text).not.toContain(shape)
}

const engine = fakeEngine

const connect = (url: string, caPem: string) =>
  Connection.layer({ url, username: USERNAME, password: Redacted.make(PASSWORD), caCerts: caPem, debug: true })

/** SSO answers that echo the form they received, in the shapes servers and proxies use. */
const echoes: ReadonlyArray<readonly [string, (request: RecordedRequest, response: http.ServerResponse) => void]> = [
  ["a text/plain 400 with the body", (r, res) => {
    res.writeHead(400, { "content-type": "text/plain" })
    res.end(`bad request: ${r.body}`)
  }],
  ["an HTML 502 page with the body", (r, res) => sendHtml(res, 502, `<html><body><p>upstream failed for ${r.body}</p></body></html>`)],
  ["a JSON {error_code, error} with the body", (r, res) => sendJson(res, 400, { error_code: r.body, error: `could not parse ${r.body}` })],
  ["a JSON {error, error_description} with the decoded password", (r, res) =>
    sendJson(res, 401, { error: "access_denied", error_description: `wrong password ${new URLSearchParams(r.body).get("password")}` })]
]

describe("the login form echoed by the SSO service", () => {
  for (const [what, sso] of echoes) {
    it.scoped(`${what}: no password in the error, its JSON, the debug log or the spans`, () =>
      Effect.gen(function* () {
        const e = yield* engine({ sso: (request, response) => sso(request, response) })
        const seen = observe()
        const error = yield* Effect.flip(seen.provide(Effect.provide(system.get(), connect(e.url, e.caPem))))
        expect(["AuthError", "FaultError"]).toContain(error._tag)
        // the form really carried the password form-encoded: space as +, !'()~ escaped
        const form = e.ssoRequests()[0]!.body
        expect(form).toContain("password=my+pass%21%27%28%29%7E%26%3Dw%C3%B6rd")
        expect(seen.lines.some((line) => line.includes("/ovirt-engine/sso/oauth/token"))).toBe(true)
        expect(seen.spans.some((span) => span.name === "ovirt.sso.login" && span.exit !== undefined)).toBe(true)
        expectNone([error.message, JSON.stringify(error), String(error), ...seen.everything()], [PASSWORD])
      }))
  }
})

describe("the connection's token in an ordinary query parameter", () => {
  /** An API that echoes the URL it received: into a fault, or an HTML 404 page. */
  const echoingApi = (request: RecordedRequest, response: http.ServerResponse) => {
    if (request.url.includes("/vms")) return sendXml(response, 400, `<fault><reason>Bad query</reason><detail>${request.url.replace(/&/g, "&amp;")}</detail></fault>`)
    if (request.url.includes("/hosts")) return sendHtml(response, 404, `<html><body>No ${request.url}</body></html>`)
    return sendXml(response, 200, "<api/>")
  }

  it.scoped("and the password in another: absent from error path and message, JSON, debug log and span url.path", () =>
    Effect.gen(function* () {
      const e = yield* engine({ api: echoingApi })
      const seen = observe()
      const errors = yield* seen.provide(Effect.gen(function* () {
        const connection = yield* Connection.Connection
        const token = Redacted.value(yield* connection.authenticate)
        const fault = yield* Effect.flip(system.vms.list({ search: "name=a", query: { x: token, note: PASSWORD } }))
        const missing = yield* Effect.flip(system.hosts.list({ query: { filter_token: token, y: token } }))
        const raw = yield* Effect.flip(connection.send({ method: "GET", path: "vms", query: [["z", token]] }))
        const link = yield* Effect.flip(connection.followLink({ href: `/ovirt-engine/api/hosts?t=${encodeURIComponent(token)}` }))
        return [fault, missing, raw, link]
      }).pipe(Effect.provide(connect(e.url, e.caPem))))
      const token = `token-${e.issued}`
      // the token really went out in the query, and came back in the answers
      expect(e.apiRequests().some((r) => r.url.includes(`x=${token}`))).toBe(true)
      expect(errors.map((error) => error._tag)).toEqual(["FaultError", "NotFoundError", "FaultError", "NotFoundError"])
      expect(errors[0]).toMatchObject({ path: "vms?search=name%3Da&x=<redacted>&note=<redacted>" })
      const urlPaths = seen.spans.map((span) => String(span.attributes.get("url.path") ?? ""))
      expect(urlPaths).toContain("vms?search=name%3Da&x=<redacted>&note=<redacted>")
      expectNone(
        [...errors.flatMap((error) => [error.message, JSON.stringify(error), String("path" in error ? error.path : "")]), ...urlPaths, ...seen.everything()],
        [PASSWORD, token]
      )
    }))
})

describe("a failed action answered 200 whose fault echoes the request", () => {
  /** `<action><status>failed</status>` with the URL (token and password in its query) in the fault. */
  const failingAction = (request: RecordedRequest, response: http.ServerResponse) => {
    if (!request.url.includes("/start")) return sendXml(response, 200, "<api/>")
    const url = request.url.replace(/&/g, "&amp;")
    return sendXml(response, 200, `<action><status>failed</status><fault><reason>Cannot start ${url}</reason><detail>${url}</detail></fault></action>`)
  }

  it.scoped("has the same fault, scrubbed, as any other answer: no token or password in it", () =>
    Effect.gen(function* () {
      const e = yield* engine({ api: failingAction })
      const error = yield* Effect.gen(function* () {
        const connection = yield* Connection.Connection
        const token = Redacted.value(yield* connection.authenticate)
        return yield* Effect.flip(system.vms.vm("123").start({ query: { x: token, note: PASSWORD } }))
      }).pipe(Effect.provide(connect(e.url, e.caPem)))
      const token = `token-${e.issued}`
      expect(e.apiRequests().some((r) => r.url.includes(`x=${token}`))).toBe(true)
      expect(error._tag).toBe("FaultError")
      expect(error).toMatchObject({ method: "POST", code: 200, fault: { reason: expect.stringContaining("Cannot start") } })
      expect(error.message).toContain("<redacted>")
      expectNone([error.message, JSON.stringify(error), String(error)], [PASSWORD, token])
    }))
})
