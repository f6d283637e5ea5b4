/**
 * `npm run bench` (second part): the SDK's HTTP path against the raw HTTP client it is built on.
 *
 * One server process answers every GET with the same realistic VM (about 11 KB of XML, as in the decode
 * benchmark); the contenders (bench/httpContenders.ts) fetch it on one pool of 32 sockets, with 1 and
 * then 32 requests in flight, in interleaved rounds: raw undici, raw undici + `Xml.decodeAs`,
 * `Connection.send` and `system.vms.vm(id).get()`.
 * Ratios are what matter on a noisy machine: they come from the same run. Each line also gives the CPU
 * time this process spent per request (best round), which another process's load disturbs less. The goal
 * (issue 13): a service call costs at most 1.4x raw undici + decode, at both concurrencies; the last lines
 * say met or missed.
 * Options: `--requests N` per round (default 4000), `--rounds N` (default 3), `--timeout` (the SDK's
 * connection with a 60 s `timeout`, as most programs set one).
 */
import { SOCKETS, start, withCpu } from "./httpContenders.js"

const args = process.argv.slice(2)
const option = (name: string, fallback: number): number => {
  const at = args.indexOf(name)
  return at >= 0 && at + 1 < args.length ? Number(args[at + 1]) : fallback
}
const requests = option("--requests", 4000)
const rounds = option("--rounds", 3)
const timeout = args.includes("--timeout")
const concurrencies = [1, 32] as const
/** Issue 13's goal: a service call at most this many times raw undici + Xml.decodeAs. */
const GOAL = 1.4
const line = (text = ""): void => {
  process.stdout.write(`${text}\n`)
}

const bench = await start(timeout ? { timeout: "60 seconds" } : {})
try {
  const { contenders } = bench
  // warm up: sockets open, code optimised
  for (const { run } of contenders) await run(500, SOCKETS)
  const best = new Map<string, number>()
  /** CPU time of this process (the client; the server has its own), µs per request: steadier on a shared machine. */
  const bestCpu = new Map<string, number>()
  const key = (name: string, concurrency: number) => `${name}@${concurrency}`
  for (let round = 0; round < rounds; round++) {
    for (const concurrency of concurrencies) {
      for (const { name, run } of contenders) {
        const k = key(name, concurrency)
        const [millis, cpu] = await withCpu(() => run(requests, concurrency))
        best.set(k, Math.min(best.get(k) ?? Infinity, millis))
        bestCpu.set(k, Math.min(bestCpu.get(k) ?? Infinity, cpu / requests))
      }
    }
  }
  const rate = (name: string, concurrency: number): number => requests / ((best.get(key(name, concurrency)) ?? Infinity) / 1000)
  const ratio = (a: string, b: string, concurrency: number): number => rate(b, concurrency) / rate(a, concurrency)
  const named = (id: string): string => contenders.find((c) => c.id === id)?.name ?? id
  line(`HTTP: GET of one ${(bench.size / 1024).toFixed(1)} KB VM over HTTPS on loopback, one pool of ${SOCKETS} sockets, ` +
    `best of ${rounds} interleaved rounds of ${requests} (server in its own process)${timeout ? ", the SDK's connection with timeout: 60 s" : ""}:`)
  const goals: Array<string> = []
  for (const concurrency of concurrencies) {
    line(`  ${concurrency} in flight:`)
    for (const { name } of contenders) {
      line(`    ${name.padEnd(28)} ${rate(name, concurrency).toFixed(0).padStart(6)} requests/s  ${(1e6 / rate(name, concurrency)).toFixed(0).padStart(5)} µs per request` +
        `  (CPU ${(bestCpu.get(key(name, concurrency)) ?? NaN).toFixed(0).padStart(4)} µs)`)
    }
    const call = ratio(named("get"), named("decode"), concurrency)
    line(`    time per request, SDK transport / raw undici:            ${ratio(named("send"), named("raw"), concurrency).toFixed(2)}x`)
    line(`    time per request, SDK service call / raw undici + decode: ${call.toFixed(2)}x`)
    goals.push(`  goal: service call <= ${GOAL}x raw undici + decode at ${concurrency} in flight: ${call.toFixed(2)}x, ${call <= GOAL ? "met" : "MISSED"}`)
  }
  const steps: Array<string> = []
  for (const contender of contenders) {
    const count = await bench.steps(contender)
    if (count !== undefined) steps.push(`${contender.name} ${count}`)
  }
  line(`  Effect runtime steps per call (a count, the same on a busy machine): ${steps.join(", ")}`)
  for (const goal of goals) line(goal)
} finally {
  await bench.close()
}
