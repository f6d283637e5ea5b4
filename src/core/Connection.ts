/**
 * src/core is the bottom layer: the hand-written runtime every other layer builds on, importing none of
 * them (test/architecture.test.ts checks it). Its public modules are this one (the Connection),
 * Errors.ts (the tagged errors), Options.ts (the connection's options), Xml.ts (the XML codec, driven by
 * the metadata it is given) and Metadata.ts (the shape of that metadata); the rest lives in internal/.
 *
 * The Connection: a scoped service that sends API requests to one engine with authentication,
 * TLS, timeouts, retries, error mapping, debug logging and spans. `makeWith(upper)` builds it in a
 * scope with what the layers above the core give it (the XML codec, the service tree); the public
 * module src/services/Connection.ts binds those and offers `make`, `layer` and `layerConfig`.
 *
 * Policy lives here; the wire is in internal/Http.ts, the SSO token in internal/Auth.ts, options in
 * Options.ts, answers to errors in internal/Answers.ts, debug lines in internal/DebugLog.ts, links in
 * internal/Links.ts, the request and answer shapes in internal/Wire.ts.
 */
import type { Scope } from "effect"
import { Clock, Duration, Effect, Either, FiberRef, Option, Redacted, Schedule, Stream, type Tracer } from "effect"
import { classify, isHtmlOrJson, wrongContent } from "./internal/Answers.js"
import * as Auth from "./internal/Auth.js"
import { retryLockConflicts } from "./internal/Conflicts.js"
import * as Correlation from "./internal/Correlation.js"
import * as DebugLog from "./internal/DebugLog.js"
import { AuthError, type ConnectionError, type DecodeError, type HttpContext, InvalidInputError, type OvirtError, TimeoutError } from "./Errors.js"
import * as Http from "./internal/Http.js"
import * as Links from "./internal/Links.js"
import { checkPath, isPlainPath } from "./internal/Paths.js"
import type { ApiRequest, ApiResponse, CallOptions, Deadline, DecodeDocument, DurationWithUnit, ServiceRef } from "./internal/Wire.js"
import { checkHeaders, type ConnectionOptions, limitOf, type RetryInput, type RetryOptions, type Settings, type TransientAnswer, validate, fromEnv } from "./Options.js"
import * as Redact from "./internal/Redact.js"
import * as Trust from "./internal/Trust.js"
import { Connection, type ConnectionService, type TransportSettings } from "./internal/ConnectionTag.js"

export type { ApiRequest, ApiResponse, CallOptions, ConnectionOptions, ConnectionService, DurationWithUnit, RetryInput, RetryOptions, TransientAnswer, TransportSettings }
export { Connection }
export { fromEnv }
export { isLockConflict } from "./internal/Conflicts.js"

/**
 * Runs `effect` with every API request made inside it carrying the engine's correlation id `id`
 * (the `Correlation-Id` header, also a span attribute): the engine records it on the jobs and events
 * the requests start, so `Wait.forJob(id)` finds them. 1 to 50 letters, digits, `_` or `-`.
 */
export const withCorrelationId: (id: string) => <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E | InvalidInputError, R> =
  Correlation.withCorrelationId

// ---------------------------------------------------------------------------------------------
// Layers

/** `caFromEngine`: download the engine's CA and trust it when its SHA-256 fingerprint is `pin`. */
export interface CaFromEngine {
  /** The CA's SHA-256 fingerprint, hex with or without colons (`openssl x509 -noout -fingerprint -sha256`). */
  readonly pin: string
  /** Bounds the download. Default 30 seconds. */
  readonly timeout?: Duration.DurationInput
}

/** The options with the engine's CA fetched and pinned before anything else is sent. */
export interface ConnectionOptionsWithEngineCa extends ConnectionOptions {
  readonly caFromEngine: CaFromEngine
}

/** Why the engine's CA could not be trusted (a pin mismatch is an `AuthError`). */
export type TrustError = AuthError | ConnectionError | TimeoutError | DecodeError

/**
 * What the layers above the core give a connection: the XML codec over the model's metadata (faults
 * and followed links are decoded with it) and the service tree that `service(path)` walks.
 */
export interface UpperLayers {
  readonly decode: DecodeDocument
  readonly service: (path: string) => Effect.Effect<ServiceRef, InvalidInputError>
}

