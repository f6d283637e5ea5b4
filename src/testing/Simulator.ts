/**
 * The `Simulator` namespace of `effect-ovirt/testing`: everything of the simulator (src/simulator),
 * and the one piece that joins it to the client, `layer`, a `Connection` to a fresh simulator. It
 * lives here, above both, so that the simulator never imports the client's HTTP code.
 */
import { Effect, Layer } from "effect"
import * as Connection from "../services/Connection.js"
import type { InvalidInputError } from "../core/Errors.js"
import { make, type Simulator, type SimulatorError, SimulatorTag, type SimulatorOptions } from "../simulator/index.js"

export * from "../simulator/index.js"

/** Connection settings besides url and credentials (timeouts, `connections`, `debug`, ...). */
export type ConnectionSettings = Omit<Connection.ConnectionOptions, "url" | "username" | "password" | "caFile" | "token">

/** The options a `Connection` to this simulator needs. */
export const connectionOptions = (sim: Simulator, settings: ConnectionSettings = {}): Connection.ConnectionOptions => ({
  ...settings,
  url: sim.url,
  username: sim.username,
  password: sim.password,
  caFile: sim.caFile
})

/**
 * A `Connection` to a fresh simulator for the life of the scope (the simulator stops after the
 * connection has closed and revoked its token); the simulator itself is provided too, as `SimulatorTag`.
 */
export const layer = (
  options: SimulatorOptions & { readonly connection?: ConnectionSettings } = {}
): Layer.Layer<Connection.Connection | SimulatorTag, InvalidInputError | SimulatorError> =>
  Layer.unwrapScoped(
    Effect.map(make(options), (sim) =>
      Layer.merge(Connection.layer(connectionOptions(sim, options.connection)), Layer.succeed(SimulatorTag, sim))
    )
  )
