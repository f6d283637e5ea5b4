/**
 * The simulator: an oVirt engine on loopback, driven by the same generated metadata as the SDK, a
 * layer above the SDK's core that shares only its XML codec and metadata, never its HTTP client.
 * Simulator.ts starts it (`start`, `make`); Server.ts is the HTTP(S) front (over Listener.ts,
 * Requests.ts and Reply.ts, with the fault knobs of Knobs.ts, SSO of Sso.ts and the pages of
 * Portal.ts); Engine.ts is the model-driven REST core (URLs resolved in Targets.ts, requests read in
 * Input.ts, objects written in Render.ts, the search language in SearchQuery.ts and its matching in
 * Search.ts, what the engine always sends in Defaults.ts, faults in Faults.ts) over the Store (seeded
 * by Seed.ts and Predefined.ts, with the jobs and events of Journal.ts); behaviour/
 * holds one module per resource family (VMs, templates, disks and snapshots, hosts, storage, jobs),
 * plugged into the engine's hooks; imageio/ is the data plane of image transfers (the imageio daemon
 * and proxy, tickets, disk contents, and the `/imagetransfers` behaviour). Certificates.ts makes the
 * TLS certificates; Cli.ts is the `effect-ovirt-simulator` command. `Simulator.layer`, the
 * `Connection` to a fresh simulator, is added in src/testing, which imports both sides.
 *
 * - `Simulator.make(options)`: the simulator in a scope: `{ url, caPem, caFile, username, password }`,
 *   its state and its fault knobs.
 * - `Simulator.start(options)`: the same as a Promise with `close()`, for code outside Effect.
 */
export {
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
