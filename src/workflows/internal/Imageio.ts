/**
 * A client of ovirt-imageio's images API (`/images/<ticket>`) for one transfer: OPTIONS for the
 * server's features, PUT with Content-Range, PATCH `zero` and `flush`, GET with Range, and
 * `extents`. It connects with the Connection's TLS settings, to `transfer_url` (the host's daemon)
 * or, when that cannot be reached, to `proxy_url` (the engine's proxy), as the Python SDK does.
 * The ticket in the URL is a secret: errors and spans only show `/images/<redacted>`.
 */
import { Effect, type Scope } from "effect"
import type { Dispatcher } from "undici"
import type { TransportSettings } from "../../core/Connection.js"
import { type ConnectionError, FaultError, type HttpContext, type TimeoutError } from "../../core/Errors.js"
import { loadUndici, makeDispatcher, transportError } from "../../core/internal/Http.js"
import { imageioUrl, REDACTED } from "../../core/internal/Redact.js"

export type ImageioError = ConnectionError | TimeoutError | FaultError

/** What `OPTIONS` said the server can do. */
export interface Capabilities {
  readonly zero: boolean
  readonly flush: boolean
  readonly extents: boolean
  readonly maxReaders: number
  readonly maxWriters: number
}

/** One run of `extents?context=zero`: data, or zeros that need not be read. */
export interface Extent {
  readonly start: number
  readonly length: number
  readonly zero: boolean
}

export interface ImageioClient {
  /** `daemon` (transfer_url) or `proxy` (proxy_url): which endpoint answered. */
  readonly endpoint: "daemon" | "proxy"
  readonly capabilities: Capabilities
  readonly put: (offset: number, bytes: Uint8Array) => Effect.Effect<void, ImageioError>
  readonly zero: (offset: number, size: number) => Effect.Effect<void, ImageioError>
  readonly flush: Effect.Effect<void, ImageioError>
  /** `length` bytes from `offset` (a Range GET), checked to be exactly that long. */
  readonly read: (offset: number, length: number) => Effect.Effect<Uint8Array, ImageioError>
  /** Like `read`, giving each piece of the body to `write` (with its offset) as it arrives. */
  readonly readTo: <E>(
    offset: number,
    length: number,
    write: (piece: Uint8Array, at: number) => Effect.Effect<unknown, E>
  ) => Effect.Effect<void, ImageioError | E>
  readonly extents: Effect.Effect<ReadonlyArray<Extent>, ImageioError>
  /** The image's size from a one-byte Range GET's `Content-Range` (for servers without extents). */
  readonly size: Effect.Effect<number, ImageioError>
}

/** An old daemon without OPTIONS (405/204): only GET and PUT, one connection. */
const LEGACY: Capabilities = { zero: false, flush: false, extents: false, maxReaders: 1, maxWriters: 1 }

/** Error bodies are short texts; more than this is cut. */
const MAX_ERROR_BODY = 4096

interface Endpoint {
  readonly url: URL
  readonly role: "daemon" | "proxy"
}

/**
 * Opens the data plane of a transfer: the daemon at `transferUrl` when it answers OPTIONS, else the
 * proxy at `proxyUrl`. `connections` bounds the sockets (parallel writers or readers).
 */
export const open = (
  transport: TransportSettings,
  urls: { readonly transferUrl?: string; readonly proxyUrl?: string },
  connections: number
): Effect.Effect<ImageioClient, ImageioError, Scope.Scope> =>
  Effect.gen(function* () {
    yield* loadUndici // loaded by the connection already; said here so this module does not rely on it
    const dispatcher = yield* Effect.acquireRelease(
      Effect.sync(() =>
        makeDispatcher({
          ...transport,
          ...(transport.ca === undefined ? {} : { ca: transport.ca }),
          connections: Math.max(1, connections),
          pipelining: 1,
          compress: false
        })
      ),
      (d) => Effect.promise(() => d.destroy().catch(() => undefined))
    )
    const endpoints: Array<Endpoint> = []
    if (urls.transferUrl) endpoints.push({ url: new URL(urls.transferUrl), role: "daemon" })
    if (urls.proxyUrl) endpoints.push({ url: new URL(urls.proxyUrl), role: "proxy" })
    if (endpoints.length === 0) {
      return yield* Effect.fail(new FaultError({ message: "The image transfer has neither a transfer_url nor a proxy_url: the engine gave no way to send the bytes." }))
    }
    let lastError: ImageioError | undefined
    for (const endpoint of endpoints) {
      const client = clientFor(dispatcher, endpoint)
      const capabilities = yield* Effect.either(client.options)
      if (capabilities._tag === "Right") return client.withCapabilities(capabilities.right)
      lastError = capabilities.left
      // only an unreachable daemon sends us to the proxy; an answer (403, 500) is the ticket's fate
      if (lastError._tag === "FaultError") break
      yield* Effect.logDebug(`imageio ${endpoint.role} at ${endpoint.url.host} unreachable: ${lastError.message}`)
    }
    return yield* Effect.fail(lastError!)
  })

