/**
 * The simulator: an oVirt engine on loopback, driven by the same generated metadata as the SDK.
 * Exported as the `Simulator` namespace from the package root and from `effect-ovirt/testing`.
 *
 * - `Simulator.layer(options)`: a `Connection` to a fresh simulator for the life of the scope.
 * - `Simulator.make(options)`: the simulator in a scope: `{ url, caPem, caFile, username, password }`,
 *   its state and its fault knobs.
 * - `Simulator.start(options)`: the same as a Promise with `close()`, for code outside Effect.
 */
export {
  type ConnectionSettings,
  connectionOptions,
  layer,
  make,
  type RunningSimulator,
  type Simulator,
  type SimulatorOptions,
  SimulatorError,
  SimulatorTag,
  start,
  type FailureRule,
  type Knobs,
  type Timing,
  type ImageioFailureRule,
  type ImageioKnobs,
  type ImageioStats
} from "./Simulator.js"
export { makeCertificateAuthority, makeCertificates } from "./Certificates.js"
