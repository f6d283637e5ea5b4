/**
 * The SSO token: obtained lazily by the first call that needs it, once for all fibers (single
 * flight, failures shared too), replaced once after a 401, revoked when the connection closes.
 * Facts from the engine and the Python SDK: password grant as a form with `Accept: application/json`
 * exactly; the token under `ssoTokenName` in an object or a one-element array; two JSON error shapes.
 */
import { Deferred, Effect, Exit, FiberId, Redacted, Scope } from "effect"
import { AuthError, type ConnectionError, DecodeError, FaultError, type HttpContext, type OvirtError, TimeoutError } from "../Errors.js"
import { plainText, shorten } from "./Answers.js"
import type { ApiResponse, WireRequest } from "./Wire.js"

/**
 * A buffered exchange, as the connection performs it (logging, timeouts and redaction included);
 * `kind` says what the body is, for redaction in debug logs.
 */
export type RoundTrip = (request: WireRequest & { readonly kind: "sso" }) => Effect.Effect<ApiResponse, ConnectionError | TimeoutError | DecodeError>

export interface AuthSettings {
  readonly username?: string
  readonly password?: Redacted.Redacted<string>
  /** A token obtained elsewhere: used as is, never revoked. */
  readonly token?: Redacted.Redacted<string>
  readonly kerberos: boolean
  /** The API root, for the Kerberos service name. */
  readonly apiUrl: string
  readonly ssoUrl: string
  readonly ssoRevokeUrl: string
  readonly ssoTokenName: string
  readonly logoutOnClose: boolean
  /** Bounds the logout on close: a stalled SSO service must not keep the scope from closing. */
  readonly revokeTimeoutMillis: number
  readonly userAgent: string
  /** Called with every token obtained, so it can be scrubbed from logs and messages. */
  readonly onToken: (token: string) => void
  /** Removes known secrets from text the SSO service sent, before it goes into an error message. */
  readonly scrub: (text: string) => string
}

export interface Auth {
  /** The current token, obtaining one if there is none yet. */
  readonly token: Effect.Effect<string, OvirtError>
  /** The token in hand, if there is one (read on every call, without an Effect). */
  readonly current: () => string | undefined
  /** After a 401 with `stale`: a new token (once per stale token, shared), or an AuthError when none can be had. */
  readonly refresh: (stale: string) => Effect.Effect<string, OvirtError>
}

type State =
  | { readonly _tag: "Empty" }
  | { readonly _tag: "Pending"; readonly deferred: Deferred.Deferred<string, OvirtError> }
  | { readonly _tag: "Ready"; readonly token: string; readonly obtained: boolean }

const SCOPE = "ovirt-app-api"

export const make = (settings: AuthSettings, roundTrip: RoundTrip): Effect.Effect<Auth, never, Scope.Scope> =>
  Effect.gen(function* () {
    const scope = yield* Effect.scope
    const userToken = settings.token === undefined ? undefined : Redacted.value(settings.token)
    const canLogin = settings.kerberos || (settings.username !== undefined && settings.password !== undefined)
    let state: State = userToken === undefined ? { _tag: "Empty" } : { _tag: "Ready", token: userToken, obtained: false }

    const login: Effect.Effect<string, OvirtError> = settings.kerberos
      ? kerberosLogin(settings, roundTrip)
      : passwordLogin(settings, roundTrip)

    // The check-and-set runs in one synchronous step, so concurrent fibers see a single Pending. Claiming
    // and forking are uninterruptible together: a caller interrupted between them would leave a Pending
    // whose login never runs, and every later call waiting on it forever. Only the wait is interruptible.
    const claim: Effect.Effect<string, OvirtError> = Effect.uninterruptibleMask((restore) =>
      Effect.suspend(() => {
        const current = state
        if (current._tag === "Ready") return Effect.succeed(current.token)
        if (current._tag === "Pending") return restore(Deferred.await(current.deferred))
        if (!canLogin) {
          return Effect.fail(new AuthError({ message: "No credentials: give `username` and `password`, a `token`, or `kerberos: true`." }))
        }
        const deferred = Deferred.unsafeMake<string, OvirtError>(FiberId.none)
        state = { _tag: "Pending", deferred }
        // The login runs in the connection's scope: a caller interrupted meanwhile does not abort it for the
        // others. Only the login itself is interruptible (closing the connection); recording its result is not.
        const run = Effect.interruptible(login).pipe(
          Effect.exit,
          Effect.flatMap((exit) => {
            state = Exit.isSuccess(exit) ? { _tag: "Ready", token: exit.value, obtained: true } : { _tag: "Empty" }
            if (Exit.isSuccess(exit)) settings.onToken(exit.value)
            return Deferred.done(deferred, exit)
          }),
          // closing the connection during a login: the waiters are interrupted, not left hanging
          Effect.onInterrupt(() =>
            Effect.suspend(() => {
              if (state._tag === "Pending" && state.deferred === deferred) state = { _tag: "Empty" }
              return Deferred.interrupt(deferred)
            })
          )
        )
        return Effect.forkIn(run, scope).pipe(Effect.zipRight(restore(Deferred.await(deferred))))
      })
    )
    // every call asks: a token in hand is read without the mask (nothing is claimed then)
    const token: Effect.Effect<string, OvirtError> = Effect.suspend(() => {
      const current = state
      return current._tag === "Ready" ? Effect.succeed(current.token) : claim
    })

    const refresh = (stale: string): Effect.Effect<string, OvirtError> =>
      Effect.suspend(() => {
        const current = state
        if (current._tag === "Ready" && current.token === stale) {
          if (!canLogin) {
            return Effect.fail(new AuthError({
              code: 401,
              message: "The engine refused the token (401): it expired or was revoked, and there are no credentials to get a new one."
            }))
          }
          state = { _tag: "Empty" }
        }
        return token
      })

    yield* Effect.addFinalizer(() =>
      Effect.suspend(() => {
        const current = state
        state = { _tag: "Empty" }
        if (current._tag !== "Ready" || !current.obtained || !settings.logoutOnClose) return Effect.void
        return revoke(settings, roundTrip, current.token)
      })
    )
    const current = (): string | undefined => (state._tag === "Ready" ? state.token : undefined)
    return { token, current, refresh }
  })