/** The connection in a scope: the pool closes and the SSO token is revoked when the scope closes. */
export const makeWith = (upper: UpperLayers) =>
(options: ConnectionOptions | ConnectionOptionsWithEngineCa): Effect.Effect<ConnectionService, InvalidInputError | TrustError, Scope.Scope> => {
  if (!("caFromEngine" in options) || options.caFromEngine === undefined) return Effect.flatMap(validate(options), (settings) => build(settings, upper))
  const { caFromEngine, ...rest } = options
  // the CA first, on a request that carries nothing secret; credentials only go out once it is trusted
  return Effect.flatMap(
    Trust.fetchCaCertificate(rest.url, caFromEngine),
    (ca) => {
      const given = rest.caCerts === undefined ? [] : typeof rest.caCerts === "string" ? [rest.caCerts] : rest.caCerts
      return Effect.flatMap(validate({ ...rest, caCerts: [...given, ca.pem] }), (settings) => build(settings, upper))
    }
  )
}

/**
 * Downloads the engine's CA from `/ovirt-engine/services/pki-resource` (at the origin of `url`) and,
 * with `pin`, checks its SHA-256 fingerprint (`AuthError` naming the one seen when it differs).
 * Without a pin it gives the PEM and its fingerprint, e.g. for a trust-on-first-use prompt.
 */
export const fetchCaCertificate: (url: string, options?: Trust.FetchCaOptions) => Effect.Effect<Trust.EngineCa, TrustError | InvalidInputError> =
  Trust.fetchCaCertificate
export type { EngineCa, FetchCaOptions } from "./internal/Trust.js"

// ---------------------------------------------------------------------------------------------
// The service

/** The longest a close waits for the SSO logout (less when `timeout` is shorter). */
const REVOKE_TIMEOUT_MILLIS = 10_000

/** The SDK's own headers: silently kept over the user's (hop-by-hop ones are refused by `checkHeaders`). */
const SDK_HEADERS = new Set(["version", "accept", "content-type", "authorization", "user-agent", "all-content", "accept-encoding"])

