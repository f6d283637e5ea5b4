/**
 * `npm run bench` (start-up part): what a user pays before the first call, on the built package (dist/,
 * built first by `npm run bench`), each figure the wall time of a fresh `node` process.
 *
 *   importing the root <= 1.35x importing `effect` alone; one service subpath <= 1.15x;
 *   the simulator's command line ready (its JSON line on stdout) <= 1 s;
 *   an esbuild-minified bundle of a program that lists VMs <= 400 KB beyond `effect` itself.
 *
 * The runs alternate (effect, root, subpath, effect, ...) so that a busy machine slows all of them alike;
 * the figures are medians, of the wall time and of the CPU time each process reports (steadier when
 * the machine is shared). The bundle is measured only when esbuild can be found (`ESBUILD=/path/to/esbuild`,
 * or node_modules/.bin/esbuild): it is not a dependency of the project yet.
 * Options: `--runs N` (default 7).
 */
import { spawn, spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..")
const args = process.argv.slice(2)
const runsAt = args.indexOf("--runs")
const runs = runsAt >= 0 ? Number(args[runsAt + 1]) : 7

const line = (text = ""): void => {
  process.stdout.write(`${text}\n`)
}
const median = (xs: ReadonlyArray<number>): number => {
  const sorted = [...xs].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)]
}

if (!fs.existsSync(path.join(root, "dist/src/index.js"))) {
  line("start-up: dist/ is missing: run `npm run build` first")
  process.exit(1)
}

/** A fresh node process that imports `specifier` (resolved from the project root) and exits. */
interface ImportRun {
  /** Wall time in ms, from spawn to exit. */
  readonly wall: number
  /**
   * CPU time in ms (user + system) the process reports at exit: less sensitive than the wall time to
   * other processes on a shared machine (it still rises with cache and memory contention).
   */
  readonly cpu: number
}

const importTime = (specifier: string): ImportRun => {
  const script = `await import(${JSON.stringify(specifier)}); const u = process.cpuUsage(); process.stdout.write(String((u.user + u.system) / 1000))`
  const start = performance.now()
  const r = spawnSync(process.execPath, ["--input-type=module", "-e", script], {
    cwd: root,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"]
  })
  const wall = performance.now() - start
  if (r.status !== 0) throw new Error(`importing ${specifier} failed (${r.status})`)
  return { wall, cpu: Number(r.stdout) }
}

/** Modules a fresh process loads when importing `specifier`. */
const moduleCount = (specifier: string): number => {
  const script = `
    import { register } from "node:module"
    import { MessageChannel } from "node:worker_threads"
    const { port1, port2 } = new MessageChannel()
    let n = 0
    port1.on("message", () => n++)
    port1.unref()
    register("data:text/javascript," + encodeURIComponent(
      "let port; export function initialize(d) { port = d.port }" +
      "export async function load(url, ctx, next) { port.postMessage(url); return next(url, ctx) }"
    ), { data: { port: port2 }, transferList: [port2] })
    await import(${JSON.stringify(specifier)})
    await new Promise((r) => setTimeout(r, 50))
    console.log(n)`
  const r = spawnSync(process.execPath, ["--input-type=module", "-e", script], { cwd: root, encoding: "utf8" })
  return Number(r.stdout.trim())
}

/** Wall time in ms from spawning the simulator's command line to its ready line on stdout. */
const simulatorReady = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const start = performance.now()
    const child = spawn(process.execPath, [path.join(root, "bin/effect-ovirt-simulator.mjs"), "--port", "0"], {
      stdio: ["ignore", "pipe", "ignore"]
    })
    let ready: number | undefined
    child.stdout.once("data", () => {
      ready = performance.now() - start
      child.kill("SIGTERM")
    })
    child.once("exit", (code) =>
      ready === undefined ? reject(new Error(`the simulator exited with ${code} before it was ready`)) : resolve(ready)
    )
  })

