/**
 * effect-ovirt: the oVirt Engine SDK for TypeScript, built on Effect.
 *
 * - `Connection`: the layer that supplies scoped HTTP, SSO authentication and timeouts.
 * - `system`: the root of the generated service tree (`system.vms.vm(id).start()`).
 * - `Types`: every struct and enum of the oVirt API model as interfaces + Schemas.
 * - `Xml`: the engine's XML on its own (decode, decodeAs, decodeStream, encode).
 * - `Wait`, `Paging`, `Events`: waiting for states, paging collections, following the event log.
 * - `DiskImages`: upload and download disk images through image transfers and imageio.
 * - The tagged errors, one per kind of failure, and their union `OvirtError`.
 *
 * The simulator is not here (importing the root never loads it): `effect-ovirt/testing`.
 */
export * as Connection from "./services/Connection.js"
export * as Xml from "./types/Xml.js"
export * as Types from "./types/index.js"
export { system } from "./services/system.js"
export { DiskImages, Events, Paging, Wait } from "./workflows/index.js"
export {
  AuthError,
  ConnectionError,
  DecodeError,
  FaultError,
  InvalidInputError,
  NotFoundError,
  TimeoutError,
  type FaultInfo,
  type OvirtError
} from "./core/Errors.js"
