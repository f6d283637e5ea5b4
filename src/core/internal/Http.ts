/**
 * The wire: one undici dispatcher per connection (keep-alive pool, TLS, proxy), used through
 * `@effect/platform`'s HttpClient over undici's `request` (see UndiciResponse.ts); the user's
 * middleware (`transformClient`) wraps that client. Transport
 * failures become `ConnectionError` or `TimeoutError` naming what failed; platform and undici
 * types stay inside this module.
 */
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientError from "@effect/platform/HttpClientError"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import type * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import * as UrlParams from "@effect/platform/UrlParams"
import * as fs from "node:fs"
import * as nodeTls from "node:tls"
import { Context, Effect, Either, Option, Stream, Tracer } from "effect"
import type { Fiber, Scope } from "effect"
import type { Dispatcher } from "undici"
import { ConnectionError, DecodeError, type HttpContext, TimeoutError } from "../Errors.js"
import * as Redact from "./Redact.js"
import type { Deadline, Method, WireRequest } from "./Wire.js"
import { AnswerTooLarge, fromUndici, wholeText } from "./UndiciResponse.js"

export interface HttpSettings {
  /** PEM CA certificates to trust instead of the default store. */
  readonly ca?: ReadonlyArray<string>
  readonly insecure: boolean
  readonly connectTimeoutMillis?: number
  /** Most sockets per origin; `null` = no limit. */
  readonly connections: number | null
  /** HTTP/1.1 pipelining depth (1 = keep-alive without pipelining). */
  readonly pipelining: number
  readonly proxy?: string
  readonly compress: boolean
  /** Most bytes of a buffered answer, after decompression (streams are not bounded by it). */
  readonly maxAnswerSize: number
}

export type { Method, WireRequest }

export interface WireResponse {
  readonly status: number
  /** Lower-case names. */
  readonly headers: Readonly<Record<string, string>>
  /** The whole body when it was read with the headers (a buffered call on the SDK's own client): no Effect to run. */
  readonly whole: string | undefined
  /** Reads the whole (decompressed) body; a DecodeError past `maxAnswerSize`. */
  readonly text: Effect.Effect<string, ConnectionError | TimeoutError | DecodeError>
  /** The body as it arrives; ending or interrupting the stream releases the request. */
  readonly stream: Stream.Stream<Uint8Array, ConnectionError | TimeoutError>
}

export interface Http {
  readonly execute: (request: WireRequest) => Effect.Effect<WireResponse, ConnectionError | TimeoutError>
}

/**
 * Apache (in front of the engine) closes idle connections after 5 s by default; reusing a socket the
 * server is closing gives a reset, so ours are dropped sooner.
 */
const KEEP_ALIVE_MILLIS = 4_000

type Undici = typeof import("undici")
let undici: Undici | undefined

/**
 * undici, imported by the first connection built: importing the package does not pay for it (measured
 * under load: undici's import alone is about a third of `effect`'s).
 */
export const loadUndici: Effect.Effect<void> = Effect.suspend(() =>
  undici !== undefined ? Effect.void : Effect.asVoid(Effect.map(Effect.promise(() => import("undici")), (m) => (undici = m))))

/** undici itself, loaded on first use (for the few requests made outside a connection's pool). */
export const undiciModule: Effect.Effect<Undici> = Effect.map(loadUndici, () => undici!)

/**
 * The pool's settings: everything but the answer bound, which applies per answer, not per socket.
 * undici must be loaded (`loadUndici`): a connection has done it before anything asks for a pool.
 */
