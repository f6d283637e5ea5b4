/**
 * The `Connection` service tag and the service's shape, apart from what builds a connection (../Connection.ts:
 * the HTTP client, SSO, options, TLS, and @effect/platform under them), so that what only asks the
 * context for a connection (the generated services, through services/runtime/Request.ts) loads none of
 * that: loading one service module stays cheap (bench/startup.ts). ../Connection.ts re-exports all three.
 */
import type { Effect, Redacted as RedactedT, Stream } from "effect"
import { Context } from "effect"
import type { InvalidInputError, OvirtError } from "../Errors.js"
import type * as Links from "./Links.js"
import type { ApiRequest, ApiResponse, CallOptions, ServiceRef } from "./Wire.js"

export interface ConnectionService {
  /** The API root, e.g. `https://engine.example.com/ovirt-engine/api`. */
  readonly url: string
  /** The SSO token (obtained once, shared by every fiber). */
  readonly authenticate: Effect.Effect<RedactedT.Redacted<string>, OvirtError>
  /** Whether the engine answers the API root with the credentials given (Python's `test()`). */
  readonly test: Effect.Effect<boolean>
  /** Python's `test(raise_exception=True)`: fails with the reason. */
  readonly testOrFail: Effect.Effect<void, OvirtError>
  /** Sends a request; a non-success status fails with the matching error (fault decoded). */
  readonly send: (request: ApiRequest) => Effect.Effect<ApiResponse, OvirtError>
  /**
   * Sends a request and gives the body as it arrives, after the status was checked. Interrupting
   * the stream aborts the request and frees the socket. `timeout` bounds the whole stream.
   */
  readonly sendStream: (request: ApiRequest) => Stream.Stream<Uint8Array, OvirtError>
  /** Whether a value (a struct, or a list link) carries an `href` that `followLink` can fetch. */
  readonly isLink: (value: unknown) => boolean
  /** GETs a link's `href` and decodes the answer: the struct for a struct link, the items for a list link. */
  readonly followLink: <A>(value: A, options?: CallOptions) => Effect.Effect<Links.Followed<A>, OvirtError>
  /** The service ref at a path below the API root (the same as the module-level `service`). */
  readonly service: (path: string) => Effect.Effect<ServiceRef, InvalidInputError>
  /**
   * The `path` this connection's errors give `request`: below the API root, query included, the values
   * of secret parameters and the connection's own password and tokens (in any parameter) removed.
   */
  readonly errorPath: (request: ApiRequest) => string
  /** A text taken from an answer (a fault, an echo) without this connection's password and tokens. */
  readonly scrub: (text: string) => string
  /**
   * How this connection trusts servers (its CA settings, `insecure`, connect timeout, proxy): the
   * image transfers' data plane (imageio on the hosts and the engine) connects with the same.
   */
  readonly transport: TransportSettings
}

/** The TLS and connect settings of a connection, for other servers of the same engine (imageio). */
export interface TransportSettings {
  /** PEM CA certificates to trust instead of the default store. */
  readonly ca?: ReadonlyArray<string>
  readonly insecure: boolean
  readonly connectTimeoutMillis?: number
  readonly proxy?: string
}

export class Connection extends Context.Tag("effect-ovirt/Connection")<Connection, ConnectionService>() {}
