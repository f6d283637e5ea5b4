/**
 * Run in a child process by test/disk-images.memory.test.ts: uploads a file into a new disk and
 * downloads it again through DiskImages against a simulator started by the parent, sampling its own
 * RSS meanwhile. Prints one JSON line: the RSS growth over the baseline taken after a warm-up.
 * Arguments: a JSON of the simulator's connection options, the source file, the target file.
 */
import { Effect } from "effect"
import * as fs from "node:fs"
import { Connection, DiskImages } from "../../src/index.js"

const [optionsJson, source, target, warmup] = process.argv.slice(2)
const options = JSON.parse(optionsJson) as Connection.ConnectionOptions
const common = { pollInterval: "50 millis", storageDomain: { name: "data1" } } as const

const program = Effect.gen(function* () {
  // warm-up: every code path once, so the baseline includes the loaded code and the pools
  const small = yield* DiskImages.upload({ ...common, source: warmup, disk: { name: "warmup" } })
  yield* DiskImages.download({ ...common, disk: small.id!, to: `${target}.warmup` })
  fs.rmSync(`${target}.warmup`)
  const baseline = process.memoryUsage().rss
  let peak = baseline
  // With --expose-gc (the test sets it) a collection runs every 100 ms, so the figure is what the SDK holds
  // (chunks in flight, pools), not garbage a busy machine's collector has not reached yet; a buffer that
  // grew with the image would still show.
  const gc = (globalThis as { readonly gc?: () => void }).gc
  let ticks = 0
  const sampler = setInterval(() => {
    if (gc !== undefined && ++ticks % 10 === 0) gc()
    peak = Math.max(peak, process.memoryUsage().rss)
  }, 10)
  const started = Date.now()
  const disk = yield* DiskImages.upload({ ...common, source, disk: { name: "big" } })
  const uploadMs = Date.now() - started
  yield* DiskImages.download({ ...common, disk: disk.id!, to: target })
  clearInterval(sampler)
  peak = Math.max(peak, process.memoryUsage().rss)
  return { baselineMiB: baseline / 2 ** 20, peakMiB: peak / 2 ** 20, growthMiB: (peak - baseline) / 2 ** 20, uploadMs, totalMs: Date.now() - started }
})

Effect.runPromise(program.pipe(Effect.provide(Connection.layer(options)))).then(
  (result) => console.log(JSON.stringify(result)),
  (error) => {
    console.error(String(error))
    process.exitCode = 1
  }
)
