/**
 * `system`: the root of the service tree (the `SystemService` at the API root), a pure value. It is
 * lazy: importing it loads no service module; each service's module loads on its first call.
 */
import type { SystemServiceRef } from "./generated/SystemService.js"
import { lazyRef } from "./runtime/lazy.js"

export const system: SystemServiceRef = lazyRef<SystemServiceRef>("SystemService", "")