const build = (settings: Settings, upper: UpperLayers): Effect.Effect<ConnectionService, never, Scope.Scope> =>
  Effect.gen(function* () {
    if (settings.insecure) {
      yield* Effect.logWarning(`insecure: true: the TLS certificate of ${settings.apiUrl.host} is not verified; use caFile instead outside a test setup.`)
    }
    const scrubber = new Redact.Scrubber()
    if (settings.password !== undefined) scrubber.add(Redacted.value(settings.password))
    if (settings.token !== undefined) scrubber.add(Redacted.value(settings.token))
    if (settings.http.proxy !== undefined) addProxyCredentials(scrubber, settings.http.proxy)
    const scrub = (text: string): string => scrubber.scrub(text)

    const http = yield* Http.make(settings.http, {
      tracePropagation: settings.tracePropagation,
      scrub,
      ...(settings.transformClient === undefined ? {} : { transformClient: settings.transformClient })
    })
    // a call without headers of its own sends these and its token: made once, not per call
    const baseHeaders = apiHeaders(settings, userHeaders(settings.headers), undefined, false)
    const log = DebugLog.make(settings, scrubber)

    /** One HTTP exchange, body unread; logged, with retries for idempotent requests. */
    const exchange = (wire: Http.WireRequest, kind: DebugLog.BodyKind): Effect.Effect<Http.WireResponse, ConnectionError | TimeoutError> =>
      withRetries(settings.retry, wire, log.enabled ? Effect.zipRight(log.request(withAuthorization(wire), kind), http.execute(wire)) : http.execute(wire))

    /** One exchange read whole (`wire.buffered` set: the transport reads the body with the headers). */
    const buffered = (wire: Http.WireRequest, kind: DebugLog.BodyKind): Effect.Effect<ApiResponse, ConnectionError | TimeoutError | DecodeError> =>
      Effect.flatMap(exchange(wire, kind), (response) => {
        const whole = response.whole
        const read = whole === undefined
          ? Effect.map(response.text, (body): ApiResponse => ({ status: response.status, headers: response.headers, body }))
          : Effect.succeed<ApiResponse>({ status: response.status, headers: response.headers, body: whole })
        return log.enabled ? Effect.tap(read, (answer) => log.response(wire, answer, kind)) : read
      })

    const roundTrip: Auth.RoundTrip = (request) =>
      withTimeout(buffered({ ...request, buffered: true }, request.kind), settings.timeoutMillis, request.context)

    const auth = yield* Auth.make({
      ...(settings.username === undefined ? {} : { username: settings.username }),
      ...(settings.password === undefined ? {} : { password: settings.password }),
      ...(settings.token === undefined ? {} : { token: settings.token }),
      kerberos: settings.kerberos,
      apiUrl: settings.url,
      ssoUrl: settings.ssoUrl,
      ssoRevokeUrl: settings.ssoRevokeUrl,
      ssoTokenName: settings.ssoTokenName,
      logoutOnClose: settings.logoutOnClose,
      revokeTimeoutMillis: Math.min(REVOKE_TIMEOUT_MILLIS, settings.timeoutMillis ?? Infinity),
      userAgent: settings.userAgent,
      onToken: (token) => scrubber.add(token),
      scrub
    }, roundTrip)

    const apiPath = settings.apiUrl.pathname.replace(/\/+$/, "")

    /**
     * What a request needs before it is sent, or why it cannot be sent (then nothing is). A buffered
     * call's wire requests ask the transport to read the answer whole and, when the transport is the
     * SDK's own client, to enforce the timeout (`deadline`, from now) with its own timer.
     */
    const prepare = (request: ApiRequest, inherited: Option.Option<string>, buffered: boolean): Either.Either<{
      readonly context: HttpContext
      readonly correlationId: string | undefined
      readonly wire: (token: string) => Http.WireRequest
      readonly millis: number | undefined
      readonly deadline: Deadline | undefined
    }, InvalidInputError> => {
      const checkedPath = typeof request.path === "string"
        ? checkPath(request.path, callName(request))
        : Either.left(new InvalidInputError({ message: `${callName(request)}: the path must be a string (got ${typeof request.path}). Nothing was sent.`, paths: ["path"] }))
      // the path is the caller's: it is shown, but never with the connection's secrets
      if (Either.isLeft(checkedPath)) return Either.left(new InvalidInputError({ message: scrubber.scrub(checkedPath.left.message), paths: ["path"] }))
      const millis = timeoutOf(settings, request)
      if (Either.isLeft(millis)) return Either.left(millis.left)
      const badHeader = checkHeaders("`headers` of the call", request.options?.headers)
      if (badHeader !== undefined) return Either.left(badHeader)
      // an inherited id was checked by withCorrelationId, the only way to set it
      const own = request.options?.correlationId
      const checkedId: Either.Either<unknown, InvalidInputError> = own === undefined ? Either.void : Correlation.check(own)
      if (Either.isLeft(checkedId)) return Either.left(checkedId.left)
      const correlationId = own ?? Option.getOrUndefined(inherited)
      const pathWithQuery = request.query === undefined && request.options?.query === undefined ? request.path : Redact.pathAndQuery(request)
      // a caller may put the connection's token or password in any query parameter: scrubbed by value too
      const context: HttpContext = { method: request.method, path: scrubber.scrub(Redact.pathWithQuery(pathWithQuery)) }
      const url = pathWithQuery === "" ? settings.url : pathWithQuery.startsWith("?") ? settings.url + pathWithQuery : `${settings.url}/${pathWithQuery}`
      // the HTTP client parses the URL (WHATWG): make sure that cannot change the path the request names
      const expected = request.path === "" ? settings.apiUrl.pathname : `${apiPath}/${request.path}`
      // a plain path (no dot segment, no escape) is one the parser keeps as is: checked without parsing
      if (!isPlainPath(request.path) && new URL(url).pathname !== expected) {
        return Either.left(new InvalidInputError({
          message: scrubber.scrub(`${callName(request)}: the path /${request.path} would not reach the engine as written. Nothing was sent.`),
          paths: ["path"]
        }))
      }
      // a call without its own headers or body shares the connection's header map (never mutated)
      const all = allContent(request)
      const shared = request.options?.headers === undefined && request.body === undefined && !all
        ? baseHeaders
        : apiHeaders(settings, userHeaders(settings.headers, request.options?.headers ?? {}), request.body, all)
      const headers = correlationId === undefined ? shared : { ...shared, [Correlation.HEADER]: correlationId }
      const limit = millis.right
      // a middleware could hold the request before or after the SDK's client (where the timer is), and a
      // conflict retry pauses between exchanges: those calls are bounded by Effect.timeout as a whole
      // (and so is a limit past what a timer can hold: Node fires a longer setTimeout after 1 ms, where
      // Effect's clock never fires one)
      const deadline: Deadline | undefined = buffered && limit !== undefined && limit <= MAX_TIMER_MILLIS &&
          settings.transformClient === undefined && (request.options?.retryConflicts ?? settings.retryConflicts) === undefined
        ? { at: performance.now() + limit, error: () => timeoutError(context, limit) }
        : undefined
      const wire = (token: string): Http.WireRequest => ({
        method: request.method,
        url,
        headers,
        authorization: `Bearer ${token}`,
        ...(request.body === undefined ? {} : { body: request.body }),
        context,
        ...(buffered ? { buffered } : {}),
        ...(deadline === undefined ? {} : { deadline })
      })
      return Either.right({ context, correlationId, wire, millis: limit, deadline })
    }

    /**
     * Sends with the current token; on 401, once more with a new one (bounded by what is left of
     * `deadline`). `open` performs the exchange, `then` takes the answer that is not a first 401.
     */
    const authorized = <A extends { readonly status: number }, B>(
      open: (wire: Http.WireRequest) => Effect.Effect<A, OvirtError>,
      release: (answer: A) => Effect.Effect<unknown>,
      wire: (token: string) => Http.WireRequest,
      context: HttpContext,
      deadline: Deadline | undefined,
      then: (answer: A) => Effect.Effect<B, OvirtError>
    ): Effect.Effect<B, OvirtError> => {
      // a chain, not a generator: this runs for every call; a token in hand is read without an Effect
      const withToken = (token: string) =>
        Effect.flatMap(open(wire(token)), (first) =>
          first.status !== 401 ? then(first) : Effect.zipRight(
            release(first),
            // the new login and the second exchange within what is left; the answer read as on the first
            Effect.flatMap(
              within(
                Effect.flatMap(
                  Effect.mapError(auth.refresh(token), (error) =>
                    error._tag === "AuthError" && error.path === undefined ? new AuthError({ ...error, ...context, code: 401 }) : error),
                  (renewed) => open(wire(renewed))
                ),
                deadline
              ),
              then
            )
          ))
      const token = auth.current()
      return token === undefined ? Effect.flatMap(within(auth.token, deadline), withToken) : withToken(token)
    }

    const bufferedXml = (wire: Http.WireRequest) => buffered(wire, "xml")

    const send = (request: ApiRequest): Effect.Effect<ApiResponse, OvirtError> => FiberRef.getWith(Correlation.current, (inherited) => {
      const prepared = prepare(request, inherited, true)
      if (Either.isLeft(prepared)) return Effect.fail(prepared.left)
      const { context, correlationId, wire, millis, deadline } = prepared.right
      return inSpan(request, context, settings.apiUrl.host, correlationId, (span) => {
        const attempt = () =>
          authorized(bufferedXml, () => Effect.void, wire, context, deadline, (answer) => {
            span.attribute("http.response.status_code", answer.status)
            return classify(settings.apiUrl, request, context, answer, scrubber, upper.decode)
          })
        const conflicts = request.options?.retryConflicts ?? settings.retryConflicts
        // each attempt reads the token then current (authorized reads it when it is made)
        const retried = conflicts === undefined ? attempt() : retryLockConflicts(Effect.suspend(attempt), conflicts)
        // with a deadline the transport's timer bounds the call (and `within` its slower paths)
        return deadline === undefined ? withTimeout(retried, millis, context) : retried
      })
    })

    const sendStream = (request: ApiRequest): Stream.Stream<Uint8Array, OvirtError> => Stream.unwrap(FiberRef.getWith(Correlation.current, (inherited) => Effect.succeed(sendStreamWith(request, inherited))))

    const sendStreamWith = (request: ApiRequest, inherited: Option.Option<string>): Stream.Stream<Uint8Array, OvirtError> => {
      const prepared = prepare(request, inherited, false)
      if (Either.isLeft(prepared)) return Stream.fail(prepared.left)
      const { context, correlationId, wire, millis } = prepared.right
      const opened = Effect.gen(function* () {
        const start = yield* Clock.currentTimeMillis
        const response = yield* inSpan(request, context, settings.apiUrl.host, correlationId, (span) =>
          withTimeout(
            authorized((w) => exchange(w, "xml"), (r) => Effect.ignore(r.text), wire, context, undefined, (r) => {
              span.attribute("http.response.status_code", r.status)
              return Effect.succeed(r)
            }),
            millis,
            context
          ))
        const success = request.success ?? []
        if (success.includes(response.status) || (success.length === 0 && response.status >= 200 && response.status < 300)) {
          const type = response.headers["content-type"] ?? ""
          if (isHtmlOrJson(type)) {
            const body = yield* response.text
            return yield* Effect.fail(wrongContent(settings.apiUrl, context, response.status, type, body, scrubber))
          }
          yield* log.response(wire(""), { status: response.status, headers: response.headers, body: "(streamed)" }, "xml")
          return millis === undefined ? response.stream : Stream.interruptWhen(response.stream, Effect.zipRight(
            Effect.flatMap(Clock.currentTimeMillis, (now) => Effect.sleep(Math.max(0, millis - (now - start)))),
            Effect.fail(timeoutError(context, millis))
          ))
        }
        const body = yield* withTimeout(response.text, millis, context)
        yield* log.response(wire(""), { status: response.status, headers: response.headers, body }, "xml")
        return yield* classify(settings.apiUrl, request, context, { status: response.status, headers: response.headers, body }, scrubber, upper.decode).pipe(
          Effect.zipRight(Effect.succeed(Stream.empty))
        )
      })
      return Stream.unwrap(opened)
    }

    const errorPath = (request: ApiRequest): string => scrubber.scrub(Redact.requestPath(request))
    const testOrFail = Effect.asVoid(send({ method: "GET", path: "", operation: "test" }))
    const connection: ConnectionService = {
      url: settings.url,
      authenticate: Effect.map(auth.token, Redacted.make),
      test: Effect.match(testOrFail, { onFailure: () => false, onSuccess: () => true }),
      testOrFail,
      send,
      sendStream,
      isLink: Links.isLink,
      followLink: Links.followLink(settings.apiUrl, send, errorPath, scrub, upper.decode),
      service: upper.service,
      errorPath,
      scrub,
      transport: {
        insecure: settings.http.insecure,
        ...(settings.http.ca === undefined ? {} : { ca: settings.http.ca }),
        ...(settings.http.connectTimeoutMillis === undefined ? {} : { connectTimeoutMillis: settings.http.connectTimeoutMillis }),
        ...(settings.http.proxy === undefined ? {} : { proxy: settings.http.proxy })
      }
    }
    return connection
  })

