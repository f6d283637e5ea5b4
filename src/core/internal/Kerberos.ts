/**
 * Kerberos (HTTP Negotiate, RFC 4559) for the engine's `token-http-auth` SSO entry point.
 *
 * The GSSAPI work is done by the optional `kerberos` package (a native addon that builds only where
 * the GSSAPI headers are), so it is imported lazily, when a `kerberos: true` connection first needs a
 * token, and never by anything else: `npm ci` and every other flow work without it.
 */
import { Effect } from "effect"
import { AuthError } from "../Errors.js"
import * as Redact from "./Redact.js"

/** The engine's SSO entry point for HTTP (Negotiate) authentication, below `{scheme}://{host}`. */
export const tokenHttpAuthPath = "/ovirt-engine/sso/oauth/token-http-auth"

/** The OAuth grant the engine expects on `token-http-auth` (Python SDK: `kerberos=True`). */
export const httpGrantType = "urn:ovirt:params:oauth:grant-type:http"

/** The form body of the `token-http-auth` request (sent with `Accept: application/json`). */
export const tokenHttpAuthForm = (): URLSearchParams =>
  new URLSearchParams({ grant_type: httpGrantType, scope: "ovirt-app-api" })

/** The GSSAPI host-based service name of the engine at `url`: `HTTP@engine.example.com`. */
export const servicePrincipalFor = (url: string | URL): string => {
  const host = (typeof url === "string" ? new URL(url) : url).hostname
  return `HTTP@${host.replace(/^\[(.*)\]$/, "$1")}`
}

/** What a `WWW-Authenticate` header says about Negotiate: offered or not, and the server's token. */
export interface NegotiateChallenge {
  readonly offered: boolean
  /** The base64 GSSAPI token after `Negotiate`, when the server sent one (mutual authentication). */
  readonly token?: string
}

/**
 * Reads `Negotiate` out of a `WWW-Authenticate` value, which may list several schemes
 * (`Negotiate, Basic realm="x"`) or come as several header lines.
 */
export const parseNegotiate = (
  header: string | ReadonlyArray<string> | undefined
): NegotiateChallenge => {
  const values = header === undefined ? [] : typeof header === "string" ? [header] : header
  for (const value of values) {
    // A token68 cannot contain commas, so splitting on them is safe; auth-params of other schemes
    // (`realm="a, b"`) may hold commas but never start with `Negotiate`.
    for (const part of value.split(",")) {
      const match = /^\s*Negotiate(?:\s+([A-Za-z0-9+/=._~-]+))?\s*$/i.exec(part)
      if (match !== null) return match[1] === undefined ? { offered: true } : { offered: true, token: match[1] }
    }
  }
  return { offered: false }
}

/** A client security context: its first token, and the check of the server's answer. */
export interface NegotiateContext {
  /** Base64 GSSAPI (SPNEGO) token for `Authorization: Negotiate <token>`. */
  readonly token: string
  /**
   * Feeds the server's final token (from `WWW-Authenticate: Negotiate <token>` on the success answer)
   * to the context: succeeds when it proves the server's identity (mutual authentication), fails
   * with an `AuthError` when it does not. Gives the next token when the mechanism wants another leg.
   */
  readonly respond: (challenge: string) => Effect.Effect<string | undefined, AuthError>
}

/** The few members of the `kerberos` package's client this module uses (its 2.x ships no types). */
export interface KerberosClient {
  step(challenge: string): Promise<string | null | undefined>
  readonly contextComplete: boolean
}
/** The few members of the `kerberos` package this module uses. */
export interface KerberosModule {
  initializeClient(service: string, options: { readonly mechOID: number }): Promise<KerberosClient>
  readonly GSS_MECH_OID_SPNEGO: number
}

const installHint =
  "Kerberos authentication needs the optional `kerberos` package: run `npm install kerberos`. It is a " +
  "native addon built against the GSSAPI headers (Debian/Ubuntu: `apt-get install libkrb5-dev`; " +
  "Fedora/RHEL: `dnf install krb5-devel`)."

const messageOf = (cause: unknown): string => (cause instanceof Error ? cause.message : String(cause))

/** The package itself is missing (not a file inside it, such as its unbuilt native part). */
const isPackageMissing = (cause: unknown, specifier: string): boolean => {
  const code = typeof cause === "object" && cause !== null ? (cause as { code?: unknown }).code : undefined
  return (code === "ERR_MODULE_NOT_FOUND" || code === "MODULE_NOT_FOUND") && messageOf(cause).includes(`'${specifier}'`)
}

const isKerberosModule = (value: unknown): value is KerberosModule =>
  typeof value === "object" && value !== null &&
  typeof (value as { initializeClient?: unknown }).initializeClient === "function" &&
  typeof (value as { GSS_MECH_OID_SPNEGO?: unknown }).GSS_MECH_OID_SPNEGO === "number"

/**
 * Imports the `kerberos` package (or `specifier`, for tests) on demand. A missing package, or one
 * whose native part did not build, is an `AuthError` that says what to install.
 */
