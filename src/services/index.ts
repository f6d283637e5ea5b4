/**
 * The service tree: `system` (the root ref), `service(path)` (a ref by path), and every generated
 * service module as a namespace (`VmsService.list(path, options)`, `VmsService.VmsServiceRef`, ...).
 * One service alone: `effect-ovirt/services/VmsService`.
 */
export * from "./generated/index.js"
export { resolveSync, service } from "./resolve.js"
export { childPath, idPath, type ServiceRef, ServiceRefBase } from "./ServiceRef.js"
export { system } from "./system.js"