export const makeDispatcher = (settings: Omit<HttpSettings, "maxAnswerSize">): Dispatcher => {
  if (undici === undefined) throw new Error("makeDispatcher: undici is not loaded yet (yield* loadUndici first)")
  const { Agent, Pool, ProxyAgent } = undici
  const trusted = settings.ca ?? systemCertificates()
  const tls = {
    // one context for every socket: parsing the CA list per connection would cost each connect
    ...(trusted === undefined ? {} : { secureContext: nodeTls.createSecureContext({ ca: [...trusted] }) }),
    rejectUnauthorized: !settings.insecure,
    ...(settings.connectTimeoutMillis === undefined ? {} : { timeout: settings.connectTimeoutMillis })
  }
  const pool = {
    connections: settings.connections,
    pipelining: settings.pipelining,
    keepAliveTimeout: KEEP_ALIVE_MILLIS,
    keepAliveMaxTimeout: KEEP_ALIVE_MILLIS,
    // our own `timeout` bounds requests; undici's 300 s defaults would cut long list answers
    headersTimeout: 0,
    bodyTimeout: 0
  }
  if (settings.proxy === undefined) return new Agent({ ...pool, connect: tls })
  const connectMillis = settings.connectTimeoutMillis ?? UNDICI_CONNECT_MILLIS
  return new ProxyAgent({
    ...pool,
    uri: settings.proxy,
    requestTls: tls,
    // the hop to the proxy: the same connect bound; an https proxy's certificate is checked against the
    // system's CAs plus the ones given (the proxy is rarely signed by the engine's CA alone)
    proxyTls: {
      timeout: connectMillis,
      ...(new URL(settings.proxy).protocol === "https:"
        ? { secureContext: nodeTls.createSecureContext({ ca: [...(systemCertificates() ?? nodeTls.rootCertificates), ...(settings.ca ?? [])] }) }
        : {})
    },
    // the proxy's answer to CONNECT is part of connecting: without this it waits undici's 300 s
    clientFactory: (origin, options) => new Pool(origin, { ...options, headersTimeout: connectMillis })
  })
}

/** undici's default connect timeout, which `connectTimeout` documents as its own default. */
const UNDICI_CONNECT_MILLIS = 10_000

let systemCache: ReadonlyArray<string> | null | undefined

/**
 * The CAs Node ships plus the operating system's (where an admin installs the engine's CA), like
 * curl and so the Python SDK do. `null` when the system store cannot be found: Node's own then.
 */
export const systemCertificates = (): ReadonlyArray<string> | undefined => {
  if (systemCache === undefined) {
    systemCache = null
    const fromNode = (nodeTls as { getCACertificates?: (type: string) => ReadonlyArray<string> }).getCACertificates
    if (fromNode !== undefined) {
      systemCache = [...fromNode("default"), ...fromNode("system")]
    } else {
      for (const file of SYSTEM_BUNDLES) {
        try {
          const pem = fs.readFileSync(file, "utf8")
          if (pem.includes("-----BEGIN CERTIFICATE-----")) {
            systemCache = [...nodeTls.rootCertificates, pem]
            break
          }
        } catch {
          // not this distribution's path
        }
      }
    }
  }
  return systemCache ?? undefined
}

const SYSTEM_BUNDLES = [
  "/etc/ssl/certs/ca-certificates.crt", // Debian, Ubuntu, Alpine, Arch
  "/etc/pki/tls/certs/ca-bundle.crt", // Fedora, RHEL, CentOS
  "/etc/ssl/ca-bundle.pem", // openSUSE
  "/etc/ssl/cert.pem" // macOS, BSD
]

/** How the user shapes the HTTP client (see `ConnectionOptions.transformClient` and `tracePropagation`). */
export interface ClientOptions {
  readonly transformClient?: (client: HttpClient.HttpClient) => HttpClient.HttpClient
  /** Send W3C `traceparent` from the current span (unless `HttpClient.withTracerPropagation(false)` says no). */
  readonly tracePropagation: boolean
  /** Removes the connection's known secrets from a transport failure's text before it is kept as a `cause`. */
  readonly scrub?: (text: string) => string
}

const encoder = new TextEncoder()

/**
 * Requests of buffered calls (`WireRequest.buffered`), with their deadline if any (`null`): the base client
 * reads their answer whole before it resumes, and fails them when the deadline passes.
 */
const readWhole = new WeakMap<HttpClientRequest.HttpClientRequest, Deadline | null>()