export const loadKerberos = (specifier = "kerberos"): Effect.Effect<KerberosModule, AuthError> =>
  Effect.tryPromise({
    // A non-literal specifier keeps TypeScript and bundlers from resolving the optional package.
    try: () => import(specifier) as Promise<{ readonly default?: unknown }>,
    catch: (cause) =>
      new AuthError({
        cause: Redact.failure(cause),
        message: isPackageMissing(cause, specifier)
          ? `The \`${specifier}\` package is not installed. ${installHint}`
          : `The \`${specifier}\` package is installed but could not be loaded (${messageOf(cause).split("\n")[0]}): ` +
            `reinstall it where its native part can build. ${installHint}`
      })
  }).pipe(
    Effect.flatMap((namespace) => {
      // A CommonJS package: its exports are the namespace's `default`.
      const exported = namespace.default ?? namespace
      return isKerberosModule(exported)
        ? Effect.succeed(exported)
        : Effect.fail(new AuthError({
          message: `The installed \`${specifier}\` package is not the one expected. ${installHint}`
        }))
    })
  )

const gssFailure = (servicePrincipal: string, what: string, cause: unknown): AuthError =>
  new AuthError({
    cause: Redact.failure(cause),
    message:
      `Kerberos could not ${what} for ${servicePrincipal}: ${messageOf(cause)}. Check that you hold a ticket ` +
      "(`kinit`, `klist`; KRB5CCNAME) and that the KDC knows the engine's principal " +
      `${servicePrincipal.replace("@", "/")}.`
  })

/** Starts a client security context for `servicePrincipal` (`HTTP@host`) and makes its first token. */
export const start = (servicePrincipal: string): Effect.Effect<NegotiateContext, AuthError> =>
  Effect.gen(function* () {
    const kerberos = yield* loadKerberos()
    const client = yield* Effect.tryPromise({
      // SPNEGO is what HTTP Negotiate carries (curl, and so the Python SDK, send it too).
      try: () => kerberos.initializeClient(servicePrincipal, { mechOID: kerberos.GSS_MECH_OID_SPNEGO }),
      catch: (cause) => gssFailure(servicePrincipal, "start a security context", cause)
    })
    const token = yield* Effect.tryPromise({
      try: () => client.step(""),
      catch: (cause) => gssFailure(servicePrincipal, "make a token", cause)
    })
    if (token === null || token === undefined || token === "") {
      return yield* Effect.fail(gssFailure(servicePrincipal, "make a token", "the GSSAPI library gave no token"))
    }
    const respond = (challenge: string): Effect.Effect<string | undefined, AuthError> =>
      Effect.tryPromise({
        try: () => client.step(challenge),
        catch: (cause) => gssFailure(servicePrincipal, "verify the engine's answer (mutual authentication)", cause)
      }).pipe(Effect.map((next) => (next === null || next === undefined || next === "" ? undefined : next)))
    return { token, respond }
  }).pipe(Effect.withSpan("ovirt.kerberos.start", { attributes: { "ovirt.kerberos.service": servicePrincipal } }))

/** The base64 GSSAPI token that opens a Negotiate exchange with `servicePrincipal` (`HTTP@host`). */
export const initialToken = (servicePrincipal: string): Effect.Effect<string, AuthError> =>
  Effect.map(start(servicePrincipal), (context) => context.token)

/** The status and `WWW-Authenticate` header(s) of an answer, as `negotiate` needs them. */
export interface NegotiateAnswer {
  readonly status: number
  readonly wwwAuthenticate: string | ReadonlyArray<string> | undefined
}

export interface NegotiateOptions<A, E, R> {
  /** `HTTP@host` of the engine: see `servicePrincipalFor`. */
  readonly servicePrincipal: string
  /** Sends the request (a fresh body each time), with `Authorization` when given. */
  readonly send: (authorization: string | undefined) => Effect.Effect<A, E, R>
  readonly read: (answer: A) => NegotiateAnswer
  /** For error messages: the request line. */
  readonly method?: string
  readonly path?: string
}

/**
 * One HTTP Negotiate exchange: sends the request; on `401` with `WWW-Authenticate: Negotiate`,
 * sends it again with `Authorization: Negotiate <token>`; when the success answer carries the
 * server's token, verifies it (mutual authentication). Gives the last answer; a second `401` or a
 * `401` without Negotiate is an `AuthError`. Other statuses are left to the caller.
 */
export const negotiate = <A, E, R>(options: NegotiateOptions<A, E, R>): Effect.Effect<A, E | AuthError, R> =>
  Effect.gen(function* () {
    const context = {
      code: 401,
      ...(options.method === undefined ? {} : { method: options.method }),
      ...(options.path === undefined ? {} : { path: options.path })
    }
    const first = yield* options.send(undefined)
    const firstStatus = options.read(first)
    if (firstStatus.status !== 401) return first
    if (!parseNegotiate(firstStatus.wwwAuthenticate).offered) {
      return yield* Effect.fail(new AuthError({
        ...context,
        message: "The engine answered 401 without offering Kerberos (no `WWW-Authenticate: Negotiate`): " +
          "is HTTP (Kerberos) authentication configured on the engine's SSO?"
      }))
    }
    const security = yield* start(options.servicePrincipal)
    const second = yield* options.send(`Negotiate ${security.token}`)
    const secondStatus = options.read(second)
    const challenge = parseNegotiate(secondStatus.wwwAuthenticate)
    if (secondStatus.status === 401) {
      return yield* Effect.fail(new AuthError({
        ...context,
        message: `The engine refused the Kerberos ticket for ${options.servicePrincipal}: is your principal ` +
          "(`klist`) known to the engine's authentication profile?"
      }))
    }
    if (secondStatus.status >= 200 && secondStatus.status < 300 && challenge.token !== undefined) {
      yield* Effect.mapError(
        security.respond(challenge.token),
        (error) => new AuthError({ ...context, code: secondStatus.status, message: error.message })
      )
    }
    return second
  })
