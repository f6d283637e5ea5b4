/**
 * The shapes of a request and an answer, at the two levels the core handles them: `ApiRequest` below
 * the API root (what the services build) and `WireRequest` with its full URL and headers (what the HTTP
 * layer sends), and one buffered answer, `ApiResponse`. A leaf: every core module may take its types
 * from here, so none has to import the Connection that imports it.
 */
import type { Duration, Effect, Schedule } from "effect"
import type { DecodeError, FaultError, HttpContext, TimeoutError } from "../Errors.js"

/**
 * A duration with its unit: `"60 seconds"`, `"500 millis"`, `Duration.minutes(2)`, `Duration.infinity`.
 * A bare number is refused (is `60` seconds or milliseconds?); the environment's `OVIRT_TIMEOUT=60`
 * is seconds, as documented there.
 */
export type DurationWithUnit = Exclude<Duration.DurationInput, number | bigint>

export type Method = "GET" | "POST" | "PUT" | "DELETE"

/** Per-call options every generated method accepts besides its own parameters. */
export interface CallOptions {
  /** Extra headers for this call; they replace connection-wide ones of the same name. */
  readonly headers?: Readonly<Record<string, string>>
  /** Extra query parameters for this call (added after the method's own). */
  readonly query?: Readonly<Record<string, string | number | boolean>>
  /** Bounds this call end to end, like `"30 seconds"`; overrides the connection's `timeout`. */
  readonly timeout?: DurationWithUnit
  /** The engine's correlation id for this call (`Correlation-Id`); replaces the one of `withCorrelationId`. */
  readonly correlationId?: string
  /** Retries a 409 "locked"/"busy" answer on this Schedule; replaces the connection's `retryConflicts`. */
  readonly retryConflicts?: Schedule.Schedule<unknown, FaultError>
}

/**
 * The keys of `CallOptions`, listed once (a record, so that the compiler checks it names every key):
 * the service runtime and the generator read them from here.
 */
const callOptionKeys: { readonly [K in keyof Required<CallOptions>]: true } = {
  headers: true,
  query: true,
  timeout: true,
  correlationId: true,
  retryConflicts: true
}
export const CALL_OPTION_KEYS = Object.keys(callOptionKeys) as ReadonlyArray<keyof CallOptions>

/** A request relative to the API root, as the services build it. */
export interface ApiRequest {
  readonly method: Method
  /** Path below the API root, already escaped, no leading slash: `vms/123/start`. Empty for the root. */
  readonly path: string
  /** Query parameters, values already formatted for the wire (booleans `true`/`false`, enum wire values). */
  readonly query?: ReadonlyArray<readonly [string, string]>
  /** XML request body. */
  readonly body?: string
  /** Statuses that mean success; anything else becomes the matching `OvirtError`. Default: 2xx. */
  readonly success?: ReadonlyArray<number>
  /** For spans and logs: `VmsService`, `list`. */
  readonly service?: string
  readonly operation?: string
  readonly options?: CallOptions
}

/** A whole answer (API, SSO or logged): status, headers with lower-case names, and the body as text. */
export interface ApiResponse {
  readonly status: number
  readonly headers: Readonly<Record<string, string>>
  /** The body as text ("" when none). */
  readonly body: string
}

/** Any engine document decoded by its root tag: the XML codec bound to the model's metadata, given by the layer above. */
export type DecodeDocument = (text: string) => Effect.Effect<unknown, DecodeError>

/** What names a service: its model name and its path below the API root (every generated ref is one). */
export interface ServiceRef {
  /** The model name of the service, e.g. `VmsService`. */
  readonly service: string
  /** The path below the API root, escaped, no leading slash (`vms/123`); "" for the root. */
  readonly path: string
}

/** A request as the HTTP layer sends it: the full URL and every header. */
export interface WireRequest {
  readonly method: Method
  readonly url: string
  readonly headers: Readonly<Record<string, string>>
  /**
   * The `Authorization` value, apart from `headers`: those are shared by a connection's calls, and the
   * transport builds its request from them once per connection, adding this per call.
   */
  readonly authorization?: string
  readonly body?: string
  /** Redacted request line for errors: `GET vms?search=...`. */
  readonly context: HttpContext
  /** The caller reads the whole answer (`text`): it is read before `execute` completes, in the same wait as the headers. */
  readonly buffered?: boolean
  /**
   * When the call must have ended (a buffered call on the SDK's own client): the transport's timer aborts
   * the request then and fails with `error()`, instead of a fiber racing a sleep on every call.
   */
  readonly deadline?: Deadline
}

/** The end of a call's `timeout`: `at` on `performance.now()`'s clock, and the error it fails with. */
export interface Deadline {
  readonly at: number
  readonly error: () => TimeoutError
}