export const make = (settings: HttpSettings, options: ClientOptions = { tracePropagation: false }): Effect.Effect<Http, never, Scope.Scope> =>
  Effect.gen(function* () {
    yield* loadUndici
    const dispatcher = yield* Effect.acquireRelease(
      Effect.sync(() => makeDispatcher(settings)),
      (d) => Effect.promise(() => d.destroy().catch(() => undefined))
    )
    const encoding = settings.compress ? "gzip, deflate" : "identity"
    const pipelined = settings.pipelining > 1
    const proxyName = settings.proxy === undefined ? undefined : safeHost(settings.proxy)

    /** One request on the pool, aborted when the calling fiber is interrupted. */
    const send = (request: HttpClientRequest.HttpClientRequest, fiber: Fiber.RuntimeFiber<unknown, unknown>) => {
      const target = targetOf(request)
      if (Either.isLeft(target)) return Effect.fail(target.left)
      const { origin, path } = target.right
      let headers: Readonly<Record<string, string>> = request.headers
      if (options.tracePropagation && fiber.getFiberRef(HttpClient.currentTracerPropagation)) {
        const span = Context.getOption(fiber.currentContext, Tracer.ParentSpan)
        if (Option.isSome(span)) headers = { ...headers, traceparent: traceparent(span.value) }
      }
      const buffered = readWhole.get(request)
      const deadline = buffered ?? undefined
      // undici's callback form and a one-listener abort signal: an AbortController per request (what
      // `Effect.tryPromise` makes) cost more than the rest of this function, an EventEmitter several objects
      return Effect.async<HttpClientResponse.HttpClientResponse, HttpClientError.RequestError>((resume) => {
        const abort = new Abort()
        // the deadline's timer: one setTimeout, where `Effect.timeout` would race a forked fiber per call
        let timer: ReturnType<typeof setTimeout> | undefined
        let done = false
        const finish = (outcome: Effect.Effect<HttpClientResponse.HttpClientResponse, HttpClientError.RequestError>) => {
          if (done) return
          done = true
          if (timer !== undefined) clearTimeout(timer)
          resume(outcome)
        }
        if (deadline !== undefined) {
          const timedOut = () => Effect.fail(new HttpClientError.RequestError({ request, reason: "Transport", cause: deadline.error() }))
          const left = deadline.at - performance.now()
          // the time was spent before this request (a retry's pause): nothing is sent
          if (left <= 0) return finish(timedOut())
          timer = setTimeout(() => {
            finish(timedOut())
            // undici aborts the request (and the body being read) and frees its socket
            abort.abort()
          }, left)
        }
        dispatcher.request({
          origin,
          path,
          method: request.method,
          headers,
          body: request.body._tag === "Uint8Array" ? request.body.body : null,
          signal: abort,
          // undici holds the pipeline until a request's headers arrive unless told otherwise; its default otherwise
          blocking: pipelined ? false : request.method !== "HEAD"
        }, (cause, data) => {
          if (cause !== null && cause !== undefined) {
            return finish(Effect.fail(new HttpClientError.RequestError({ request, reason: "Transport", cause })))
          }
          const response = fromUndici(request, data, settings.maxAnswerSize)
          if (buffered === undefined) return finish(Effect.succeed(response))
          // interrupted or timed out meanwhile: the abort destroys the body, which ends the read
          void response.readWhole().then(() => finish(Effect.succeed(response)))
        })
        // the calling fiber was interrupted: undici aborts the request and frees its socket
        return Effect.sync(() => {
          if (timer !== undefined) clearTimeout(timer)
          abort.abort()
        })
      })
    }

    // Not `HttpClient.make`: its per-request URL parse, abort registry and response wrapper cost more
    // than the request itself on loopback, and its own span would double the Connection's (which
    // carries method, redacted path and status). Middleware composes over this client all the same.
    const base: HttpClient.HttpClient = HttpClient.makeWith<never, never, HttpClientError.HttpClientError, never>(
      (request) => Effect.flatMap(request, (r) => Effect.withFiberRuntime((fiber) => send(r, fiber))),
      Effect.succeed
    )
    const client = options.transformClient === undefined ? base : options.transformClient(base)

    /**
     * A request carrying `headers` and the accept-encoding, made once per header record: the platform copies
     * the headers three times when it is given a record, once when one header is set on a request.
     * A connection's calls share one record (without their token), so this is made once per connection.
     */
    const templates = new WeakMap<Readonly<Record<string, string>>, HttpClientRequest.HttpClientRequest>()
    const templateFor = (headers: Readonly<Record<string, string>>): HttpClientRequest.HttpClientRequest => {
      let template = templates.get(headers)
      if (template === undefined) {
        template = HttpClientRequest.get("", { headers: { ...headers, "accept-encoding": encoding } })
        templates.set(headers, template)
      }
      return template
    }

    const execute = (request: WireRequest): Effect.Effect<WireResponse, ConnectionError | TimeoutError> => {
      let clientRequest = HttpClientRequest.setUrl(HttpClientRequest.setMethod(templateFor(request.headers), request.method), request.url)
      if (request.authorization !== undefined) clientRequest = HttpClientRequest.setHeader(clientRequest, "authorization", request.authorization)
      if (request.body !== undefined) {
        const contentType = request.headers["Content-Type"] ?? request.headers["content-type"] ?? "application/xml"
        clientRequest = HttpClientRequest.bodyUint8Array(clientRequest, encoder.encode(request.body), contentType)
      }
      // a middleware that makes a new request drops the mark: its answer is then read by `text`, as a stream's
      if (request.buffered === true) readWhole.set(clientRequest, request.deadline ?? null)
      const failed = (error: HttpClientError.HttpClientError) =>
        error.cause instanceof TimeoutError ? error.cause : transportError(error.cause ?? error, request.context, request.url, proxyName, options.scrub)
      // one match, not mapError then map: each of those costs the fiber a few steps more per call
      return Effect.matchEffect(client.execute(clientRequest), {
        onFailure: (error) => Effect.fail(failed(error)),
        onSuccess: (response) => Effect.succeed<WireResponse>(new Answer(response, request.context, failed))
      })
    }
    return { execute }
  })

