/**
 * The SDK's failures: one tagged class per kind, so a caller can `Effect.catchTag` each one.
 * They carry plain, already-redacted data: never a live request, response, token or password.
 */
import { Data } from "effect"

/** The engine's `<fault>`: structurally the same as `Types.Fault`. */
export interface FaultInfo {
  readonly reason?: string
  readonly detail?: string
}

/**
 * The failure underneath, when there is one (undici's, the TLS stack's, the system's), as a copy with
 * secrets scrubbed: `Cause.pretty`, Effect's loggers and spans show it below the SDK's own message.
 */
export interface Underlying {
  readonly cause?: unknown
}

/** Where an HTTP failure happened: the request line (query included, secrets removed) and the answer. */
export interface HttpContext {
  readonly method?: string
  readonly path?: string
  readonly code?: number
  readonly fault?: FaultInfo
}

/** 401/403 from the API, whatever the body; the SSO service refusing the credentials or grant. */
export class AuthError extends Data.TaggedError("AuthError")<
  HttpContext & Underlying & {
    readonly message: string
    /** The SSO service's own error code (`error_code` or `error`), when it sent one. */
    readonly ssoError?: string
  }
> {}

/** 404: the path or id does not exist. */
export class NotFoundError extends Data.TaggedError("NotFoundError")<
  HttpContext & Underlying & { readonly message: string }
> {}

/** The engine could not be reached: name not resolved, refused, reset, TLS or proxy failure. */
export class ConnectionError extends Data.TaggedError("ConnectionError")<
  HttpContext & Underlying & {
    readonly message: string
    /** A short machine-readable reason, e.g. `ECONNREFUSED` or `UNABLE_TO_VERIFY_LEAF_SIGNATURE`. */
    readonly reason?: string
  }
> {}

/** A connect or request timeout. */
export class TimeoutError extends Data.TaggedError("TimeoutError")<
  HttpContext & Underlying & {
    readonly message: string
    /** Which limit was hit: a connect, a request, or a `Wait` for a state (workflows). */
    readonly phase: "connect" | "request" | "wait"
    readonly timeoutMillis?: number
  }
> {}

/** Any other non-2xx answer, or an action whose status is `failed`. */
export class FaultError extends Data.TaggedError("FaultError")<
  HttpContext & Underlying & { readonly message: string }
> {}

/** An answer the SDK cannot read: wrong content type, malformed XML, invalid value. */
export class DecodeError extends Data.TaggedError("DecodeError")<
  HttpContext & Underlying & {
    readonly message: string
    /** Element path of the offending value, e.g. `/vms/vm[3]/memory`. */
    readonly element?: string
    /** The offending text, shortened. */
    readonly text?: string
  }
> {}

/** Input rejected before anything was sent: mandatory members missing, wrong types, bad path. */
export class InvalidInputError extends Data.TaggedError("InvalidInputError")<Underlying & {
  readonly message: string
  /** The offending input paths in the caller's names, e.g. `vm.cluster.id or vm.cluster.name`. */
  readonly paths?: ReadonlyArray<string>
}> {}

export type OvirtError =
  | AuthError
  | NotFoundError
  | ConnectionError
  | TimeoutError
  | FaultError
  | DecodeError
  | InvalidInputError
