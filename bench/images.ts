/**
 * `npm run bench` (third part): upload throughput of `DiskImages.upload` against a raw undici PUT
 * of the same bytes to the same simulator imageio endpoint, in the same run.
 *
 * The simulator runs in its own process (the `effect-ovirt-simulator` command), so the server's work
 * does not share this process. Both sides send the same 256 MiB of incompressible data in 4 MiB
 * requests over 4 connections (the SDK's defaults). The raw side gets a transfer ready first and
 * times only its PUTs and the final flush; the SDK side is timed end to end: starting the transfer,
 * waiting for it, OPTIONS, the PUTs, flush, finalize and the waits (polled every 50 ms).
 * Options: `--mib N` (default 256), `--rounds N` interleaved rounds, best kept (default 2).
 */
import { spawn } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { Effect, ManagedRuntime } from "effect"
import { Agent, request } from "undici"
import * as Connection from "../src/services/Connection.js"
import { DiskImages, system } from "../src/index.js"

const args = process.argv.slice(2)
const option = (name: string, fallback: number): number => {
  const at = args.indexOf(name)
  return at >= 0 && at + 1 < args.length ? Number(args[at + 1]) : fallback
}
const MiB = 2 ** 20
const size = option("--mib", 256) * MiB
const rounds = option("--rounds", 2)
const CHUNK = 4 * MiB
const WRITERS = 4
const line = (text = ""): void => void process.stdout.write(`${text}\n`)

interface SimulatorInfo {
  readonly url: string
  readonly caFile: string
  readonly username: string
  readonly password: string
}

const startSimulator = async (): Promise<{ readonly info: SimulatorInfo; readonly stop: () => void }> => {
  const bin = fileURLToPath(new URL("../bin/effect-ovirt-simulator.mjs", import.meta.url))
  const child = spawn(process.execPath, [bin, "--port", "0", "--seed", "bench-images", "--transition-ms", "20"], { stdio: ["ignore", "pipe", "inherit"] })
  const info = await new Promise<SimulatorInfo>((resolve, reject) => {
    let out = ""
    child.stdout.on("data", (data: Buffer) => {
      out += data.toString()
      if (out.includes("\n")) resolve(JSON.parse(out.slice(0, out.indexOf("\n"))) as SimulatorInfo)
    })
    child.once("exit", (code) => reject(new Error(`the simulator exited (${code})`)))
  })
  return { info, stop: () => child.kill("SIGTERM") }
}

const main = async () => {
  const { info, stop } = await startSimulator()
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "effect-ovirt-bench-images-"))
  try {
    const file = path.join(dir, "image.raw")
    const fd = fs.openSync(file, "w")
    for (let at = 0; at < size; at += CHUNK) fs.writeSync(fd, (await import("node:crypto")).randomBytes(Math.min(CHUNK, size - at)))
    fs.closeSync(fd)
    const runtime = ManagedRuntime.make(Connection.layer({ url: info.url, username: info.username, password: info.password, caFile: info.caFile }))
    const run = <A, E>(effect: Effect.Effect<A, E, Connection.Connection>) => runtime.runPromise(effect)
    const newDisk = (name: string) =>
      run(Effect.gen(function* () {
        const disk = yield* system.disks.add({ name, format: "raw", interface: "virtio_scsi", provisionedSize: size, storageDomains: [{ name: "data1" }] })
        while ((yield* system.disks.disk(disk.id!).get()).status !== "ok") yield* Effect.sleep("20 millis")
        return disk.id!
      }))
    const ca = fs.readFileSync(info.caFile, "utf8")

    /** PUTs of the file's bytes straight to transfer_url with undici, 4 in flight, then a flush. */
    const raw = async (): Promise<number> => {
      const diskId = await newDisk(`raw-${Date.now()}`)
      const transferId = await run(Effect.map(system.imageTransfers.add({ disk: { id: diskId }, direction: "upload", format: "raw" }), (t) => t.id!))
      let url: string | undefined
      while (url === undefined) {
        url = await run(Effect.map(system.imageTransfers.imageTransfer(transferId).get(), (t) => t.transferUrl))
        if (url === undefined) await new Promise((r) => setTimeout(r, 20))
      }
      const agent = new Agent({ connect: { ca }, connections: WRITERS })
      const handle = await fs.promises.open(file, "r")
      const started = performance.now()
      let next = 0
      await Promise.all(Array.from({ length: WRITERS }, async () => {
        const buffer = Buffer.allocUnsafe(CHUNK)
        while (next < size) {
          const offset = next
          next += CHUNK
          const n = Math.min(CHUNK, size - offset)
          await handle.read(buffer, 0, n, offset)
          const answer = await request(`${url}?flush=n`, {
            method: "PUT",
            dispatcher: agent,
            headers: { "content-range": `bytes ${offset}-${offset + n - 1}/*`, "content-length": String(n) },
            body: buffer.subarray(0, n)
          })
          await answer.body.dump()
        }
      }))
      await (await request(url, { method: "PATCH", dispatcher: agent, headers: { "content-type": "application/json" }, body: '{"op":"flush"}' })).body.dump()
      const ms = performance.now() - started
      await handle.close()
      await agent.close()
      await run(system.imageTransfers.imageTransfer(transferId).finalize())
      return ms
    }

    const sdk = async (): Promise<number> => {
      const diskId = await newDisk(`sdk-${Date.now()}`)
      const started = performance.now()
      await run(DiskImages.upload({ source: file, disk: { id: diskId }, chunkSize: CHUNK, connections: WRITERS, pollInterval: "50 millis" }))
      return performance.now() - started
    }

    line(`image upload: ${size / MiB} MiB of random data to the simulator's imageio daemon (own process), ${CHUNK / MiB} MiB requests, ${WRITERS} connections, best of ${rounds} interleaved rounds:`)
    let bestRaw = Infinity
    let bestSdk = Infinity
    for (let round = 0; round < rounds; round++) {
      bestRaw = Math.min(bestRaw, await raw())
      bestSdk = Math.min(bestSdk, await sdk())
    }
    const rate = (ms: number) => size / 1e6 / (ms / 1000)
    line(`  undici PUT (raw, data only)          ${rate(bestRaw).toFixed(0).padStart(5)} MB/s   ${(bestRaw / 1000).toFixed(2)} s`)
    line(`  DiskImages.upload (end to end)       ${rate(bestSdk).toFixed(0).padStart(5)} MB/s   ${(bestSdk / 1000).toFixed(2)} s`)
    const ratio = rate(bestSdk) / rate(bestRaw)
    line(`  SDK / raw throughput: ${ratio.toFixed(2)}x (goal >= 0.8x: ${ratio >= 0.8 ? "met" : "MISSED"})`)
    await runtime.dispose()
  } finally {
    stop()
    fs.rmSync(dir, { recursive: true, force: true })
  }
}

main().catch((e: unknown) => {
  console.error(e)
  process.exitCode = 1
})
