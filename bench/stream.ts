/**
 * The streaming measurement of `npm run bench`: `count` VMs in 64 KiB chunks made on the fly, through
 * Xml.decodeStream, with the peak RSS while streaming.
 *
 * bench/main.ts runs it in a child process with plain `node` on this file built to JavaScript
 * (bench/tsconfig.stream.json, into .bench/build), as users run the SDK: under tsx, the loader's own
 * worker and transpiled sources are a large share of the RSS. It falls back to running it in its own
 * process when the build fails. Run as a script, it prints its result as one line of JSON.
 */
import { fileURLToPath } from "node:url"
import { Effect, Stream } from "effect"
import * as Xml from "../src/types/Xml.js"
import * as Types from "../src/types/index.js"
import { vmsXmlChunks } from "./vmsDocument.js"

export interface StreamResult {
  /** Which runtime ran it, e.g. `node v20.20.2 (built JavaScript, child process)`. */
  readonly runtime: string
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
}

export const measureStream = async (count: number, runtime: string): Promise<StreamResult> => {
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
  const source = Stream.fromAsyncIterable(body(), (e) => e).pipe(Stream.tap((chunk) => Effect.sync(() => (bytes += chunk.length))))
  await Effect.runPromise(
    Stream.runForEach(Xml.decodeStream(Types.Vm)(source), (vm) =>
      Effect.sync(() => {
        if (vm.id === undefined) throw new Error("a VM without id")
        if (++items % 250 === 0) maxRss = Math.max(maxRss, process.memoryUsage.rss())
      })
    )
  )
  const ms = performance.now() - start
  const cpu = process.cpuUsage(cpuStart)
  maxRss = Math.max(maxRss, process.memoryUsage.rss())
  return { runtime, items, bytes, ms, cpuMs: (cpu.user + cpu.system) / 1000, generationMs, maxRss, processPeakRss: process.resourceUsage().maxRSS * 1024 }
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const loader = process.execArgv.length > 0 ? `, node options ${process.execArgv.join(" ")}` : ""
  measureStream(Number(process.argv[2]), `node ${process.version} (built JavaScript, child process${loader})`).then(
    (result) => process.stdout.write(`${JSON.stringify(result)}\n`),
    (e: unknown) => {
      console.error(e)
      process.exitCode = 1
    }
  )
}
