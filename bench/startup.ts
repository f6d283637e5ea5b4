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
 * Options: `--runs N` (default 7); `--bundle-only` measures the bundle alone (no processes timed).
 */
import { spawn, spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { median } from "./util.js"

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..")
const args = process.argv.slice(2)
const runsAt = args.indexOf("--runs")
const runs = runsAt >= 0 ? Number(args[runsAt + 1]) : 7
const bundleOnly = args.includes("--bundle-only")

const line = (text = ""): void => {
  process.stdout.write(`${text}\n`)
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

interface MetafileOutput {
  readonly bytes: number
  readonly entryPoint?: string
  readonly imports: ReadonlyArray<{ readonly path: string; readonly kind: string }>
  readonly inputs: Readonly<Record<string, { readonly bytesInOutput: number }>>
}
interface Metafile {
  readonly outputs: Readonly<Record<string, MetafileOutput>>
}

/** `output` and every chunk it imports statically (what loads with it), added to `into`. */
const withStaticImports = (meta: Metafile, output: string, into: Set<string>): Set<string> => {
  const o = meta.outputs[output]
  if (into.has(output) || o === undefined) return into
  into.add(output)
  for (const i of o.imports) if (i.kind === "import-statement") withStaticImports(meta, i.path, into)
  return into
}

/** Where the bytes of a bundle come from, by the input file esbuild took them from. */
const parts = [
  "effect",
  "effect's dependencies (fast-check, pure-rand: Schema's arbitraries)",
  "@effect/platform",
  "undici",
  "effect-ovirt: types' wire metadata (generated)",
  "effect-ovirt: service tree shapes (generated)",
  "effect-ovirt: services' descriptions (generated meta/)",
  "effect-ovirt: service modules (generated)",
  "effect-ovirt: types' Schemas (generated)",
  "effect-ovirt: core (hand-written)",
  "effect-ovirt: services runtime, types, workflows (hand-written)",
  "the program, esbuild's own glue"
] as const
type Part = (typeof parts)[number]
const ours = (part: Part): boolean => part.startsWith("effect-ovirt")

const partOf = (input: string): Part => {
  const file = input.replaceAll("\\", "/")
  if (file.includes("/node_modules/effect/")) return "effect"
  if (file.includes("/node_modules/fast-check/") || file.includes("/node_modules/pure-rand/")) return parts[1]
  if (file.includes("/node_modules/@effect/platform/")) return "@effect/platform"
  if (file.includes("/node_modules/undici/")) return "undici"
  const at = file.indexOf("dist/src/")
  if (at < 0 || file.includes("/node_modules/")) return "the program, esbuild's own glue"
  const src = file.slice(at + "dist/src/".length)
  if (src === "types/generated/metadata.js") return parts[4]
  if (src === "services/generated/tree.js") return parts[5]
  if (src.startsWith("services/generated/meta/")) return parts[6]
  if (src.startsWith("services/generated/")) return parts[7]
  if (src.startsWith("types/generated/")) return parts[8]
  if (src.startsWith("core/")) return parts[9]
  return parts[10]
}

/** Bytes per part of the given outputs; what no input accounts for (chunk glue, the runtime) is esbuild's. */
const attribute = (meta: Metafile, outputs: Iterable<string>): Map<Part, number> => {
  const bytes = new Map<Part, number>(parts.map((p) => [p, 0]))
  for (const name of outputs) {
    const o = meta.outputs[name]
    let counted = 0
    for (const [input, { bytesInOutput }] of Object.entries(o.inputs)) {
      const part = partOf(input)
      bytes.set(part, bytes.get(part)! + bytesInOutput)
      counted += bytesInOutput
    }
    bytes.set("the program, esbuild's own glue", bytes.get("the program, esbuild's own glue")! + o.bytes - counted)
  }
  return bytes
}

const total = (bytes: ReadonlyMap<Part, number>): number => [...bytes.values()].reduce((a, b) => a + b, 0)

interface BundleSizes {
  /** A minimal `effect` program, one file. */
  readonly effect: number
  /** The VM-listing program in one file (every service module in it: the tree's dynamic imports are inlined). */
  readonly oneFile: Map<Part, number>
  /**
   * The same, code-split (`--splitting`), counting what loads: the entry with what it imports statically,
   * the chunk of the one service it calls and undici's chunk (imported by the first connection built).
   */
  readonly split: Map<Part, number>
}

/**
 * Minified bundles (esbuild) of a program using `effect` only and one listing VMs through the root, the
 * latter with its metafile, read per package. `undici` is a runtime dependency every Node program of the
 * SDK needs and may share with others (Node's own `fetch` is undici too), so the goals are read with and
 * without it.
 */
const bundleSizes = (esbuild: string): BundleSizes => {
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
    const metafile = (file: string): Metafile => JSON.parse(fs.readFileSync(path.join(work, file), "utf8")) as Metafile
    build("effect", [`--outfile=${path.join(work, "effect.out.js")}`])
    build("sdk", [`--outfile=${path.join(work, "sdk.out.js")}`, "--metafile=one.json"])
    build("sdk", ["--splitting", "--outdir=split", "--metafile=split.json"])
    const one = metafile("one.json")
    const meta = metafile("split.json")
    const outputs = Object.entries(meta.outputs)
    const entry = outputs.find(([, o]) => o.entryPoint?.endsWith("sdk.mjs"))?.[0]
    const service = outputs.find(([, o]) => o.entryPoint?.endsWith("services/generated/VmsService.js"))?.[0]
    const undiciChunk = outputs.find(([, o]) => o.entryPoint?.endsWith("node_modules/undici/index.js"))?.[0]
    if (entry === undefined || service === undefined) throw new Error("the split bundle has no entry or no VmsService chunk")
    if (undiciChunk === undefined) throw new Error("the split bundle has no undici chunk")
    const loads = new Set<string>()
    for (const o of [entry, service, undiciChunk]) withStaticImports(meta, o, loads)
    const split = attribute(meta, loads)
    const oneFile = attribute(one, Object.keys(one.outputs).filter((o) => o.endsWith(".js")))
    const size = (file: string): number => fs.statSync(path.join(work, file)).size
    if (total(oneFile) !== size("sdk.out.js")) throw new Error("the one-file metafile does not add up to the file's size")
    return { effect: size("effect.out.js"), oneFile, split }
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

interface Goal {
  readonly what: string
  readonly ok: boolean
  readonly detail: string
}
const goals: Array<Goal> = []

const measureStartup = async (): Promise<void> => {
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
  goals.push(
    { what: "root import <= 1.35x effect alone", ok: ms("root") / ms("effect") <= 1.35, detail: `${(ms("root") / ms("effect")).toFixed(2)}x` },
    { what: "one service subpath <= 1.15x effect alone", ok: ms("subpath") / ms("effect") <= 1.15, detail: `${(ms("subpath") / ms("effect")).toFixed(2)}x` },
    { what: "root import <= 1.35x effect alone, CPU time", ok: cpu("root") / cpu("effect") <= 1.35, detail: `${(cpu("root") / cpu("effect")).toFixed(2)}x` },
    { what: "one service subpath <= 1.15x effect alone, CPU time", ok: cpu("subpath") / cpu("effect") <= 1.15, detail: `${(cpu("subpath") / cpu("effect")).toFixed(2)}x` },
    { what: "simulator command line ready <= 1 s (quiet machine)", ok: median(cli) <= 1000, detail: `${median(cli).toFixed(0)} ms` }
  )
}

if (!bundleOnly) await measureStartup()
const esbuild = esbuildPath()
if (esbuild === undefined) {
  line("  bundle: esbuild not found (set ESBUILD=/path/to/esbuild): not measured")
} else {
  const b = bundleSizes(esbuild)
  const kb = (bytes: number): string => `${(bytes / 1000).toFixed(0)} KB`
  line(`  bundle of a program listing VMs (esbuild --minify; bytes by package, from esbuild's metafile):`)
  line(`    ${"".padEnd(70)} ${"one file".padStart(9)} ${"code-split, what loads".padStart(23)}`)
  for (const part of parts) line(`    ${part.padEnd(70)} ${kb(b.oneFile.get(part)!).padStart(9)} ${kb(b.split.get(part)!).padStart(23)}`)
  const sum = (bytes: ReadonlyMap<Part, number>, keep: (part: Part) => boolean): number =>
    parts.filter(keep).reduce((n, part) => n + bytes.get(part)!, 0)
  line(`    ${"effect-ovirt, all of it".padEnd(70)} ${kb(sum(b.oneFile, ours)).padStart(9)} ${kb(sum(b.split, ours)).padStart(23)}`)
  line(`    ${"total".padEnd(70)} ${kb(total(b.oneFile)).padStart(9)} ${kb(total(b.split)).padStart(23)}`)
  line(`    a minimal effect program (Effect.succeed, run): ${kb(b.effect)}`)
  // the goal, "<= 400 KB beyond effect itself", read two ways: beyond what a minimal effect program bundles
  // (effect's modules the SDK uses, Schema, Stream and fast-check among them, count against the SDK), and
  // the bytes that do not come from effect or its own dependencies (each with and without undici)
  const fromEffect = (part: Part): boolean => part === "effect" || part === parts[1]
  for (const [name, bytes] of [["one file", b.oneFile], ["code-split, what loads", b.split]] as const) {
    const beyond = total(bytes) - b.effect
    const notEffect = sum(bytes, (p) => !fromEffect(p))
    const undici = bytes.get("undici")!
    const goal = (what: string, n: number): Goal => ({ what: `bundle listing VMs (${name}) <= 400 KB ${what}`, ok: n <= 400_000, detail: kb(n) })
    goals.push(goal("beyond a minimal effect program", beyond))
    goals.push(goal("beyond a minimal effect program and undici", beyond - undici))
    goals.push(goal("not from effect (or fast-check, pure-rand)", notEffect))
    goals.push(goal("not from effect (or fast-check, pure-rand) nor undici", notEffect - undici))
  }
}
line("goals:")
for (const g of goals) line(`  ${g.ok ? "met   " : "MISSED"} ${g.what}: ${g.detail}`)
