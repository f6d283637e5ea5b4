/**
 * `npm run bench`: the XML codec against its goals, from one process.
 *
 *   decode <= 100 µs per VM, <= 0.35x fast-xml-parser's raw parse, <= 1.5x JSON.parse of the JSON form;
 *   50,000 VMs streamed through Xml.decodeStream under 400 MiB peak RSS.
 *
 * Against go-ovirt (issue 13): a whole process decoding 10,000 VMs from a file <= 0.6x go-ovirt's time,
 * 50,000 VMs streamed <= 0.35x. go-ovirt cannot be built on these machines (no Go module proxy), so the
 * reference is go-ovirt's typed decoder as measured for issue 2 on a machine of this kind: 310-450 µs per
 * VM. The goals are checked against its fast end (310 µs), and the output says it is a reference figure.
 * go-ovirt's writer has no measurement of its own: its figure is derived from issue 13's ratios (see
 * GO_OVIRT_WRITER_US_PER_VM), and the encode goal says so too.
 *
 * The document is built here (bench/vmsDocument.ts) and checked against
 * ../shared/tools/make-vms-xml.mjs when that script is present. The streaming run goes first, in a
 * child process running plain `node` on the built JavaScript (bench/stream.ts), so that its peak RSS is
 * its own: not tsx's, not the heap left by the big decodes.
 * Options: `--quick` (fewer repetitions), `--sizes 2000,10000`, `--stream 50000`, `--only encode` (the
 * encode phase alone, at the largest size: for comparing writer changes).
 */
import { execFileSync } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import { createRequire } from "node:module"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import * as v8 from "node:v8"
import * as vm from "node:vm"
import { Effect } from "effect"
import { XMLParser } from "fast-xml-parser"
import * as Xml from "../src/types/Xml.js"
import * as Types from "../src/types/index.js"
import { measureStream, type StreamConsumer, type StreamResult } from "./stream.js"
import { vmsJson, vmsXml } from "./vmsDocument.js"
import { median } from "./util.js"

const args = process.argv.slice(2)
const option = (name: string, fallback: string): string => {
  const at = args.indexOf(name)
  return at >= 0 && at + 1 < args.length ? args[at + 1] : fallback
}
const quick = args.includes("--quick")
const sizes = option("--sizes", "2000,10000").split(",").map(Number)
const streamCount = Number(option("--stream", "50000"))
const repetitions = quick ? 3 : 5
const only = option("--only", "")

const MiB = 1024 * 1024
const mib = (bytes: number): string => `${(bytes / MiB).toFixed(0)} MiB`
const peakRss = (): number => process.resourceUsage().maxRSS * 1024
const line = (text = ""): void => {
  process.stdout.write(`${text}\n`)
}

/** Median wall and CPU time (this process, every thread) in ms of `runs` calls, after one warm-up call. */
const timeIt = (runs: number, f: () => unknown): { readonly ms: number; readonly cpuMs: number } => {
  f()
  const times: Array<number> = []
  const cpu: Array<number> = []
  for (let i = 0; i < runs; i++) {
    const cpuStart = process.cpuUsage()
    const start = performance.now()
    f()
    times.push(performance.now() - start)
    const used = process.cpuUsage(cpuStart)
    cpu.push((used.user + used.system) / 1000)
  }
  return { ms: median(times), cpuMs: median(cpu) }
}

// A full collection before each timed decode, so that each pays for its own garbage only, not for
// the previous one's (fast-xml-parser's tree of 10,000 VMs is gigabytes).
v8.setFlagsFromString("--expose-gc")
const collectGarbage = vm.runInNewContext("gc") as () => void

const timeOnce = (f: () => unknown): number => {
  collectGarbage()
  const start = performance.now()
  f()
  return performance.now() - start
}

// -------------------------------------------------------------------------------------------------
// The document, checked against the reference generator

interface Shape {
  readonly bytesPerVm: number
  readonly elementsPerVm: number
  readonly attributesPerVm: number
  readonly tags: ReadonlySet<string>
}