/**
 * The password of a proxy URL (`http://user:pass@proxy:3128`) and the `Proxy-Authorization: Basic`
 * value undici makes of it: a proxy's error page may echo either.
 */
const addProxyCredentials = (scrubber: Redact.Scrubber, proxy: string): void => {
  const url = new URL(proxy)
  if (url.password === "") return
  const user = decodeURIComponent(url.username)
  const password = decodeURIComponent(url.password)
  scrubber.add(password)
  scrubber.add(Buffer.from(`${user}:${password}`).toString("base64"))
}

// ---------------------------------------------------------------------------------------------
// Requests

/** Connection-wide headers merged with a call's: by lower-case name, the SDK's own left out. */
const userHeaders = (...sources: ReadonlyArray<Readonly<Record<string, string>>>): Record<string, string> => {
  const merged = new Map<string, readonly [string, string]>()
  for (const source of sources) {
    for (const [name, value] of Object.entries(source)) {
      const key = name.toLowerCase()
      if (!SDK_HEADERS.has(key)) merged.set(key, [name, value])
    }
  }
  return Object.fromEntries(merged.values())
}

/**
 * The headers of an API call: per-call headers replace connection-wide ones (names compared
 * case-insensitively, merged by `userHeaders`) and the SDK's own always win.
 */
