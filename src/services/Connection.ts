/**
 * The public `Connection` module (the root's `Connection`): the core's connection (src/core/Connection.ts:
 * the service tag, options, correlation ids, the engine's CA) built with what the layers above the core
 * give it: the XML codec bound to the generated types, which decodes faults and followed links, and
 * `service(path)`, resolved through the service tree.
 */
import type { ConfigError, Scope } from "effect"
import { Config, Effect, Layer } from "effect"
import {
  Connection,
  type ConnectionOptions,
  type ConnectionOptionsWithEngineCa,
  type ConnectionService,
  fromEnv,
  makeWith,
  type TrustError,
  type UpperLayers
} from "../core/Connection.js"
import type { InvalidInputError } from "../core/Errors.js"
import * as Xml from "../types/Xml.js"
import type { ServiceAt } from "./ServicePath.js"
import type * as Resolve from "./runtime/resolve.js"

export {
  type ApiRequest,
  type ApiResponse,
  type CaFromEngine,
  type CallOptions,
  Connection,
  type ConnectionOptions,
  type ConnectionOptionsWithEngineCa,
  type ConnectionService,
  type DurationWithUnit,
  type EngineCa,
  type FetchCaOptions,
  fetchCaCertificate,
  fromEnv,
  isLockConflict,
  type RetryInput,
  type RetryOptions,
  type TransientAnswer,
  type TransportSettings,
  type TrustError,
  withCorrelationId
} from "../core/Connection.js"
export type { ServiceAt }

/** The path resolver, once loaded (a followed link resolves its path on every call). */
let resolver: typeof Resolve | undefined

/**
 * The service ref at a path below the API root: `service("vms/123/diskattachments")` is the same ref
 * as `system.vms.vm("123").diskAttachments`, typed as such for a literal path (`ServiceAt`); a path
 * known only at run time gives a `ServiceRef`. The service tree is loaded on first use.
 */
export const service = <const P extends string>(path: P): Effect.Effect<ServiceAt<P>, InvalidInputError> =>
  Effect.suspend(() =>
    resolver === undefined
      ? Effect.flatMap(Effect.promise(() => import("./runtime/resolve.js")), (m) => {
        resolver = m
        return m.service(path) as Effect.Effect<ServiceAt<P>, InvalidInputError>
      })
      : resolver.service(path) as Effect.Effect<ServiceAt<P>, InvalidInputError>
  )

const upper: UpperLayers = { decode: (text) => Xml.decode(text), service }

const makeConnection = makeWith(upper)

/** The connection in a scope: the pool closes and the SSO token is revoked when the scope closes. */
export function make(options: ConnectionOptionsWithEngineCa): Effect.Effect<ConnectionService, InvalidInputError | TrustError, Scope.Scope>
export function make(options: ConnectionOptions): Effect.Effect<ConnectionService, InvalidInputError, Scope.Scope>
export function make(options: ConnectionOptions | ConnectionOptionsWithEngineCa): Effect.Effect<ConnectionService, InvalidInputError | TrustError, Scope.Scope> {
  return makeConnection(options)
}

/**
 * The connection as a layer. With `caFromEngine: { pin }`, the engine's CA is downloaded and checked
 * against the pin before the first call (a mismatch fails the layer with an `AuthError`, nothing sent).
 */
export function layer(options: ConnectionOptionsWithEngineCa): Layer.Layer<Connection, InvalidInputError | TrustError>
export function layer(options: ConnectionOptions): Layer.Layer<Connection, InvalidInputError>
export function layer(options: ConnectionOptions | ConnectionOptionsWithEngineCa): Layer.Layer<Connection, InvalidInputError | TrustError> {
  return Layer.scoped(Connection, makeConnection(options))
}

/**
 * The connection from Effect `Config`: by default the environment (`OVIRT_URL`, `OVIRT_USERNAME`,
 * `OVIRT_PASSWORD`, `OVIRT_TOKEN`, `OVIRT_CA_FILE`, `OVIRT_INSECURE`, ...: see `fromEnv`), or a
 * `Config` per setting, like `{ url: Config.string("ENGINE_URL"), insecure: Config.succeed(true) }`.
 */
export const layerConfig = (
  config: Config.Config.Wrap<ConnectionOptions> = fromEnv
): Layer.Layer<Connection, InvalidInputError | ConfigError.ConfigError> =>
  Layer.scoped(Connection, Effect.flatMap(Config.unwrap(config), make))