const shapeOf = (xml: string, count: number): Shape => {
  const tags = new Set<string>()
  let elements = 0
  for (const m of xml.matchAll(/<([a-z_]+)/g)) {
    tags.add(m[1])
    elements++
  }
  const attributes = (xml.match(/ [a-z_]+="/g) ?? []).length
  return { bytesPerVm: Buffer.byteLength(xml) / count, elementsPerVm: elements / count, attributesPerVm: attributes / count, tags }
}

const checkAgainstReference = (): void => {
  const script = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..", "shared", "tools", "make-vms-xml.mjs")
  if (!fs.existsSync(script)) {
    line(`reference check: skipped (${script} not found)`)
    return
  }
  const n = 400 // enough for stable averages, small enough to leave the streaming run's RSS alone
  const run = (...extra: Array<string>) => execFileSync(process.execPath, [script, String(n), ...extra], { maxBuffer: 1 << 30 }).toString()
  const theirs = shapeOf(run(), n)
  const ours = shapeOf(vmsXml(n, 7), n)
  const theirJson = Buffer.byteLength(run("--json")) / n
  const ourJson = Buffer.byteLength(vmsJson(n, 7)) / n
  const within = (a: number, b: number, tolerance: number) => Math.abs(a - b) / b <= tolerance
  const missing = [...theirs.tags].filter((t) => !ours.tags.has(t))
  const extra = [...ours.tags].filter((t) => !theirs.tags.has(t))
  const checks: Array<readonly [string, boolean, string]> = [
    ["bytes per VM", within(ours.bytesPerVm, theirs.bytesPerVm, 0.05), `${ours.bytesPerVm.toFixed(0)} vs ${theirs.bytesPerVm.toFixed(0)}`],
    ["elements per VM", within(ours.elementsPerVm, theirs.elementsPerVm, 0.05), `${ours.elementsPerVm.toFixed(1)} vs ${theirs.elementsPerVm.toFixed(1)}`],
    ["attributes per VM", within(ours.attributesPerVm, theirs.attributesPerVm, 0.05), `${ours.attributesPerVm.toFixed(1)} vs ${theirs.attributesPerVm.toFixed(1)}`],
    ["JSON bytes per VM", within(ourJson, theirJson, 0.1), `${ourJson.toFixed(0)} vs ${theirJson.toFixed(0)}`],
    ["element names", missing.length === 0 && extra.length === 0, `${ours.tags.size} vs ${theirs.tags.size}${missing.length ? `, missing ${missing.join(" ")}` : ""}${extra.length ? `, extra ${extra.join(" ")}` : ""}`]
  ]
  line(`reference check against make-vms-xml.mjs (${n} VMs, ours vs theirs):`)
  for (const [what, ok, detail] of checks) line(`  ${ok ? "ok  " : "DIFF"} ${what}: ${detail}`)
  if (checks.some(([, ok]) => !ok)) {
    line("the benchmark document does not match the reference: figures are not comparable")
    process.exitCode = 1
  }
}

// -------------------------------------------------------------------------------------------------
// Phases

interface Goal {
  readonly what: string
  readonly ok: boolean
  readonly detail: string
}
const goals: Array<Goal> = []

/**
 * The streaming run in a child process with plain `node` on the built JavaScript (bench/stream.ts),
 * as users run the SDK; in this process (under tsx) when that cannot be built.
 */
/** go-ovirt's typed decoder per VM, fast end of the range measured for issue 2 (see the header). */
const GO_OVIRT_US_PER_VM = 310

/**
 * go-ovirt's writer per VM, derived (not measured here or anywhere we can read). Issue 13 measured, in one
 * run, `Xml.encodeList` of 10,000 VMs at 5x go-ovirt's writer and at 2.9x our per-item `Xml.encode`, so
 * go-ovirt's writer = per-item x 2.9 / 5 = 0.58x per-item. Our per-item figure of that time was 43.4 µs
 * per VM (README of 2026-11-26; 44 µs in issue 2's report), hence 0.58 x 43.4 = 25 µs. Uncertainty: the
 * per-item figure of the issue's own run is not recorded; anchored instead on the list figure of that
 * README (101.3 µs / 5) it is 20 µs, on the per-item 45.8 µs of a later README 27 µs. So 20-27 µs; the
 * goal is checked at 25 and the output also shows 20.
 */
const GO_OVIRT_WRITER_US_PER_VM = 25
const GO_OVIRT_WRITER_FAST_END = 20

/** The built bench scripts (bench/tsconfig.stream.json, into .bench/build), or undefined when tsc fails. */
const buildBenchScripts = (): string | undefined => {
  const here = path.dirname(fileURLToPath(import.meta.url))
  try {
    const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc")
    execFileSync(process.execPath, [tsc, "-p", path.join(here, "tsconfig.stream.json")], { stdio: "pipe" })
    return path.resolve(here, "..", ".bench", "build", "bench")
  } catch (e) {
    const why = e instanceof Error ? e.message.split("\n")[0] : String(e)
    line(`  note: the bench scripts could not be built for plain node (${why})`)
    return undefined
  }
}

/** The two ways bench/wholeProcess.ts reads the file (see there). */
const WHOLE_PROCESS_MODES = [
  { mode: "string", what: "readFileSync(file, \"utf8\") + Xml.decodeListAs" },
  { mode: "chunks", what: "createReadStream(file) chunks through Xml.decodeStream, collected" }
] as const

/**
 * A fresh node importing the root, reading `count` VMs from a file and decoding them, each way: the
 * median of 3 runs, the ways alternating so that a busy machine slows both alike.
 */
const wholeProcessPhase = (count: number, built: string | undefined): void => {
  if (built === undefined) return
  const file = path.join(os.tmpdir(), `effect-ovirt-bench-vms-${process.pid}.xml`)
  fs.writeFileSync(file, vmsXml(count))
  try {
    const times = WHOLE_PROCESS_MODES.map(() => [] as Array<number>)
    const cpuTimes = WHOLE_PROCESS_MODES.map(() => [] as Array<number>)
    for (let i = 0; i < 3; i++) {
      WHOLE_PROCESS_MODES.forEach(({ mode }, m) => {
        const start = performance.now()
        const out = execFileSync(process.execPath, [path.join(built, "wholeProcess.js"), mode, file], { stdio: ["ignore", "pipe", "inherit"] })
        times[m].push(performance.now() - start)
        const [decoded, cpuMs] = out.toString().trim().split(" ").map(Number)
        if (decoded !== count) throw new Error(`the whole-process run (${mode}) decoded ${out.toString().trim()} VMs, expected ${count}`)
        cpuTimes[m].push(cpuMs)
      })
    }
    const go = (count * GO_OVIRT_US_PER_VM) / 1000
    line(`whole process: node starts, imports effect-ovirt, reads ${count} VMs from a file and decodes them (median of 3, alternating; CPU: the child's user + system):`)
    const medians = times.map(median)
    WHOLE_PROCESS_MODES.forEach(({ what }, m) =>
      line(`  ${(medians[m] / 1000).toFixed(2)} s (${(medians[m] / go).toFixed(2)}x, CPU ${(median(cpuTimes[m]) / 1000).toFixed(2)} s) ${what}`)
    )
    line(`  go-ovirt's decoder alone at the reference ${GO_OVIRT_US_PER_VM} µs per VM: ${(go / 1000).toFixed(2)} s`)
    const best = medians.indexOf(Math.min(...medians))
    goals.push({
      what: `${count} VMs, whole process <= 0.6x go-ovirt (reference figure, not run here)`,
      ok: medians[best] <= 0.6 * go,
      detail: `${(medians[best] / go).toFixed(2)}x (${WHOLE_PROCESS_MODES[best].mode})`
    })
  } finally {
    fs.rmSync(file, { force: true })
  }
}

const runStream = async (count: number, built: string | undefined, consumer: StreamConsumer): Promise<StreamResult> => {
  if (built === undefined) {
    line("  note: running the streaming measurement here, under tsx")
    return measureStream(count, `tsx, node ${process.version} (in-process)`, consumer)
  }
  const output = execFileSync(process.execPath, [path.join(built, "stream.js"), String(count), consumer], {
    maxBuffer: 1 << 20,
    stdio: ["ignore", "pipe", "inherit"]
  })
  return JSON.parse(output.toString()) as StreamResult
}

/**
 * The stream consumed with `Stream.runForEach` (the goals' figure: what most programs write) and with
 * `Stream.toPull`, which Effect's stream runner does not slow down (see bench/stream.ts).
 */
const streamPhase = async (count: number, built: string | undefined): Promise<void> => {
  const perVm = (t: number) => ((t * 1000) / count).toFixed(0)
  const go = (count * GO_OVIRT_US_PER_VM) / 1000
  for (const consumer of ["runForEach", "toPull"] as const) {
    const r = await runStream(count, built, consumer)
    line(
      `streaming ${r.items} VMs (${(r.bytes / 1e6).toFixed(0)} MB in 64 KiB chunks made on the fly from 1,000 distinct VMs) through Xml.decodeStream, consumed with Stream.${consumer}:`
    )
    line(`  runtime ${r.runtime}`)
    line(`  time ${(r.ms / 1000).toFixed(1)} s = ${perVm(r.ms)} µs per VM, CPU ${perVm(r.cpuMs)} µs per VM (making the chunks alone: ${perVm(r.generationMs)} µs per VM)`)
    line(`  peak RSS while streaming ${mib(r.maxRss)} (sampled every 250 VMs; process peak ${mib(r.processPeakRss)})`)
    line(
      `  collector while streaming: ${r.scavenges} scavenges, ${r.scavengeMs.toFixed(0)} ms; ${r.markCompacts} mark-compacts, ${r.markCompactMs.toFixed(0)} ms`
    )
    line(`  go-ovirt's decoder alone at the reference ${GO_OVIRT_US_PER_VM} µs per VM: ${(go / 1000).toFixed(1)} s (${(r.ms / go).toFixed(2)}x)`)
    if (consumer !== "runForEach") continue
    goals.push({ what: `${count} VMs streamed < 400 MiB peak RSS`, ok: r.maxRss < 400 * MiB && r.items === count, detail: mib(r.maxRss) })
    goals.push({ what: `${count} VMs streamed <= 0.35x go-ovirt (reference figure, not run here)`, ok: r.ms <= 0.35 * go, detail: `${(r.ms / go).toFixed(2)}x` })
  }
}

interface DecodeRow {
  readonly count: number
  readonly xmlBytes: number
  readonly jsonBytes: number
  readonly fxp: number
  readonly json: number
  readonly sdk: number
  readonly rss: number
}

const decodePhase = (count: number): DecodeRow => {
  const xml = vmsXml(count)
  const json = vmsJson(count)
  const parser = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: "" })
  const decodeVms = Xml.decodeListAs(Types.Vm)
  const runs = count > 5000 ? Math.max(3, repetitions - 2) : repetitions + 2
  // interleaved, so that a busy machine slows all three alike; the best run of each is kept, the
  // usual statistic when other processes share the CPU
  const fxp: Array<number> = []
  const jsonTimes: Array<number> = []
  const sdk: Array<number> = []
  // only the count is kept, so that no run holds the previous run's VMs (the other results are dropped too)
  let decoded = 0
  for (let i = 0; i < runs; i++) {
    jsonTimes.push(timeOnce(() => JSON.parse(json)))
    fxp.push(timeOnce(() => parser.parse(xml)))
    sdk.push(timeOnce(() => (decoded = Effect.runSync(decodeVms(xml)).length)))
    if (decoded !== count) throw new Error(`decoded ${decoded} VMs, expected ${count}`)
  }
  return {
    count,
    xmlBytes: Buffer.byteLength(xml),
    jsonBytes: Buffer.byteLength(json),
    fxp: Math.min(...fxp),
    json: Math.min(...jsonTimes),
    sdk: Math.min(...sdk),
    rss: peakRss()
  }
}