/**
 * A response as the Connection reads it. A class, not an object literal: `stream` is made only when
 * asked for (a buffered call never reads it), and a literal with a getter cost about as much CPU per
 * call as the request itself (measured with bench/profile-http.ts; building the Stream eagerly, about half).
 */
class Answer implements WireResponse {
  readonly status: number
  readonly headers: Readonly<Record<string, string>>
  readonly whole: string | undefined
  constructor(
    private readonly response: HttpClientResponse.HttpClientResponse,
    private readonly context: HttpContext,
    private readonly failed: (error: HttpClientError.HttpClientError) => ConnectionError | TimeoutError
  ) {
    this.status = response.status
    this.headers = response.headers
    this.whole = wholeText(response)
  }

  // made when asked for: a buffered call takes `whole`
  get text(): WireResponse["text"] {
    return Effect.mapError(this.response.text, (error) =>
      error.cause instanceof AnswerTooLarge ? answerTooLarge(this.context, this.status, error.cause.limit) : this.failed(error))
  }

  get stream(): WireResponse["stream"] {
    return Stream.mapError(this.response.stream, this.failed)
  }
}

/**
 * The abort signal of one request, in the EventEmitter form undici accepts (`on`/`once`, `removeListener`,
 * `aborted`): undici registers one listener per request, where an EventEmitter and its `once` wrapper would
 * be several objects per call. More listeners are kept too, in registration order.
 */
class Abort {
  aborted = false
  private first: (() => void) | undefined
  private more: Array<() => void> | undefined

  on(_event: "abort", listener: () => void): this {
    if (this.first === undefined && this.more === undefined) this.first = listener
    else (this.more ??= []).push(listener)
    return this
  }

  once(event: "abort", listener: () => void): this {
    // every listener runs at most once: `abort` drops them all before it calls them
    return this.on(event, listener)
  }

  removeListener(_event: "abort", listener: () => void): this {
    if (this.first === listener) this.first = undefined
    else if (this.more !== undefined) this.more = this.more.filter((l) => l !== listener)
    return this
  }

