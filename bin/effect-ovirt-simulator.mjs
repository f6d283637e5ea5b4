#!/usr/bin/env node
// The `effect-ovirt-simulator` command. In a clone of the repository (after `npm ci`, no build
// needed) it runs the TypeScript sources through tsx, so it is never stale; an installed package
// (which ships dist/ and no sources) runs the built JavaScript.
import { existsSync } from "node:fs"
import { fileURLToPath } from "node:url"

const root = new URL("../", import.meta.url)
const source = new URL("src/simulator/Cli.ts", root)
const built = new URL("dist/src/simulator/Cli.js", root)
const tsx = existsSync(fileURLToPath(source)) ? await import("tsx/esm/api").catch(() => undefined) : undefined
let cli
if (tsx !== undefined) {
  tsx.register()
  cli = await import(source.href)
} else if (existsSync(fileURLToPath(built))) {
  cli = await import(built.href)
} else {
  process.stderr.write("effect-ovirt-simulator: neither the built package (dist/) nor tsx to run the sources was found; run `npm run build` or `npm ci`.\n")
  process.exit(1)
}
await cli.main(process.argv.slice(2))
