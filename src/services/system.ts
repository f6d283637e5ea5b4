/** `system`: the root of the service tree (the `SystemService` at the API root), a pure value. */
import * as SystemService from "./generated/SystemService.js"

export const system: SystemService.SystemServiceRef = SystemService.ref("")