  abort(): void {
    if (this.aborted) return
    this.aborted = true
    const { first, more } = this
    this.first = undefined
    this.more = undefined
    first?.()
    if (more !== undefined) for (const listener of more) listener()
  }
}

/** The W3C trace context of a span (ours, or an external parent's): `00-{trace id}-{span id}-{flags}`. */
const traceparent = (span: Tracer.AnySpan): string => `00-${span.traceId}-${span.spanId}-${span.sampled ? "01" : "00"}`

/**
 * Where undici sends a request: origin and path with query. A URL the SDK made (no separate query
 * parameters, no fragment) is split as written; one a middleware changed is parsed as the platform does.
 */
const targetOf = (
  request: HttpClientRequest.HttpClientRequest
): Either.Either<{ readonly origin: string; readonly path: string }, HttpClientError.RequestError> => {
  if (request.urlParams.length === 0 && Option.isNone(request.hash)) {
    const at = PLAIN_URL.exec(request.url)
    if (at !== null) return Either.right({ origin: at[1] as string, path: at[2] ?? "/" })
  }
  return Either.match(UrlParams.makeUrl(request.url, request.urlParams, request.hash), {
    onLeft: (cause) => Either.left(new HttpClientError.RequestError({ request, reason: "InvalidUrl", cause })),
    onRight: (url) => Either.right({ origin: url.origin, path: url.pathname + url.search })
  })
}

