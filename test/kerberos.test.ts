/**
 * Kerberos for real: an MIT KDC on loopback with a throwaway realm (test/support/kdc.ts), a user
 * ticket, and an HTTPS server playing the engine's `token-http-auth` endpoint that checks the client's
 * SPNEGO token with the `kerberos` package's server side and the HTTP/localhost keytab.
 *
 * Needs krb5kdc & co and the optional `kerberos` package (`bash .ci/kerberos-setup.sh`). Outside CI the
 * KDC tests skip and say why when those are missing; in CI they fail instead.
 */
import { describe, expect, it, layer } from "@effect/vitest"
import { Context, Effect, Layer, Logger, LogLevel, Redacted } from "effect"
import type { Scope } from "effect"
import * as https from "node:https"
import type { IncomingHttpHeaders } from "node:http"
import { createRequire } from "node:module"
import * as ConnectionModule from "../src/services/Connection.js"
import { AuthError } from "../src/core/Errors.js"
import * as Kerberos from "../src/core/internal/Kerberos.js"
import { makeCertificates } from "../src/simulator/Certificates.js"
import { missingKdcTools, startKdc } from "./support/kdc.js"
import type { Kdc } from "./support/kdc.js"

// ---------------------------------------------------------------------------------------------
// Prerequisites

/** The server side of the `kerberos` package (the client side is what src/core/internal/Kerberos.ts uses). */
interface KerberosServer {
  step(token: string): Promise<string | null | undefined>
  readonly username: string | null | undefined
  readonly response: string | null | undefined
  readonly contextComplete: boolean
}
interface KerberosServerModule {
  initializeServer(service: string): Promise<KerberosServer>
}

const loadServerSide = (): { readonly module?: KerberosServerModule; readonly problem?: string } => {
  try {
    return { module: createRequire(import.meta.url)("kerberos") as KerberosServerModule }
  } catch (error) {
    return { problem: `the kerberos package is not usable (${error instanceof Error ? error.message.split("\n")[0] : String(error)})` }
  }
}

const serverSide = loadServerSide()
const missingTools = missingKdcTools()
const problems = [
  ...(missingTools.length > 0 ? [`MIT Kerberos programs not found: ${missingTools.join(", ")}`] : []),
  ...(serverSide.problem === undefined ? [] : [serverSide.problem])
]
const inCi = process.env["CI"] !== undefined && process.env["CI"] !== ""
const skipKdcTests = problems.length > 0 && !inCi
if (skipKdcTests) {
  console.warn(`kerberos.test.ts: skipping the KDC tests: ${problems.join("; ")}. Run \`bash .ci/kerberos-setup.sh\` (as root) to install them.`)
}

// ---------------------------------------------------------------------------------------------
// The engine's token-http-auth endpoint, with the real GSSAPI server side

interface SeenRequest {
  readonly method: string
  readonly path: string
  readonly headers: IncomingHttpHeaders
  readonly body: string
}

interface TokenServer {
  /** `https://localhost:<port>` */
  readonly origin: string
  readonly caPem: string
  readonly requests: Array<SeenRequest>
}

interface TokenServerOptions {
  /** Replace the server's mutual-authentication token (to check the client verifies it). */
  readonly mutualToken?: (real: string | undefined) => string | undefined
}

const sendJson = (response: import("node:http").ServerResponse, status: number, value: unknown, headers: Record<string, string> = {}) => {
  const body = JSON.stringify(value)
  response.writeHead(status, { ...headers, "Content-Type": "application/json", "Content-Length": Buffer.byteLength(body) })
  response.end(body)
}