const encodePhase = (count: number): void => {
  const vms = Effect.runSync(Xml.decodeListAs(Types.Vm)(vmsXml(count, 5)))
  const encodeList = Xml.encodeList(Types.Vm)
  const encodeOne = Xml.encode(Types.Vm)
  let size = 0
  const list = timeIt(repetitions, () => (size = Effect.runSync(encodeList(vms)).length))
  // Each VM on its own, its text dropped at once: the cost of one request body.
  const each = timeIt(repetitions, () => {
    for (const vm of vms) Effect.runSync(encodeOne(vm))
  })
  // Each VM on its own, the texts kept and joined: the same output as the list, so the same memory to hold.
  const kept = timeIt(repetitions, () => {
    const parts: Array<string> = []
    for (const vm of vms) parts.push(Effect.runSync(encodeOne(vm)))
    return parts.join("")
  })
  const listMs = list.ms
  const keptMs = kept.ms
  const perVm = (t: { readonly ms: number; readonly cpuMs: number }): string =>
    `${((t.ms * 1000) / count).toFixed(1)} µs per VM (CPU ${((t.cpuMs * 1000) / count).toFixed(1)})`
  line(`encoding ${count} VMs (as decoded from the document, written as request bodies: no href, no links; median of ${repetitions}):`)
  line(`  one <vms> document (Xml.encodeList): ${perVm(list)}, ${(size / 1e6 / (listMs / 1000)).toFixed(0)} MB/s (${(size / 1e6).toFixed(0)} MB, compact)`)
  line(`  each VM on its own (Xml.encode), text dropped: ${perVm(each)}`)
  line(`  each VM on its own (Xml.encode), texts kept and joined (the list's output): ${perVm(kept)}`)
  const listUs = (listMs * 1000) / count
  line(
    `  go-ovirt's writer at the reference ${GO_OVIRT_WRITER_US_PER_VM} µs per VM (derived from issue 13's ratios, 20-27): ` +
      `encodeList ${(listUs / GO_OVIRT_WRITER_US_PER_VM).toFixed(2)}x (${(listUs / GO_OVIRT_WRITER_FAST_END).toFixed(2)}x at ${GO_OVIRT_WRITER_FAST_END} µs)`
  )
  goals.push({ what: `${count} VMs: encodeList per VM <= Xml.encode per VM with the same output kept`, ok: listMs <= keptMs, detail: `${(listMs / keptMs).toFixed(2)}x` })
  goals.push({
    what: `${count} VMs: encode <= 1.5x go-ovirt's writer (reference, derived)`,
    ok: listUs <= 1.5 * GO_OVIRT_WRITER_US_PER_VM,
    detail: `${(listUs / GO_OVIRT_WRITER_US_PER_VM).toFixed(2)}x (${listUs.toFixed(1)} µs per VM; by CPU time ${((list.cpuMs * 1000) / count / GO_OVIRT_WRITER_US_PER_VM).toFixed(2)}x)`
  })
}

