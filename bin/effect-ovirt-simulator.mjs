#!/usr/bin/env node
// The `effect-ovirt-simulator` command. It runs the built JavaScript (dist/) when there is one that
// is not older than the sources: an installed package ships dist/ and no sources, a clone after
// `npm run build` starts fast. A clone without a fresh build runs the TypeScript sources through
// tsx, so it is never stale.
import { existsSync, readdirSync, statSync } from "node:fs"
import { fileURLToPath } from "node:url"

const root = new URL("../", import.meta.url)
const source = new URL("src/simulator/Cli.ts", root)
const built = new URL("dist/src/simulator/Cli.js", root)

/** The newest modification time of the files under `dir` (0 when it does not exist). */
const newest = (dir) => {
  let latest = 0
  if (!existsSync(dir)) return latest
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) latest = Math.max(latest, statSync(`${entry.parentPath ?? entry.path}/${entry.name}`).mtimeMs)
  }
  return latest
}

const hasSources = existsSync(fileURLToPath(source))
const hasBuild = existsSync(fileURLToPath(built))
const buildIsFresh = hasBuild && (!hasSources || statSync(fileURLToPath(built)).mtimeMs >= newest(fileURLToPath(new URL("src/", root))))

let cli
if (buildIsFresh) {
  cli = await import(built.href)
} else {
  const tsx = hasSources ? await import("tsx/esm/api").catch(() => undefined) : undefined
  if (tsx === undefined) {
    process.stderr.write("effect-ovirt-simulator: neither the built package (dist/) nor tsx to run the sources was found; run `npm run build` or `npm ci`.\n")
    process.exit(1)
  }
  tsx.register()
  cli = await import(source.href)
}
await cli.main(process.argv.slice(2))