const startTokenServer = (kerberos: KerberosServerModule, options: TokenServerOptions = {}): Effect.Effect<TokenServer, never, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.promise(async () => {
      const certificates = makeCertificates({ hosts: ["localhost", "127.0.0.1"] })
      const requests: Array<SeenRequest> = []
      const server = https.createServer({ cert: certificates.certPem, key: certificates.keyPem }, (request, response) => {
        const chunks: Array<Buffer> = []
        request.on("data", (chunk: Buffer) => chunks.push(chunk))
        request.on("end", () => {
          const body = Buffer.concat(chunks).toString()
          const path = request.url ?? ""
          requests.push({ method: request.method ?? "", path, headers: request.headers, body })
          void answer(path, body, request.headers, response).catch((error: unknown) => {
            sendJson(response, 500, { error: "server_error", error_description: String(error) })
          })
        })
      })
      const answer = async (path: string, body: string, headers: IncomingHttpHeaders, response: import("node:http").ServerResponse) => {
        if (path === "/ovirt-engine/services/sso-logout") return sendJson(response, 200, {})
        if (path !== Kerberos.tokenHttpAuthPath) return sendJson(response, 404, { error: "not_found", error_description: path })
        const form = new URLSearchParams(body)
        if (headers["accept"] !== "application/json" || form.get("grant_type") !== Kerberos.httpGrantType || form.get("scope") !== "ovirt-app-api") {
          return sendJson(response, 400, { error: "invalid_request", error_description: "bad form or Accept header" })
        }
        const negotiate = Kerberos.parseNegotiate(headers["authorization"])
        if (negotiate.token === undefined) {
          return sendJson(response, 401, { error: "access_denied", error_description: "Negotiate" }, { "WWW-Authenticate": "Negotiate" })
        }
        // A fresh acceptor context per request, with the HTTP/localhost key from KRB5_KTNAME.
        const acceptor = await kerberos.initializeServer("HTTP@localhost")
        try {
          await acceptor.step(negotiate.token)
        } catch (error) {
          return sendJson(response, 401, { error: "access_denied", error_description: String(error) }, { "WWW-Authenticate": "Negotiate" })
        }
        const mutual = (options.mutualToken ?? ((real) => real))(acceptor.response ?? undefined)
        return sendJson(
          response,
          200,
          { access_token: `token-for-${acceptor.username}`, scope: "ovirt-app-api", token_type: "bearer" },
          mutual === undefined ? {} : { "WWW-Authenticate": `Negotiate ${mutual}` }
        )
      }
      await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
      const address = server.address()
      const port = typeof address === "object" && address !== null ? address.port : 0
      return { server, info: { origin: `https://localhost:${port}`, caPem: certificates.caPem, requests } }
    }),
    ({ server }) =>
      Effect.promise(() => {
        server.closeAllConnections()
        return new Promise<void>((resolve) => server.close(() => resolve()))
      })
  ).pipe(Effect.map(({ info }) => info))

// A plain HTTPS POST of the SSO form, as the Connection's Auth module would send it.
interface Answer {
  readonly status: number
  readonly headers: IncomingHttpHeaders
  readonly body: string
}

const postForm = (server: TokenServer, authorization: string | undefined): Effect.Effect<Answer> =>
  Effect.promise(() =>
    new Promise<Answer>((resolve, reject) => {
      const body = Kerberos.tokenHttpAuthForm().toString()
      const request = https.request(`${server.origin}${Kerberos.tokenHttpAuthPath}`, {
        method: "POST",
        ca: server.caPem,
        agent: false,
        headers: {
          Accept: "application/json",
          "Content-Type": "application/x-www-form-urlencoded",
          "Content-Length": Buffer.byteLength(body),
          ...(authorization === undefined ? {} : { Authorization: authorization })
        }
      }, (response) => {
        const chunks: Array<Buffer> = []
        response.on("data", (chunk: Buffer) => chunks.push(chunk))
        response.on("end", () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks).toString() }))
        response.on("error", reject)
      })
      request.on("error", reject)
      request.end(body)
    })
  )

const negotiateWith = (server: TokenServer) =>
  Kerberos.negotiate({
    servicePrincipal: Kerberos.servicePrincipalFor(server.origin),
    send: (authorization) => postForm(server, authorization),
    read: (answer) => ({ status: answer.status, wwwAuthenticate: answer.headers["www-authenticate"] }),
    method: "POST",
    path: Kerberos.tokenHttpAuthPath
  })

// ---------------------------------------------------------------------------------------------
// Tests that need no KDC