const clientFor = (dispatcher: Dispatcher, endpoint: Endpoint) => {
  const path = endpoint.url.pathname
  const shownPath = imageioUrl(path)
  const ticket = path.slice(path.lastIndexOf("/") + 1)
  const origin = endpoint.url.origin
  /** Removes the ticket from what the server said (imageio echoes it in "No such ticket ..."). */
  const scrub = (text: string) => (ticket.length >= 4 ? text.split(ticket).join(REDACTED) : text)

  const request = (
    method: "OPTIONS" | "GET" | "PUT" | "PATCH",
    suffix: string,
    headers: Record<string, string>,
    body?: Uint8Array | string
  ): Effect.Effect<Dispatcher.ResponseData, ImageioError> => {
    const context: HttpContext = { method, path: shownPath + suffix.replace(/\?.*$/, "") }
    return Effect.tryPromise({
      try: (signal) => dispatcher.request({ origin, path: path + suffix, method, headers, body: body ?? null, signal }),
      catch: (cause) => transportError(cause, context, origin, undefined, scrub)
    }).pipe(Effect.flatMap((response) => (response.statusCode < 300 ? Effect.succeed(response) : failure(response, context))))
  }

  const failure = (response: Dispatcher.ResponseData, context: HttpContext): Effect.Effect<never, ImageioError> =>
    Effect.flatMap(Effect.promise(() => readSome(response.body)), (text) => {
      const said = scrub(text.trim())
      const code = response.statusCode
      const why =
        code === 403
          ? "the transfer ticket is no longer valid (it expired after inactivity_timeout, or the transfer was cancelled or finalized); not retried"
          : code === 416
            ? "the range is outside the image"
            : code >= 500
              ? "the server failed; data sent since the last flush may be lost"
              : "the request was refused"
      return Effect.fail(
        new FaultError({ ...context, code, message: `imageio ${endpoint.role} answered ${code} to ${context.method} ${context.path}: ${why}${said === "" ? "" : `: ${said}`}` })
      )
    })

  const drain = (response: Dispatcher.ResponseData) => Effect.promise(() => response.body.dump().catch(() => undefined))

  const json = (response: Dispatcher.ResponseData, context: string): Effect.Effect<unknown, FaultError> =>
    Effect.flatMap(Effect.promise(() => readSome(response.body, 1024 * 1024)), (text) =>
      Effect.try({
        try: () => JSON.parse(text) as unknown,
        catch: () => new FaultError({ message: `imageio ${endpoint.role} sent an unreadable answer to ${context}: ${scrub(text.slice(0, 200))}` })
      })
    )

  const options: Effect.Effect<Capabilities, ImageioError> = Effect.flatMap(
    Effect.catchIf(
      request("OPTIONS", "", {}),
      (e) => e._tag === "FaultError" && e.code === 405,
      () => Effect.succeed(undefined)
    ),
    (response) => {
      if (response === undefined) return Effect.succeed(LEGACY)
      if (response.statusCode === 204) return Effect.as(drain(response), LEGACY)
      return Effect.map(json(response, "OPTIONS"), (doc): Capabilities => {
        const d = (doc ?? {}) as { features?: unknown; max_readers?: unknown; max_writers?: unknown }
        const features = Array.isArray(d.features) ? d.features : []
        const positive = (n: unknown) => (typeof n === "number" && Number.isInteger(n) && n > 0 ? n : 1)
        return {
          zero: features.includes("zero"),
          flush: features.includes("flush"),
          extents: features.includes("extents"),
          maxReaders: positive(d.max_readers),
          maxWriters: positive(d.max_writers)
        }
      })
    }
  )

  const withCapabilities = (capabilities: Capabilities): ImageioClient => ({
    endpoint: endpoint.role,
    capabilities,
    // flush=n: one flush at the end is enough and much faster (imageio's own client does this)
    put: (offset, bytes) =>
      Effect.flatMap(
        request("PUT", capabilities.flush ? "?flush=n" : "", {
          "content-range": `bytes ${offset}-${offset + bytes.length - 1}/*`,
          "content-length": String(bytes.length),
          "content-type": "application/octet-stream"
        }, bytes),
        drain
      ),
    zero: (offset, size) =>
      Effect.flatMap(request("PATCH", "", { "content-type": "application/json" }, JSON.stringify({ op: "zero", offset, size, flush: false })), drain),
    flush: capabilities.flush
      ? Effect.flatMap(request("PATCH", "", { "content-type": "application/json" }, JSON.stringify({ op: "flush" })), drain)
      : Effect.void,
    read: (offset, length) =>
      Effect.flatMap(request("GET", "", { range: `bytes=${offset}-${offset + length - 1}` }), (response) =>
        Effect.flatMap(Effect.promise(() => response.body.arrayBuffer()), (buffer) =>
          buffer.byteLength === length
            ? Effect.succeed(new Uint8Array(buffer))
            : Effect.fail(new FaultError({ method: "GET", path: shownPath, code: response.statusCode, message: `imageio ${endpoint.role} sent ${buffer.byteLength} bytes for a range of ${length} at ${offset}` }))
        )
      ),
    readTo: <E>(offset: number, length: number, write: (piece: Uint8Array, at: number) => Effect.Effect<unknown, E>) =>
      Effect.flatMap(request("GET", "", { range: `bytes=${offset}-${offset + length - 1}` }), (response) =>
        Effect.gen(function* () {
          const body = (response.body as AsyncIterable<Buffer>)[Symbol.asyncIterator]()
          let got = 0
          let tooMuch = false
          while (true) {
            const next = yield* Effect.tryPromise({
              try: () => body.next(),
              catch: (cause) => transportError(cause, { method: "GET", path: shownPath }, origin, undefined, scrub)
            })
            if (next.done === true) break
            if (got + next.value.length > length) {
              tooMuch = true
              break
            }
            yield* write(next.value, offset + got)
            got += next.value.length
          }
          if (got !== length || tooMuch) {
            yield* Effect.promise(() => response.body.dump().catch(() => undefined))
            return yield* Effect.fail(new FaultError({ method: "GET", path: shownPath, code: response.statusCode, message: `imageio ${endpoint.role} sent ${tooMuch ? "more than" : got} bytes for a range of ${length} at ${offset}` }))
          }
        }).pipe(Effect.onInterrupt(() => Effect.sync(() => response.body.destroy())))
      ),
    extents: Effect.flatMap(request("GET", "/extents?context=zero", {}), (response) =>
      Effect.flatMap(json(response, "extents"), (doc) => {
        const list = Array.isArray(doc) ? (doc as Array<{ start?: unknown; length?: unknown; zero?: unknown }>) : undefined
        const valid = list?.every((e) => typeof e.start === "number" && typeof e.length === "number") === true
        return valid
          ? Effect.succeed(list!.map((e): Extent => ({ start: e.start as number, length: e.length as number, zero: e.zero === true })))
          : Effect.fail(new FaultError({ method: "GET", path: `${shownPath}/extents`, message: `imageio ${endpoint.role} sent extents that are not a list of {start, length}` }))
      })
    ),
    size: Effect.flatMap(request("GET", "", { range: "bytes=0-0" }), (response) => {
      const total = /\/(\d+)\s*$/.exec(String(response.headers["content-range"] ?? ""))
      return Effect.zipRight(
        drain(response),
        total === null
          ? Effect.fail(new FaultError({ method: "GET", path: shownPath, message: `imageio ${endpoint.role} did not say the image's size (no Content-Range)` }))
          : Effect.succeed(Number(total[1]))
      )
    })
  })

  return { options, withCapabilities }
}

/** At most `limit` bytes of a body as text; the rest is discarded. */
const readSome = async (body: Dispatcher.ResponseData["body"], limit = MAX_ERROR_BODY): Promise<string> => {
  const chunks: Array<Buffer> = []
  let size = 0
  try {
    for await (const chunk of body as AsyncIterable<Buffer>) {
      if (size < limit) chunks.push(chunk)
      size += chunk.length
    }
  } catch {
    // a body cut short: what arrived is enough for a message
  }
  return Buffer.concat(chunks).subarray(0, limit).toString("utf8")
}
