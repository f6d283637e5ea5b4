/**
 * The generators `npm run generate` runs, in order. Each returns the files it owns; the files of all of
 * them are written together, and stale files in their generated/ folders are removed.
 */
import type { Generator } from "./emit.js"
import { generateMetadata } from "./metadata.js"
import { generateServices } from "./services.js"
import { generateTypes } from "./types.js"

export const generators: ReadonlyArray<Generator> = [
  generateMetadata,
  generateTypes,
  generateServices
]
