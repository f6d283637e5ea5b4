/**
 * Profiling driver for the HTTP path (not part of `npm run bench`): CPU time of this process per request
 * (user + system, steadier than wall time on a shared machine) for the contenders of bench/http.ts
 * (bench/httpContenders.ts), `--in-flight N` at a time (32), two rounds after a warm-up. `--only ID`
 * runs one of them (raw, decode, send, get), e.g. under a profiler:
 *   node --cpu-prof --import tsx bench/profile-http.ts --only get
 *   node --trace-gc --import tsx bench/profile-http.ts --only send
 * Usage: npx tsx bench/profile-http.ts [--requests N] [--in-flight N] [--only ID] [--timeout]
 * (`--timeout`: the SDK's connection with a 60 s `timeout`). It first prints the Effect runtime's steps
 * per call of the SDK's contenders: a count, not a time, so a busy machine does not change it.
 */
import { start, withCpu } from "./httpContenders.js"

const args = process.argv.slice(2)
const arg = (name: string): string | undefined => {
  const at = args.indexOf(name)
  return at >= 0 ? args[at + 1] : undefined
}
const requests = Number(arg("--requests") ?? 6000)
const only = arg("--only")
const inFlight = Number(arg("--in-flight") ?? 32)

const bench = await start(args.includes("--timeout") ? { timeout: "60 seconds" } : {})
try {
  const chosen = only === undefined ? bench.contenders : bench.contenders.filter((c) => c.id === only)
  if (chosen.length === 0) throw new Error(`--only ${only}: no such contender (${bench.contenders.map((c) => c.id).join(", ")})`)
  for (const contender of chosen) {
    const steps = await bench.steps(contender)
    if (steps !== undefined) process.stdout.write(`${contender.id.padEnd(6)} ${steps} Effect steps per call\n`)
  }
  for (const { run } of chosen) await run(1000, inFlight)
  for (let round = 0; round < 2; round++) {
    for (const { id, run } of chosen) {
      const [millis, cpu] = await withCpu(() => run(requests, inFlight))
      process.stdout.write(`${id.padEnd(6)} cpu ${(cpu / requests).toFixed(0).padStart(5)} µs/request  wall ${(millis * 1000 / requests).toFixed(0).padStart(5)} µs/request\n`)
    }
  }
} finally {
  await bench.close()
}
