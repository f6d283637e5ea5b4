/**
 * The services generator: src/services/generated/ (metadata per service, the table of all services,
 * and one module of functions plus its ref per service). See ./services/.
 */
import type { GeneratedFile } from "./emit.js"
import type { Model } from "./model.js"
import { generateServiceMetadata } from "./services/meta.js"
import { generateServiceModules } from "./services/modules.js"

export const generateServices = (model: Model): ReadonlyArray<GeneratedFile> => [
  ...generateServiceMetadata(model),
  ...generateServiceModules(model)
]
