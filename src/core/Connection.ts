/**
 * CONTRACT STUB (to be replaced by the real Connection): the service tag and the shapes other
 * modules code against. `layer`, `layerConfig` and `make` come with the implementation.
 */
import type { Duration, Effect, Redacted, Stream } from "effect"
import { Context } from "effect"
import type { OvirtError } from "./Errors.js"

/** Per-call options every generated method accepts besides its own parameters. */
export interface CallOptions {
  /** Extra headers for this call; they replace connection-wide ones of the same name. */
  readonly headers?: Readonly<Record<string, string>>
  /** Extra query parameters for this call (added after the method's own). */
  readonly query?: Readonly<Record<string, string | number | boolean>>
  /** Bounds this call end to end; overrides the connection's `timeout`. */
  readonly timeout?: Duration.DurationInput
}

/** A request relative to the API root, as the services build it. */
export interface ApiRequest {
  readonly method: "GET" | "POST" | "PUT" | "DELETE"
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

export interface ApiResponse {
  readonly status: number
  readonly headers: Readonly<Record<string, string>>
  /** The body as text ("" when none). */
  readonly body: string
}

export interface ConnectionService {
  /** The API root, e.g. `https://engine.example.com/ovirt-engine/api`. */
  readonly url: string
  /** The SSO token (obtained once, shared by every fiber). */
  readonly authenticate: Effect.Effect<Redacted.Redacted<string>, OvirtError>
  /** Whether the engine answers the API root with the credentials given (Python's `test()`). */
  readonly test: Effect.Effect<boolean>
  /** Python's `test(raise_exception=True)`: fails with the reason. */
  readonly testOrFail: Effect.Effect<void, OvirtError>
  /** Sends a request; a non-success status fails with the matching error (fault decoded). */
  readonly send: (request: ApiRequest) => Effect.Effect<ApiResponse, OvirtError>
  /**
   * Sends a request and gives the body as it arrives, after the status was checked. Interrupting
   * the stream aborts the request and frees the socket.
   */
  readonly sendStream: (request: ApiRequest) => Stream.Stream<Uint8Array, OvirtError>
}

export class Connection extends Context.Tag("effect-ovirt/Connection")<Connection, ConnectionService>() {}
