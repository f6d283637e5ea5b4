/**
 * src/services, above the core and the types: the generated service modules (generated/, one per
 * service, and the tree of their shapes), the lazy refs that load them on first use (lazy.ts), `system`
 * and `service(path)` (resolve.ts), the service runtime that turns a generated method description into
 * a request and a decoded answer (runtime/), and the public Connection module (Connection.ts: the
 * core's connection given the generated codec and the service tree).
 *
 * The service tree: `system` (the root ref), `service(path)` (a ref by path), and every generated
 * service module as a namespace (`VmsService.list(path, options)`, `VmsService.VmsServiceRef`, ...).
 * One service alone: `effect-ovirt/services/VmsService`.
 */
export * from "./generated/index.js"
export { resolveSync, service } from "./resolve.js"
export { childPath, idPath, type ServiceRef, ServiceRefBase } from "./ServiceRef.js"
export { system } from "./system.js"
