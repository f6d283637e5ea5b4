/**
 * `../shared` beside the checkout: the oVirt API model and the engine's sample documents. Tests read them
 * from there (never from a copy). In CI their absence fails the test file; elsewhere its tests skip.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { expect, it } from "@effect/vitest"

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..", "..", "shared")

/** A path below ../shared/ovirt-api. */
export const ovirtApiPath = (...parts: ReadonlyArray<string>): string => path.join(root, "ovirt-api", ...parts)

/**
 * Whether `file` is there. When it is not: in CI (always has ../shared) a failing test says so; outside CI
 * a warning says which tests skip and why.
 */
export const sharedPresent = (file: string, skipping: string): boolean => {
  if (fs.existsSync(file)) return true
  if (process.env["CI"]) {
    it(`finds ${file}`, () => expect.fail(`${file} is missing: CI must have ../shared beside the checkout`))
  } else {
    console.warn(`skipping ${skipping}: ${file} not found (keep ../shared beside the checkout)`)
  }
  return false
}