describe("Kerberos helpers", () => {
  it.effect("a missing package is an AuthError that says what to install", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(Kerberos.loadKerberos("effect-ovirt-no-such-kerberos-package"))
      expect(error).toBeInstanceOf(AuthError)
      expect(error.message).toContain("npm install kerberos")
      expect(error.message).toContain("libkrb5-dev")
      expect(error.message).toContain("is not installed")
    }))

  it("reads Negotiate out of WWW-Authenticate", () => {
    expect(Kerberos.parseNegotiate(undefined)).toEqual({ offered: false })
    expect(Kerberos.parseNegotiate("Basic realm=\"engine\"")).toEqual({ offered: false })
    expect(Kerberos.parseNegotiate("Negotiate")).toEqual({ offered: true })
    expect(Kerberos.parseNegotiate("Basic realm=\"a, b\", negotiate")).toEqual({ offered: true })
    expect(Kerberos.parseNegotiate(["Basic realm=x", "Negotiate oYG3MIG0+/a="])).toEqual({ offered: true, token: "oYG3MIG0+/a=" })
    expect(Kerberos.parseNegotiate("NegotiateX abc")).toEqual({ offered: false })
  })

  it("names the engine's service and the SSO request", () => {
    expect(Kerberos.servicePrincipalFor("https://engine.example.com:8443/ovirt-engine/api")).toBe("HTTP@engine.example.com")
    expect(Kerberos.servicePrincipalFor(new URL("https://[::1]/ovirt-engine/api"))).toBe("HTTP@::1")
    expect(Kerberos.tokenHttpAuthForm().toString()).toBe("grant_type=urn%3Aovirt%3Aparams%3Aoauth%3Agrant-type%3Ahttp&scope=ovirt-app-api")
  })

  it.effect("a 401 that does not offer Negotiate is an AuthError before any GSSAPI work", () =>
    Effect.gen(function* () {
      const sent: Array<string | undefined> = []
      const error = yield* Effect.flip(Kerberos.negotiate({
        servicePrincipal: "HTTP@engine.example.com",
        send: (authorization) => Effect.sync(() => (sent.push(authorization), { status: 401, www: "Basic realm=\"engine\"" })),
        read: (answer) => ({ status: answer.status, wwwAuthenticate: answer.www }),
        method: "POST",
        path: Kerberos.tokenHttpAuthPath
      }))
      expect(error).toBeInstanceOf(AuthError)
      expect(error.message).toContain("without offering Kerberos")
      expect(error).toMatchObject({ code: 401, method: "POST", path: Kerberos.tokenHttpAuthPath })
      expect(sent).toEqual([undefined])
    }))
})

// ---------------------------------------------------------------------------------------------
// Tests against the KDC

if (inCi && problems.length > 0) {
  describe("Kerberos prerequisites (CI)", () => {
    it("are installed", () => {
      expect.fail(`${problems.join("; ")}: .ci/run must run .ci/kerberos-setup.sh after npm ci`)
    })
  })
}

class TestKdc extends Context.Tag("test/TestKdc")<TestKdc, Kdc>() {}