const apiHeaders = (settings: Settings, user: Readonly<Record<string, string>>, body: string | undefined, all: boolean): Record<string, string> => {
  const headers: Record<string, string> = { ...user }
  headers.Version = "4"
  headers.Accept = "application/xml"
  headers["User-Agent"] = settings.userAgent
  if (body !== undefined) headers["Content-Type"] = "application/xml"
  if (all) headers["All-Content"] = "true"
  return headers
}

/** The request with its `Authorization` among its headers, as the debug log shows it (redacted). */
const withAuthorization = (wire: Http.WireRequest): Http.WireRequest =>
  wire.authorization === undefined ? wire : { ...wire, headers: { ...wire.headers, Authorization: wire.authorization } }

/** Whether the request asks for `all_content=true` (which the engine also wants as a header). */
const allContent = (request: ApiRequest): boolean => {
  const value = request.query?.find(([name]) => name === "all_content")?.[1] ?? request.options?.query?.all_content
  return value !== undefined && String(value) === "true"
}

/**
 * A call's own `timeout` replaces the connection's either way: shorter, longer, or `Duration.infinity`
 * for no limit at all. One that is not a duration fails the call before anything is sent.
 */
const timeoutOf = (settings: Settings, request: ApiRequest): Either.Either<number | undefined, InvalidInputError> =>
  request.options?.timeout === undefined ? Either.right(settings.timeoutMillis) : limitOf("timeout", request.options.timeout, "of the call")

