/**
 * The streaming measurement of `npm run bench`: `count` VMs in 64 KiB chunks made on the fly, through
 * Xml.decodeStream, with the peak RSS and the collector's pauses while streaming.
 *
 * Two consumers, each looking at every VM and dropping it: `runForEach` (what most programs write) and
 * `toPull` (pulling the decoded chunks in a loop). They differ in Effect's stream runner, not in our
 * decoder: `Stream.run*` drives the channel on a fiber of its own (channelExecutor's
 * `runScopedInterpret`), and there every element that an effect of the sink captures survives
 * young-generation collections until the next mark-compact (reproduced with plain `Stream`s and no
 * decoder). Pulling (`Stream.toPull`, `Channel.toPull`) does not keep them.
 *
 * bench/main.ts runs it in a child process with plain `node` on this file built to JavaScript
 * (bench/tsconfig.stream.json, into .bench/build), as users run the SDK: under tsx, the loader's own
 * worker and transpiled sources are a large share of the RSS. It falls back to running it in its own
 * process when the build fails. Run as a script, it prints its result as one line of JSON.
 */
import { constants, type PerformanceEntry, PerformanceObserver } from "node:perf_hooks"
import { fileURLToPath } from "node:url"
import { Chunk, Effect, Option, Stream } from "effect"
import * as Xml from "../src/types/Xml.js"
import * as Types from "../src/types/index.js"
import { vmsXmlChunks } from "./vmsDocument.js"

/** How the decoded VMs are consumed (see above). */
export type StreamConsumer = "runForEach" | "toPull"

export interface StreamResult {
  /** Which runtime ran it, e.g. `node v20.20.2 (built JavaScript, child process)`. */
  readonly runtime: string
  readonly consumer: StreamConsumer
  readonly items: number
  readonly bytes: number
  readonly ms: number
  /** CPU time of the process while streaming (user + system, the collector's threads included). */
  readonly cpuMs: number
  /** Making the chunks alone, without decoding them. */
  readonly generationMs: number
  /** Peak RSS while streaming, sampled every 250 VMs. */
  readonly maxRss: number
  /** The process's peak RSS so far (getrusage). */
  readonly processPeakRss: number
  /** Young-generation collections (scavenges) while streaming: how many, and their total pause. */
  readonly scavenges: number
  readonly scavengeMs: number
  /** Old-generation collections (mark-compact) while streaming: how many, and their total pause. */
  readonly markCompacts: number
  readonly markCompactMs: number
}

/** Counts the collector's pauses (perf_hooks `gc` entries) until `stop()`. */
const watchCollector = (): { stop: () => Promise<Pick<StreamResult, "scavenges" | "scavengeMs" | "markCompacts" | "markCompactMs">> } => {
  const totals = { scavenges: 0, scavengeMs: 0, markCompacts: 0, markCompactMs: 0 }
  const count = (entries: ReadonlyArray<PerformanceEntry>): void => {
    for (const entry of entries) {
      const kind = (entry as PerformanceEntry & { readonly detail?: { readonly kind?: number } }).detail?.kind
      if (kind === constants.NODE_PERFORMANCE_GC_MINOR) {
        totals.scavenges++
        totals.scavengeMs += entry.duration
      } else if (kind === constants.NODE_PERFORMANCE_GC_MAJOR) {
        totals.markCompacts++
        totals.markCompactMs += entry.duration
      }
    }
  }
  const observer = new PerformanceObserver((list) => count(list.getEntries()))
  observer.observe({ entryTypes: ["gc"] })
  return {
    stop: async () => {
      // node reports a collection from the event loop: let it turn once (the stream may never have)
      await new Promise((resolve) => setImmediate(resolve))
      count(observer.takeRecords())
      observer.disconnect()
      return totals
    }
  }
}

/** Every element of the stream behind `pull` handed to `f`, chunk by chunk, until the stream ends. */
const pullAll = <A, E>(pull: Effect.Effect<Chunk.Chunk<A>, Option.Option<E>>, f: (a: A) => void): Effect.Effect<void, E> =>
  Effect.gen(function* () {
    while (true) {
      // toPull fails with None at the end of the stream, with Some(error) on a failure
      const chunk = yield* Effect.catchAll(pull, (end) => (Option.isNone(end) ? Effect.succeed(undefined) : Effect.fail(end.value)))
      if (chunk === undefined) return
      Chunk.forEach(chunk, f)
    }
  })

export const measureStream = async (count: number, runtime: string, consumer: StreamConsumer = "runForEach"): Promise<StreamResult> => {
  const chunkBytes = 64 * 1024
  async function* body(): AsyncGenerator<Uint8Array> {
    // made as they are pulled, like a response body: the document never exists whole
    yield* vmsXmlChunks(count, chunkBytes)
  }
  // the cost of making the chunks alone, to tell it apart from decoding them
  let generationMs = performance.now()
  for await (const chunk of body()) if (chunk.length === 0) throw new Error("empty chunk")
  generationMs = performance.now() - generationMs

  let items = 0
  let bytes = 0
  let maxRss = process.memoryUsage.rss()
  const start = performance.now()
  const cpuStart = process.cpuUsage()
  const collector = watchCollector()
  const source = Stream.fromAsyncIterable(body(), (e) => e).pipe(Stream.tap((chunk) => Effect.sync(() => (bytes += chunk.length))))
  const look = (vm: Types.Vm): void => {
    if (vm.id === undefined) throw new Error("a VM without id")
    if (++items % 250 === 0) maxRss = Math.max(maxRss, process.memoryUsage.rss())
  }
  const vms = Xml.decodeStream(Types.Vm)(source)
  await Effect.runPromise(
    consumer === "runForEach"
      ? Stream.runForEach(vms, (vm) => Effect.sync(() => look(vm)))
      : Effect.scoped(Effect.flatMap(Stream.toPull(vms), (pull) => pullAll(pull, look)))
  )
  const ms = performance.now() - start
  const cpu = process.cpuUsage(cpuStart)
  const gc = await collector.stop()
  maxRss = Math.max(maxRss, process.memoryUsage.rss())
  return { runtime, consumer, items, bytes, ms, cpuMs: (cpu.user + cpu.system) / 1000, generationMs, maxRss, processPeakRss: process.resourceUsage().maxRSS * 1024, ...gc }
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const loader = process.execArgv.length > 0 ? `, node options ${process.execArgv.join(" ")}` : ""
  const consumer: StreamConsumer = process.argv[3] === "toPull" ? "toPull" : "runForEach"
  measureStream(Number(process.argv[2]), `node ${process.version} (built JavaScript, child process${loader})`, consumer).then(
    (result) => process.stdout.write(`${JSON.stringify(result)}\n`),
    (e: unknown) => {
      console.error(e)
      process.exitCode = 1
    }
  )
}