describe.skipIf(problems.length > 0)("Kerberos against a KDC on loopback", () => {
  layer(Layer.scoped(TestKdc, startKdc), { timeout: "60 seconds" })((it) => {
    it.effect("initialToken makes a SPNEGO token that the service's keytab accepts as the user", () =>
      Effect.gen(function* () {
        const kdc = yield* TestKdc
        const token = yield* Kerberos.initialToken(kdc.servicePrincipal)
        // SPNEGO's NegTokenInit: an [APPLICATION 0] GSS header with the SPNEGO OID 1.3.6.1.5.5.2.
        expect(Buffer.from(token, "base64").subarray(0, 1)[0]).toBe(0x60)
        expect(Buffer.from(token, "base64").includes(Buffer.from([0x06, 0x06, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x02]))).toBe(true)
        const acceptor = yield* Effect.promise(() => serverSide.module!.initializeServer("HTTP@localhost"))
        const answer = yield* Effect.promise(() => acceptor.step(token))
        expect(acceptor.username).toBe(kdc.userPrincipal)
        expect(acceptor.contextComplete).toBe(true)
        expect(typeof answer).toBe("string")
      }))

    it.effect("a service the KDC does not know is an AuthError naming it", () =>
      Effect.gen(function* () {
        const kdc = yield* TestKdc
        const error = yield* Effect.flip(Kerberos.initialToken("HTTP@unknown-engine.invalid"))
        expect(error).toBeInstanceOf(AuthError)
        expect(error.message).toContain("HTTP@unknown-engine.invalid")
        expect(error.message).toContain("kinit")
        expect(error.message).not.toContain(kdc.dir + "/stash")
      }))

    it.scoped("without a ticket (no kinit) the AuthError says to kinit", () =>
      Effect.gen(function* () {
        const kdc = yield* TestKdc
        // An empty credentials cache for this test only.
        yield* Effect.acquireRelease(
          Effect.sync(() => {
            const previous = process.env["KRB5CCNAME"]
            process.env["KRB5CCNAME"] = `FILE:${kdc.dir}/no-such-ccache`
            return previous
          }),
          (previous) => Effect.sync(() => void (process.env["KRB5CCNAME"] = previous ?? kdc.env["KRB5CCNAME"]))
        )
        const error = yield* Effect.flip(Kerberos.initialToken(kdc.servicePrincipal))
        expect(error).toBeInstanceOf(AuthError)
        expect(error.message).toContain("kinit")
        expect(error.message).toMatch(/credentials/i)
      }))

    it.scoped("the Negotiate exchange with token-http-auth gets the user's token and checks the server", () =>
      Effect.gen(function* () {
        const kdc = yield* TestKdc
        const server = yield* startTokenServer(serverSide.module!)
        const answer = yield* negotiateWith(server)
        expect(answer.status).toBe(200)
        expect(JSON.parse(answer.body)).toMatchObject({ access_token: `token-for-${kdc.userPrincipal}` })
        expect(Kerberos.parseNegotiate(answer.headers["www-authenticate"]).token).toBeDefined()
        expect(server.requests.map((request) => request.headers["authorization"]?.split(" ")[0])).toEqual([undefined, "Negotiate"])
        expect(server.requests.map((request) => request.body)).toEqual([
          Kerberos.tokenHttpAuthForm().toString(),
          Kerberos.tokenHttpAuthForm().toString()
        ])
      }))

    it.scoped("a server that cannot prove its identity fails mutual authentication", () =>
      Effect.gen(function* () {
        // A well-formed base64 token that is not the acceptor's answer.
        const server = yield* startTokenServer(serverSide.module!, { mutualToken: () => Buffer.from("not a GSSAPI token").toString("base64") })
        const error = yield* Effect.flip(negotiateWith(server))
        expect(error).toBeInstanceOf(AuthError)
        expect(error.message).toContain("mutual authentication")
        expect(error).toMatchObject({ code: 200, method: "POST", path: Kerberos.tokenHttpAuthPath })
      }))

    it.effect("Connection.layer({ kerberos: true }) logs in through token-http-auth and revokes on close", () =>
      Effect.gen(function* () {
        const kdc = yield* TestKdc
        const lines: Array<string> = []
        const capture = Logger.replace(Logger.defaultLogger, Logger.make(({ message }) => lines.push(String(message))))
        const server = yield* startTokenServer(serverSide.module!)
        const token = yield* Effect.scoped(
          Effect.gen(function* () {
            const connection = yield* ConnectionModule.Connection
            return Redacted.value(yield* connection.authenticate)
          }).pipe(
            Effect.provide(ConnectionModule.layer({ url: `${server.origin}/ovirt-engine/api`, kerberos: true, caCerts: server.caPem, debug: true }))
          )
        ).pipe(Effect.provide(capture), Logger.withMinimumLogLevel(LogLevel.Debug))
        expect(token).toBe(`token-for-${kdc.userPrincipal}`)

        const sso = server.requests.filter((request) => request.path === Kerberos.tokenHttpAuthPath)
        expect(sso.map((request) => request.headers["authorization"]?.split(" ")[0])).toEqual([undefined, "Negotiate"])
        expect(sso.map((request) => request.headers["accept"])).toEqual(["application/json", "application/json"])
        expect(new URLSearchParams(sso[0]?.body).get("grant_type")).toBe(Kerberos.httpGrantType)
        // The token the SDK obtained is revoked when the layer's scope closes.
        const logout = server.requests.filter((request) => request.path === "/ovirt-engine/services/sso-logout")
        expect(logout.map((request) => new URLSearchParams(request.body).get("token"))).toEqual([token])

        // With debug: true the exchange is logged, but neither the GSSAPI token nor the SSO token.
        const negotiateToken = sso[1]?.headers["authorization"]?.split(" ")[1] ?? ""
        expect(negotiateToken.length).toBeGreaterThan(100)
        expect(lines.some((line) => line.includes(Kerberos.tokenHttpAuthPath))).toBe(true)
        expect(lines.filter((line) => line.includes(negotiateToken) || line.includes(token))).toEqual([])
      }).pipe(Effect.scoped))
  })
})