const esbuildPath = (): string | undefined => {
  const candidates = [process.env.ESBUILD, path.join(root, "node_modules/.bin/esbuild")]
  return candidates.find((c): c is string => c !== undefined && c !== "" && fs.existsSync(c))
}

interface Metafile {
  readonly outputs: Readonly<
    Record<string, { readonly bytes: number; readonly entryPoint?: string; readonly imports: ReadonlyArray<{ readonly path: string; readonly kind: string }> }>
  >
}

/** Bytes of `output` and of every chunk it imports statically (what loads with it). */
const withStaticImports = (meta: Metafile, output: string, seen = new Set<string>()): number => {
  if (seen.has(output)) return 0
  seen.add(output)
  const o = meta.outputs[output]
  if (o === undefined) return 0
  return o.imports.filter((i) => i.kind === "import-statement").reduce((sum, i) => sum + withStaticImports(meta, i.path, seen), o.bytes)
}

/**
 * Minified bundle sizes (bytes) of a program using `effect` only and one listing VMs through the root:
 * one file (every service module is in it: the tree's dynamic imports are inlined), and code-split
 * (`--splitting`): the entry with what it imports statically, the chunk of the one service it calls and
 * undici's chunk (imported by the first connection built, so a program that connects loads it).
 * `undici` is that chunk's size: a runtime dependency every Node program of the SDK needs, which a
 * program may share with others (Node's own `fetch` is undici too), so it is also reported apart.
 */
const bundleSizes = (esbuild: string): { effect: number; sdk: number; split: number; undici: number } => {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "effect-ovirt-bundle-"))
  try {
    const programs = {
      effect: `import { Effect } from "effect"\nEffect.runPromise(Effect.succeed(1).pipe(Effect.map((n) => n + 1))).then(console.log)\n`,
      sdk: `import { Effect } from "effect"
import { Connection, system } from ${JSON.stringify(path.join(root, "dist/src/index.js"))}
const program = system.vms.list({ search: "name=web*" }).pipe(Effect.map((vms) => vms.map((vm) => vm.name)))
Effect.runPromise(program.pipe(Effect.provide(Connection.layerConfig()))).then(console.log)\n`
    }
    const build = (name: keyof typeof programs, extra: ReadonlyArray<string>): void => {
      const entry = path.join(work, `${name}.mjs`)
      fs.writeFileSync(entry, programs[name])
      const r = spawnSync(esbuild, [entry, "--bundle", "--minify", "--platform=node", "--format=esm", "--log-level=error", ...extra], {
        cwd: work,
        stdio: ["ignore", "inherit", "inherit"],
        env: { ...process.env, NODE_PATH: path.join(root, "node_modules") }
      })
      if (r.status !== 0) throw new Error(`esbuild failed on the ${name} program`)
    }
    build("effect", [`--outfile=${path.join(work, "effect.out.js")}`])
    build("sdk", [`--outfile=${path.join(work, "sdk.out.js")}`])
    build("sdk", ["--splitting", "--outdir=split", "--metafile=split.json"])
    const meta = JSON.parse(fs.readFileSync(path.join(work, "split.json"), "utf8")) as Metafile
    const outputs = Object.entries(meta.outputs)
    const entry = outputs.find(([, o]) => o.entryPoint?.endsWith("sdk.mjs"))?.[0]
    const service = outputs.find(([, o]) => o.entryPoint?.endsWith("services/generated/VmsService.js"))?.[0]
    const undiciChunk = outputs.find(([, o]) => o.entryPoint?.endsWith("node_modules/undici/index.js"))?.[0]
    if (entry === undefined || service === undefined) throw new Error("the split bundle has no entry or no VmsService chunk")
    if (undiciChunk === undefined) throw new Error("the split bundle has no undici chunk")
    const seen = new Set<string>()
    const split = withStaticImports(meta, entry, seen) + withStaticImports(meta, service, seen)
    const undici = withStaticImports(meta, undiciChunk, seen)
    const size = (file: string): number => fs.statSync(path.join(work, file)).size
    return { effect: size("effect.out.js"), sdk: size("sdk.out.js"), split: split + undici, undici }
  } finally {
    fs.rmSync(work, { recursive: true, force: true })
  }
}