/** The longest delay a Node timer holds (2^31 - 1 ms, about 24.8 days); past it `setTimeout` fires at once. */
const MAX_TIMER_MILLIS = 2 ** 31 - 1

const timeoutError = (context: HttpContext, millis: number): TimeoutError =>
  new TimeoutError({
    ...context,
    phase: "request",
    timeoutMillis: millis,
    message: `${context.method ?? "The request"} ${context.path || "/"} took longer than ${millis} ms (timeout); the request was aborted.`
  })

const withTimeout = <A, E, R>(effect: Effect.Effect<A, E, R>, millis: number | undefined, context: HttpContext): Effect.Effect<A, E | TimeoutError, R> =>
  millis === undefined ? effect : Effect.timeoutFail(effect, { duration: millis, onTimeout: () => timeoutError(context, millis) })

/**
 * `effect` bounded by what is left of a call's deadline: for the slower paths of a call whose exchanges
 * the transport's timer bounds (a retry's pauses, a new login), which are rare enough for `Effect.timeout`.
 */
const within = <A, E, R>(effect: Effect.Effect<A, E, R>, deadline: Deadline | undefined): Effect.Effect<A, E | TimeoutError, R> =>
  deadline === undefined ? effect : Effect.suspend(() => {
    const left = deadline.at - performance.now()
    return left <= 0 ? Effect.fail(deadline.error()) : Effect.timeoutFail(effect, { duration: left, onTimeout: deadline.error })
  })

/** `VmsService.list`, or the HTTP method for a request the services did not build. */
const callName = (request: ApiRequest): string =>
  request.service !== undefined && request.operation !== undefined ? `${request.service}.${request.operation}` : request.method

/**
 * The call's span (`Effect.withSpan`'s, with the span in hand): `use` sets the answer's status on it
 * directly, where `Effect.annotateCurrentSpan` would look the span up again in the fiber's context.
 */
const inSpan = <A, E, R>(
  request: ApiRequest,
  context: HttpContext,
  server: string,
  correlationId: string | undefined,
  use: (span: Tracer.Span) => Effect.Effect<A, E, R>
): Effect.Effect<A, E, R> =>
  Effect.useSpan(`ovirt.${callName(request)}`, {
    kind: "client",
    // a stack trace per call costs more than the rest of the span; the span's name says where
    captureStackTrace: false,
    attributes: {
      "http.request.method": request.method,
      "url.path": context.path ?? "",
      "server.address": server,
      ...(correlationId === undefined ? {} : { "ovirt.correlation_id": correlationId })
    }
  }, (span) => Effect.withParentSpan(use(span), span))

/**
 * Idempotent requests (not POST) again after a reset or a 502/503/504 answer, on the retry Schedule,
 * as @effect/platform's `retryTransient` does; the last answer, when the Schedule ends, is returned
 * as it came (the caller classifies it). Nothing else is sent again.
 */