// ---------------------------------------------------------------------------------------------
// Logging in

const ssoHeaders = (settings: AuthSettings): Record<string, string> => ({
  // The engine compares Accept as a string: exactly this value, nothing added.
  Accept: "application/json",
  "Content-Type": "application/x-www-form-urlencoded",
  "User-Agent": settings.userAgent
})

const passwordLogin = (settings: AuthSettings, roundTrip: RoundTrip): Effect.Effect<string, OvirtError> =>
  Effect.gen(function* () {
    const body = new URLSearchParams({
      grant_type: "password",
      scope: SCOPE,
      username: settings.username ?? "",
      password: settings.password === undefined ? "" : Redacted.value(settings.password)
    }).toString()
    const context = { method: "POST", path: new URL(settings.ssoUrl).pathname }
    const answer = yield* roundTrip({ method: "POST", url: settings.ssoUrl, headers: ssoHeaders(settings), body, context, kind: "sso" })
    return yield* tokenFrom(answer, settings, context)
  }).pipe(Effect.withSpan("ovirt.sso.login", { kind: "client" }))

const kerberosLogin = (settings: AuthSettings, roundTrip: RoundTrip): Effect.Effect<string, OvirtError> =>
  Effect.gen(function* () {
    // Loaded only here: the optional native `kerberos` package is never needed otherwise.
    const Kerberos = yield* Effect.promise(() => import("./Kerberos.js"))
    const body = Kerberos.tokenHttpAuthForm().toString()
    const context = { method: "POST", path: new URL(settings.ssoUrl).pathname }
    const answer = yield* Kerberos.negotiate({
      servicePrincipal: Kerberos.servicePrincipalFor(settings.apiUrl),
      send: (authorization) => {
        // the SPNEGO token is a credential too: an SSO front that echoes the request must not leak it
        if (authorization !== undefined) settings.onToken(authorization.replace(/^Negotiate\s+/i, ""))
        return roundTrip({
          method: "POST",
          url: settings.ssoUrl,
          headers: authorization === undefined ? ssoHeaders(settings) : { ...ssoHeaders(settings), Authorization: authorization },
          body,
          context,
          kind: "sso"
        })
      },
      read: (answer) => ({ status: answer.status, wwwAuthenticate: answer.headers["www-authenticate"] }),
      method: "POST",
      path: context.path
    })
    return yield* tokenFrom(answer, settings, context)
  }).pipe(Effect.withSpan("ovirt.sso.kerberos", { kind: "client" }))

interface SsoError {
  readonly code: string
  readonly text: string
}

/** The engine's two error shapes: `{error_code, error}` and `{error, error_description}`. */
const ssoErrorOf = (json: unknown): SsoError | undefined => {
  if (typeof json !== "object" || json === null) return undefined
  const o = json as Record<string, unknown>
  if (o.error_code !== undefined) return { code: String(o.error_code), text: o.error === undefined ? "" : String(o.error) }
  if (o.error !== undefined) return { code: String(o.error), text: o.error_description === undefined ? "" : String(o.error_description) }
  return undefined
}

/**
 * The SSO answer as JSON. One that is not JSON is classified by status first: a 2xx is most likely
 * not the SSO service at all (a wrong `url` or `ssoUrl`), 401/403 a refusal, anything else (a 503
 * page from a proxy, say) a fault of the service; the message names the URL, never the form sent.
 */