const targets = {
  effect: "effect",
  root: "./dist/src/index.js",
  subpath: "./dist/src/services/generated/VmsService.js"
} as const
type Target = keyof typeof targets

const times: Record<Target, Array<number>> = { effect: [], root: [], subpath: [] }
const cpuTimes: Record<Target, Array<number>> = { effect: [], root: [], subpath: [] }
const cli: Array<number> = []
importTime(targets.effect) // warm the file cache
for (let i = 0; i < runs; i++) {
  for (const t of Object.keys(targets) as Array<Target>) {
    const run = importTime(targets[t])
    times[t].push(run.wall)
    cpuTimes[t].push(run.cpu)
  }
  cli.push(await simulatorReady())
}
const ms = (t: Target): number => median(times[t])
const cpu = (t: Target): number => median(cpuTimes[t])

line(`start-up (fresh node processes, median of ${runs} alternating runs, dist/):`)
for (const t of Object.keys(targets) as Array<Target>) {
  line(
    `  import ${targets[t].padEnd(46)} ${ms(t).toFixed(0).padStart(5)} ms  ${String(moduleCount(targets[t])).padStart(5)} modules  ${cpu(t).toFixed(0).padStart(5)} ms CPU`
  )
}
line(`  simulator command line ready ${median(cli).toFixed(0).padStart(25)} ms`)

interface Goal {
  readonly what: string
  readonly ok: boolean
  readonly detail: string
}
const goals: Array<Goal> = [
  { what: "root import <= 1.35x effect alone", ok: ms("root") / ms("effect") <= 1.35, detail: `${(ms("root") / ms("effect")).toFixed(2)}x` },
  { what: "one service subpath <= 1.15x effect alone", ok: ms("subpath") / ms("effect") <= 1.15, detail: `${(ms("subpath") / ms("effect")).toFixed(2)}x` },
  { what: "root import <= 1.35x effect alone, CPU time", ok: cpu("root") / cpu("effect") <= 1.35, detail: `${(cpu("root") / cpu("effect")).toFixed(2)}x` },
  { what: "one service subpath <= 1.15x effect alone, CPU time", ok: cpu("subpath") / cpu("effect") <= 1.15, detail: `${(cpu("subpath") / cpu("effect")).toFixed(2)}x` },
  { what: "simulator command line ready <= 1 s (quiet machine)", ok: median(cli) <= 1000, detail: `${median(cli).toFixed(0)} ms` }
]
const esbuild = esbuildPath()
if (esbuild === undefined) {
  line("  bundle: esbuild not found (set ESBUILD=/path/to/esbuild): not measured")
} else {
  const b = bundleSizes(esbuild)
  const kb = (bytes: number): string => `${(bytes / 1000).toFixed(0)} KB`
  line(`  bundle (esbuild --minify): effect alone ${kb(b.effect)}; listing VMs: one file ${kb(b.sdk)}, code-split (what loads) ${kb(b.split)}, ` +
    `of which undici ${kb(b.undici)}`)
  goals.push({ what: "bundle listing VMs <= 400 KB beyond effect (one file)", ok: b.sdk - b.effect <= 400_000, detail: kb(b.sdk - b.effect) })
  goals.push({ what: "bundle listing VMs <= 400 KB beyond effect (code-split, what loads)", ok: b.split - b.effect <= 400_000, detail: kb(b.split - b.effect) })
  goals.push({
    what: "bundle listing VMs <= 400 KB beyond effect and undici (code-split, what loads)",
    ok: b.split - b.effect - b.undici <= 400_000,
    detail: kb(b.split - b.effect - b.undici)
  })
}
line("goals:")
for (const g of goals) line(`  ${g.ok ? "met   " : "MISSED"} ${g.what}: ${g.detail}`)