/** `https://host:port` and the rest, for URLs already in the form the WHATWG parser gives (lower-case scheme and host, no user). */
const PLAIN_URL = /^(https?:\/\/[a-z0-9.-]+(?::\d{1,5})?|https?:\/\/\[[0-9a-f:.]+\](?::\d{1,5})?)(\/[^#\s]*)?$/

/** A buffered answer past `maxAnswerSize`: the connection was fine, the answer is what cannot be read. */
const answerTooLarge = (context: HttpContext, status: number, limit: number): DecodeError =>
  new DecodeError({
    ...context,
    code: status,
    message: `The answer to ${context.method ?? "the request"} ${context.path || "/"} is larger than maxAnswerSize ` +
      `(${limit} bytes, after decompression); reading stopped there. Raise \`maxAnswerSize\` (OVIRT_MAX_ANSWER_SIZE), ` +
      "or use `listStream` (or `max`/`search`) for a large list."
  })

// ---------------------------------------------------------------------------------------------
// Transport failures

/** Error codes found along an error's `cause` chain (and inside AggregateErrors). */
export const errorCodes = (cause: unknown): ReadonlyArray<string> => {
  const codes: Array<string> = []
  const seen = new Set<unknown>()
  const visit = (value: unknown, depth: number): void => {
    if (depth > 6 || typeof value !== "object" || value === null || seen.has(value)) return
    seen.add(value)
    const code = (value as { code?: unknown }).code
    if (typeof code === "string") codes.push(code)
    visit((value as { cause?: unknown }).cause, depth + 1)
    const errors = (value as { errors?: unknown }).errors
    if (Array.isArray(errors)) for (const e of errors) visit(e, depth + 1)
  }
  visit(cause, 0)
  return codes
}

const innermostMessage = (cause: unknown): string => {
  let current: unknown = cause
  let message = String(cause)
  for (let i = 0; i < 6 && typeof current === "object" && current !== null; i++) {
    const m = (current as { message?: unknown }).message
    if (typeof m === "string" && m !== "" && m !== "fetch failed") message = m
    current = (current as { cause?: unknown }).cause
  }
  return message
}

const UNKNOWN_CA = new Set([
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "UNABLE_TO_GET_ISSUER_CERT",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "CERT_UNTRUSTED",
  "CERT_SIGNATURE_FAILURE"
])

/** The reset-like codes after which an idempotent request may be sent again. */
export const RESET_CODES: ReadonlySet<string> = new Set([
  "ECONNRESET",
  "EPIPE",
  "UND_ERR_SOCKET",
  "UND_ERR_CLOSED",
  "ECONNABORTED"
])

/**
 * The SDK's error for a transport failure, naming what failed and what to do, with the failure itself
 * kept as its `cause` (scrubbed by `scrub`, the connection's known secrets, and by `Redact.text`).
 */
export const transportError = (
  failure: unknown,
  context: HttpContext,
  url: string,
  proxy?: string,
  scrub?: (text: string) => string
): ConnectionError | TimeoutError => {
  const cause = Redact.failure(failure, scrub)
  const codes = errorCodes(cause)
  const has = (code: string) => codes.includes(code)
  const host = safeHost(url)
  const where = context.method === undefined ? "" : ` (${context.method} ${context.path || "/"})`
  if (has("UND_ERR_CONNECT_TIMEOUT") || has("ETIMEDOUT")) {
    return new TimeoutError({ ...context, phase: "connect", cause, message: `Connecting to ${proxy === undefined ? host : `${host} through the proxy ${proxy}`} timed out${where}.` })
  }
  // only the proxy's answer to CONNECT has a headers timeout (the engine's requests have none)
  if (proxy !== undefined && has("UND_ERR_HEADERS_TIMEOUT")) {
    return new TimeoutError({ ...context, phase: "connect", cause, message: `The proxy ${proxy} did not answer the tunnel request to ${host} in time (connectTimeout)${where}.` })
  }
  const detail = innermostMessage(cause)
  const proxyFailed = /proxy/i.test(detail)
  const reason = codes.find((code) => code !== "UND_ERR_ABORTED") ?? (proxyFailed ? "PROXY" : "UNKNOWN")
  // through a proxy, a refused or unresolved connection may be the proxy's
  const target = proxy === undefined ? host : `${host} (through the proxy ${proxy})`
  let message: string
  if (codes.some((code) => UNKNOWN_CA.has(code))) {
    message = `TLS failure talking to ${host}: unknown CA, the engine's certificate is not signed by a CA ` +
      `you trust (${detail}). Give the engine's CA with \`caFile\` (it is served at ` +
      `https://${host}/ovirt-engine/services/pki-resource?resource=ca-certificate&format=X509-PEM-CA), ` +
      "or, for a test setup only, `insecure: true`."
  } else if (has("ERR_TLS_CERT_ALTNAME_INVALID") || has("HOSTNAME_MISMATCH")) {
    message = `TLS failure talking to ${host}: name mismatch, the engine's certificate is not for ${host} ` +
      `(${detail}). Use the host name the certificate was issued for in \`url\`.`
  } else if (has("CERT_HAS_EXPIRED")) {
    message = `TLS failure talking to ${host}: the engine's certificate has expired (${detail}).`
  } else if (has("CERT_NOT_YET_VALID")) {
    message = `TLS failure talking to ${host}: the engine's certificate is not valid yet; check the clocks (${detail}).`
  } else if (codes.some((code) => code.startsWith("ERR_SSL") || code.startsWith("ERR_TLS") || code.includes("CERT"))) {
    message = `TLS failure talking to ${host}: ${detail}.`
  } else if (has("ECONNREFUSED")) {
    message = `Connection to ${target} refused: is ${proxy === undefined ? "the engine" : "the proxy"} running and the port right?`
  } else if (has("ENOTFOUND") || has("EAI_AGAIN")) {
    message = `The host name of ${target} could not be resolved.`
  } else if (codes.some((code) => RESET_CODES.has(code))) {
    message = `The connection to ${host} was reset or closed while talking to it (${detail}).`
  } else if (has("EHOSTUNREACH") || has("ENETUNREACH")) {
    message = `${host} is unreachable from here (${detail}).`
  } else if (proxyFailed) {
    message = `The proxy failed to reach ${host}: ${detail}.`
  } else {
    message = `Could not talk to ${host}: ${detail}.`
  }
  return new ConnectionError({ ...context, reason, cause, message: message + where })
}

const safeHost = (url: string): string => {
  try {
    return new URL(url).host
  } catch {
    return url
  }
}