const parseJson = (answer: ApiResponse, settings: AuthSettings, url: string, context: HttpContext, what: string): Effect.Effect<unknown, AuthError | DecodeError | FaultError> =>
  Effect.suspend((): Effect.Effect<unknown, AuthError | DecodeError | FaultError> => {
    try {
      const json: unknown = JSON.parse(answer.body)
      return Effect.succeed(Array.isArray(json) ? json[0] : json)
    } catch {
      const type = answer.headers["content-type"] ?? "no content type"
      const at = `The SSO service at ${safeUrl(url)} answered the ${what} with ${answer.status} (${type})`
      const full = { ...context, code: answer.status }
      if (answer.status >= 200 && answer.status < 300) {
        return Effect.fail(new DecodeError({
          ...full,
          message: `${at}, not JSON: check \`url\` (the API root, like https://engine.example.com/ovirt-engine/api) or \`ssoUrl\`.`
        }))
      }
      const text = shorten(settings.scrub(plainText(type, answer.body)), 200)
      const message = `${at}${text === "" ? "" : `: ${text}`}`
      return Effect.fail(
        answer.status === 401 || answer.status === 403 ? new AuthError({ ...full, message }) : new FaultError({ ...full, message })
      )
    }
  })

/** Origin and path: a URL given by the user could carry credentials or a query. */
const safeUrl = (url: string | URL): string => {
  const parsed = new URL(url)
  return `${parsed.origin}${parsed.pathname}`
}

const profileHint =
  " Give the user name with its profile, `user@profile`: `admin@internal`, or since oVirt 4.5 often `admin@ovirt@internalsso`."

const tokenFrom = (answer: ApiResponse, settings: AuthSettings, context: HttpContext): Effect.Effect<string, OvirtError> =>
  Effect.gen(function* () {
    const json = yield* parseJson(answer, settings, settings.ssoUrl, context, "login")
    const error = ssoErrorOf(json)
    const who = settings.kerberos ? "the Kerberos login" : `the login of ${settings.username ?? "(no user)"}`
    if (error !== undefined || answer.status >= 300) {
      const code = settings.scrub(error?.code ?? String(answer.status))
      const text = settings.scrub(error?.text ?? "")
      const needsProfile = (!settings.kerberos && !(settings.username ?? "").includes("@")) || /profile/i.test(text)
      return yield* Effect.fail(new AuthError({
        ...context,
        code: answer.status,
        ssoError: code,
        message: `The SSO service refused ${who}: ${code}${text === "" ? "" : `: ${text}`}.${needsProfile ? profileHint : ""}`
      }))
    }
    const value = (json as Record<string, unknown> | undefined)?.[settings.ssoTokenName]
    const token = Array.isArray(value) ? value[0] : value
    if (typeof token !== "string" || token === "") {
      return yield* Effect.fail(new AuthError({
        ...context,
        code: answer.status,
        message: `The SSO answer holds no \`${settings.ssoTokenName}\`: if your SSO service names the token differently, set \`ssoTokenName\`.`
      }))
    }
    return token
  })

// ---------------------------------------------------------------------------------------------
// Logging out

/** The revoke is best effort: its failure or a stall past `revokeTimeoutMillis` is a warning, never a failed or hung close. */
const revoke = (settings: AuthSettings, roundTrip: RoundTrip, token: string): Effect.Effect<void> => {
  const url = new URL(settings.ssoRevokeUrl)
  const context = { method: "POST", path: url.pathname }
  const millis = settings.revokeTimeoutMillis
  return roundTrip({
    method: "POST",
    url: settings.ssoRevokeUrl,
    headers: ssoHeaders(settings),
    body: new URLSearchParams({ scope: SCOPE, token }).toString(),
    context,
    kind: "sso"
  }).pipe(
    Effect.flatMap((answer) => parseJson(answer, settings, settings.ssoRevokeUrl, context, "logout").pipe(Effect.map((json) => ({ answer, json })))),
    Effect.flatMap(({ answer, json }) => {
      const error = ssoErrorOf(json)
      return error === undefined && answer.status < 300
        ? Effect.void
        : Effect.logWarning(settings.scrub(`Revoking the SSO token failed: ${error === undefined ? answer.status : `${error.code}: ${error.text}`}`))
    }),
    // finalizers run uninterruptibly: without this the timeout could not stop a stalled request
    Effect.interruptible,
    Effect.timeoutFail({
      duration: millis,
      onTimeout: () =>
        new TimeoutError({
          ...context,
          phase: "request",
          timeoutMillis: millis,
          message: `the SSO service at ${safeUrl(url)} did not answer within ${millis} ms; closing without waiting for it`
        })
    }),
    Effect.catchAll((error) => Effect.logWarning(settings.scrub(`Revoking the SSO token failed: ${error.message}`))),
    Effect.withSpan("ovirt.sso.logout", { kind: "client" })
  )
}
