/**
 * src/services, above the core and the types: the generated service modules (generated/, one per
 * service, and the tree of their shapes); `system`, the root ref; the public Connection module
 * (Connection.ts: the core's connection given the generated codec and the service tree); and runtime/,
 * what users never import: the lazy refs that load a service's module on first use (lazy.ts),
 * `service(path)` (resolve.ts), and what turns a generated method description into a request and a
 * decoded answer (Request.ts, with the parameter and constraint checks and the descriptions' types).
 *
 * The service tree: `system` (the root ref), `service(path)` (a ref by path), and every generated
 * service module as a namespace (`VmsService.list(path, options)`, `VmsService.VmsServiceRef`, ...).
 * One service alone: `effect-ovirt/services/VmsService`.
 */
export * from "./generated/index.js"
export { service } from "./runtime/resolve.js"
export { childPath, idPath, type ServiceRef, ServiceRefBase } from "./ServiceRef.js"
export { system } from "./system.js"