// -------------------------------------------------------------------------------------------------

const main = async (): Promise<void> => {
  line(`effect-ovirt XML codec benchmark (node ${process.version}, ${process.arch}${quick ? ", quick" : ""})`)
  if (only === "encode") {
    encodePhase(Math.max(...sizes))
    return printGoals()
  }
  if (only !== "") throw new Error(`--only ${only}: only "encode" is known`)
  checkAgainstReference()
  line()
  const built = buildBenchScripts() // once: both child-process phases run its output
  await streamPhase(streamCount, built)
  line()
  line("decoding a <vms> document (best of interleaved runs; µs per VM, MB/s of its own input):")
  line("  VMs     XML MB  fast-xml-parser        JSON.parse (JSON form)  SDK decode            SDK/fxp  SDK/JSON  peak RSS")
  for (const count of sizes) {
    const row = decodePhase(count)
    const per = (ms: number) => ((ms * 1000) / count).toFixed(1).padStart(6)
    const rate = (bytes: number, ms: number) => `${(bytes / 1e6 / (ms / 1000)).toFixed(0).padStart(4)} MB/s`
    line(
      `  ${String(count).padEnd(7)} ${(row.xmlBytes / 1e6).toFixed(1).padStart(6)}  ${per(row.fxp)} µs ${rate(row.xmlBytes, row.fxp)}    ` +
        `${per(row.json)} µs ${rate(row.jsonBytes, row.json)}     ${per(row.sdk)} µs ${rate(row.xmlBytes, row.sdk)}  ` +
        `${(row.sdk / row.fxp).toFixed(2).padStart(6)}  ${(row.sdk / row.json).toFixed(2).padStart(8)}  ${mib(row.rss).padStart(8)}`
    )
    const perVm = (row.sdk * 1000) / count
    goals.push({ what: `${count} VMs: decode <= 100 µs per VM`, ok: perVm <= 100, detail: `${perVm.toFixed(1)} µs` })
    goals.push({ what: `${count} VMs: decode <= 0.35x fast-xml-parser`, ok: row.sdk / row.fxp <= 0.35, detail: `${(row.sdk / row.fxp).toFixed(2)}x` })
    goals.push({ what: `${count} VMs: decode <= 1.5x JSON.parse`, ok: row.sdk / row.json <= 1.5, detail: `${(row.sdk / row.json).toFixed(2)}x` })
  }
  line()
  wholeProcessPhase(10_000, built)
  line()
  encodePhase(Math.max(...sizes))
  printGoals()
}

const printGoals = (): void => {
  line()
  line("goals:")
  for (const g of goals) line(`  ${g.ok ? "met   " : "MISSED"} ${g.what}: ${g.detail}`)
}

main().catch((e) => {
  console.error(e)
  process.exitCode = 1
})