const withRetries = (
  schedule: Settings["retry"],
  wire: Http.WireRequest,
  run: Effect.Effect<Http.WireResponse, ConnectionError | TimeoutError>
): Effect.Effect<Http.WireResponse, ConnectionError | TimeoutError> => {
  if (schedule === undefined || wire.method === "POST") return run
  // the first attempt as it is (the common case, answered at once); the retries, rare, are made when needed
  return Effect.matchEffect(run, {
    onFailure: (error) => (isReset(error) ? retriesAfter(schedule, wire, run, error) : Effect.fail(error)),
    onSuccess: (response) =>
      RETRY_STATUSES.has(response.status)
        ? Effect.catchAll(
          Effect.flatten(transient(response)),
          (error) => (error._tag === "TransientAnswer" || isReset(error) ? retriesAfter(schedule, wire, run, error) : Effect.fail(error))
        )
        : Effect.succeed(response)
  })
}

/** The attempts after a first one that may be sent again, on the retry Schedule, within the call's deadline. */
const retriesAfter = (
  schedule: NonNullable<Settings["retry"]>,
  wire: Http.WireRequest,
  run: Effect.Effect<Http.WireResponse, ConnectionError | TimeoutError>,
  first: ConnectionError | Transient
): Effect.Effect<Http.WireResponse, ConnectionError | TimeoutError> => {
  // the Schedule sees only what may be sent again; any other outcome leaves the loop as a value
  const attempt: Effect.Effect<Outcome, ConnectionError | Transient> = Effect.matchEffect(run, {
    onFailure: failed,
    onSuccess: (response) => (RETRY_STATUSES.has(response.status) ? transient(response) : Effect.succeed(Either.right(response)))
  })
  // Effect.retry's semantics, but its Schedule driver is made only once an attempt failed: a driver
  // per call cost more than the rest of a call's retry handling (measured: ~8 µs against ~1.5 µs)
  const afterFailure = Effect.flatMap(Schedule.driver(schedule), (driver) => {
    const again = (last: ConnectionError | Transient): Effect.Effect<Outcome> =>
      Effect.matchEffect(driver.next(last), {
        // the Schedule ended: the last answer is returned as it came, the last reset fails the call
        onFailure: () => Effect.succeed(last._tag === "TransientAnswer" ? Either.right(last.response) : Either.left(last)),
        onSuccess: () => Effect.catchAll(attempt, again)
      })
    return again(first)
  })
  return Effect.flatten(within(afterFailure, wire.deadline))
}

/** An attempt's answer, or a failure that is not sent again. */
type Outcome = Either.Either<Http.WireResponse, ConnectionError | TimeoutError>

const RETRY_STATUSES = new Set([502, 503, 504])

/** A reset (the connection was reset or closed while talking) may be sent again. */
const isReset = (error: ConnectionError | TimeoutError): error is ConnectionError =>
  error._tag === "ConnectionError" && Http.RESET_CODES.has(error.reason ?? "")

/** A reset is sent again (the Schedule decides); any other failure ends the attempts. */
const failed = (error: ConnectionError | TimeoutError): Effect.Effect<Outcome, ConnectionError | Transient> =>
  isReset(error) ? Effect.fail(error) : Effect.succeed(Either.left(error))

/** A 502/503/504 answer, read whole (an error page) so that it can be dropped for the next attempt or returned after the last. */
class Transient implements TransientAnswer {
  readonly _tag = "TransientAnswer"
  readonly status: number
  readonly headers: Readonly<Record<string, string>>
  constructor(readonly response: Http.WireResponse) {
    this.status = response.status
    this.headers = response.headers
  }
}

/** Reads a 502/503/504 answer's body (bounded by `maxAnswerSize`; past the bound it fails when read, as it would have). */
const transient = (response: Http.WireResponse): Effect.Effect<Outcome, ConnectionError | Transient> =>
  Effect.matchEffect(response.text, {
    onFailure: (error) =>
      error._tag === "DecodeError" ? Effect.fail(new Transient({ ...response, whole: undefined, text: Effect.fail(error), stream: Stream.empty })) : failed(error),
    onSuccess: (body) => Effect.fail(new Transient({ ...response, whole: body, text: Effect.succeed(body), stream: Stream.succeed(encoder.encode(body)) }))
  })

const encoder = new TextEncoder()
