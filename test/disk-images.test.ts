/**
 * DiskImages against the simulator over real HTTPS: the engine's image transfers on the API, the
 * imageio daemon and proxy on their own loopback ports. Images are made here (raw with zero runs,
 * qcow2 written byte by byte) and must come back byte for byte.
 */
import { describe, expect, it } from "@effect/vitest"
import { Chunk, Deferred, Duration, Effect, Either, Exit, Fiber, Logger, LogLevel, Schedule, Stream } from "effect"
import { execFileSync } from "node:child_process"
import * as fs from "node:fs"
import * as https from "node:https"
import * as os from "node:os"
import * as nodePath from "node:path"
import { Connection, DiskImages, system, type Types } from "../src/index.js"
import * as Redact from "../src/core/internal/Redact.js"
import * as Simulator from "../src/testing/Simulator.js"
import * as Imageio from "../src/workflows/internal/Imageio.js"
import { readHeader } from "../src/workflows/internal/Qcow2.js"
import { qcow2Image, rawImage, sha256 } from "./support/images.js"

const FAST = { vmStart: 40, vmStop: 20, lock: 20, host: 20 }
const MiB = 1024 * 1024
/** Quick polls and small blocks, so a few MiB make many requests. */
const quick = { pollInterval: "10 millis", chunkSize: 256 * 1024 } as const

const withSimulator = (options: Simulator.SimulatorOptions & { readonly connection?: Simulator.ConnectionSettings } = {}) =>
  Simulator.layer({ seed: "images", timing: FAST, ...options })

const tmp = (name: string): string => {
  const dir = fs.mkdtempSync(nodePath.join(os.tmpdir(), "effect-ovirt-images-test-"))
  return nodePath.join(dir, name)
}

/** 3 MiB and a bit: data at the start, a long zero run, data again, zeros at the end. */
const RAW = rawImage(3 * MiB + 4096, [[0, 700 * 1024], [2 * MiB, 300 * 1024]])
const QCOW2 = qcow2Image(64 * MiB, [0, 5, 100, 1023])

const transfers = (sim: Simulator.Simulator) => sim.objects("imagetransfers")

const onDomain = { storageDomain: { name: "data1" } }

/** A 1 MiB raw disk named `name` and an upload transfer to it, started; imageio's client on its daemon. */
const uploadTo = (name: string) =>
  Effect.gen(function* () {
    const sim = yield* Simulator.SimulatorTag
    const connection = yield* Connection.Connection
    const disk = yield* system.disks.add({ name, format: "raw", interface: "virtio", provisionedSize: MiB, storageDomains: [{ name: "data1" }] })
    sim.settle()
    const transfer = yield* system.imageTransfers.add({ disk: { id: disk.id! }, direction: "upload", format: "raw" })
    sim.settle()
    const ready = yield* system.imageTransfers.imageTransfer(transfer.id!).get()
    const client = yield* Imageio.open(connection.transport, { transferUrl: ready.transferUrl! }, 1)
    return { client, ready }
  })

// live clock: the waits poll the engine on real time (the default TestClock would never advance)
describe("DiskImages", () => {
  it.scopedLive("uploads a raw file into a new disk (PUT, zero, flush), then downloads it to a file with the same bytes", () =>
    Effect.gen(function* () {
      const sim = yield* Simulator.SimulatorTag
      const source = tmp("raw.img")
      fs.writeFileSync(source, RAW)
      const seen: Array<DiskImages.Progress> = []
      const disk = yield* DiskImages.upload({
        ...quick,
        ...onDomain,
        source,
        disk: { name: "uploaded-raw" },
        onProgress: (p) => seen.push(p)
      })
      expect(disk).toMatchObject({ name: "uploaded-raw", status: "ok", format: "raw", provisionedSize: RAW.length })
      const stats = { ...sim.imageio.stats }
      expect(stats.options).toBeGreaterThanOrEqual(1)
      expect(stats.zero).toBeGreaterThan(0) // the zero run went as PATCH zero, not bytes
      expect(stats.bytesWritten).toBe(1024 * 1024 + 256 * 1024) // only the blocks holding data
      expect(stats.flush).toBeGreaterThanOrEqual(1)
      expect(stats.proxy).toBe(0)
      expect(seen.at(-1)).toEqual({ bytes: RAW.length, total: RAW.length })
      const [transfer] = transfers(sim)
      expect(transfer).toMatchObject({ phase: "finished_success", direction: "upload", format: "raw", timeoutPolicy: "cancel", inactivityTimeout: 60 })

      const target = tmp("raw.out")
      yield* DiskImages.download({ ...quick, disk: disk.id!, to: target })
      expect(sha256(fs.readFileSync(target))).toBe(sha256(RAW))
      expect(sim.imageio.stats.extents).toBe(1)
      // zero extents were not fetched: only the data came over the wire
      expect(sim.imageio.stats.bytesRead).toBeLessThan(RAW.length)
      const after = yield* system.disks.disk(disk.id!).get()
      expect(after.status).toBe("ok")
    }).pipe(Effect.provide(withSimulator())))

  it.scopedLive("uploads a qcow2 image from a Stream with a known size; the disk is sized from its header; downloadStream gives it back", () =>
    Effect.gen(function* () {
      // uneven pieces, as a network or a decompressor gives them
      const pieces: Array<Uint8Array> = []
      for (let at = 0; at < QCOW2.length; at += 100_003) pieces.push(QCOW2.subarray(at, at + 100_003))
      const disk = yield* DiskImages.upload({
        ...quick,
        ...onDomain,
        source: { stream: Stream.fromIterable(pieces), size: QCOW2.length },
        disk: { name: "uploaded-qcow2" },
        connections: 3
      })
      expect(disk).toMatchObject({ status: "ok", format: "cow", provisionedSize: 64 * MiB, actualSize: QCOW2.length })
      const chunks = yield* Stream.runCollect(DiskImages.downloadStream({ ...quick, disk }))
      const back = Buffer.concat(Chunk.toArray(chunks))
      expect(back.length).toBe(QCOW2.length)
      expect(sha256(back)).toBe(sha256(QCOW2))
      if (hasQemuImg()) {
        const file = tmp("back.qcow2")
        fs.writeFileSync(file, back)
        expect(JSON.parse(execFileSync("qemu-img", ["info", "--output=json", file], { encoding: "utf8" }))["virtual-size"]).toBe(64 * MiB)
      }
    }).pipe(Effect.provide(withSimulator())))

  it.scopedLive("falls back to the engine's proxy when the host's daemon cannot be reached", () =>
    Effect.gen(function* () {
      const sim = yield* Simulator.SimulatorTag
      sim.imageio.knobs.daemonDown = true
      const disk = yield* DiskImages.upload({ ...quick, ...onDomain, source: { stream: Stream.make(RAW), size: RAW.length }, disk: { name: "via-proxy" } })
      expect(disk.status).toBe("ok")
      expect(sim.imageio.stats.daemon).toBe(0)
      expect(sim.imageio.stats.proxy).toBeGreaterThan(3)
    }).pipe(Effect.provide(withSimulator())))

  it.scopedLive("an old daemon without OPTIONS gets plain PUTs: no zero or flush requests", () =>
    Effect.gen(function* () {
      const sim = yield* Simulator.SimulatorTag
      sim.imageio.knobs.legacy = true
      const disk = yield* DiskImages.upload({ ...quick, ...onDomain, source: { stream: Stream.make(RAW), size: RAW.length }, disk: { name: "legacy" } })
      expect(disk.status).toBe("ok")
      expect(sim.imageio.stats).toMatchObject({ zero: 0, bytesWritten: RAW.length })
    }).pipe(Effect.provide(withSimulator())))

  it.scopedLive("interrupting an upload midway cancels the transfer and leaves the disk removable", () =>
    Effect.gen(function* () {
      const sim = yield* Simulator.SimulatorTag
      sim.imageio.knobs.slowMs = 30
      const started = yield* Deferred.make<void>()
      const fiber = yield* Effect.fork(
        DiskImages.upload({
          ...quick,
          ...onDomain,
          chunkSize: 64 * 1024,
          connections: 1,
          source: { stream: Stream.make(RAW), size: RAW.length },
          disk: { name: "interrupted" },
          onProgress: () => Deferred.unsafeDone(started, Exit.void)
        })
      )
      yield* Deferred.await(started)
      yield* Fiber.interrupt(fiber)
      const [transfer] = transfers(sim)
      expect(["cancelled_user", "finalizing_failure", "finished_failure"]).toContain(transfer.phase)
      expect(sim.imageio.stats.bytesWritten).toBeLessThan(RAW.length)
      sim.settle()
      const disk = (yield* system.disks.list({ search: "name=interrupted" }))[0]
      expect(disk.status).toBe("ok")
      yield* system.disks.disk(disk.id!).remove()
      expect(yield* system.disks.list({ search: "name=interrupted" })).toEqual([])
    }).pipe(Effect.provide(withSimulator())))

  it.scopedLive("a download stream read only in part cancels its transfer, so the disk is not left locked", () =>
    Effect.gen(function* () {
      const sim = yield* Simulator.SimulatorTag
      const disk = yield* DiskImages.upload({ ...quick, ...onDomain, source: { stream: Stream.make(RAW), size: RAW.length }, disk: { name: "partly-read" } })
      const first = yield* Stream.runCollect(DiskImages.downloadStream({ ...quick, disk }).pipe(Stream.take(1)))
      expect(Chunk.size(first)).toBe(1)
      const download = transfers(sim).find((t) => t.direction === "download")!
      expect(["cancelled_user", "finalizing_failure", "finished_failure"]).toContain(download.phase)
      sim.settle()
      expect((yield* system.disks.disk(disk.id!).get()).status).toBe("ok")
    }).pipe(Effect.provide(withSimulator())))

  it.scopedLive("a transfer that does not start within `timeout` is a TimeoutError naming it and its last phase; it is cancelled", () =>
    Effect.gen(function* () {
      const sim = yield* Simulator.SimulatorTag
      const disk = yield* DiskImages.upload({ ...quick, ...onDomain, source: { stream: Stream.make(RAW), size: RAW.length }, disk: { name: "slow-start" } })
      sim.setTiming({ lock: 3_600_000 }) // the next transfer stays `initializing`
      const error = yield* Effect.flip(DiskImages.download({ ...quick, disk, to: tmp("slow.img"), timeout: "300 millis" }))
      expect(error._tag).toBe("TimeoutError")
      const download = transfers(sim).find((t) => t.direction === "download")!
      expect(error.message).toContain(`image transfer ${download.id} to start`)
      expect(error.message).toContain("phase=initializing")
      expect(download.phase).not.toBe("initializing") // cancelled when the wait gave up
    }).pipe(Effect.provide(withSimulator())))

  it.scopedLive("an expired ticket is a clear FaultError (403, not retried) that does not show the ticket; the transfer is cancelled", () =>
    Effect.gen(function* () {
      const sim = yield* Simulator.SimulatorTag
      let expired = false
      const error = yield* Effect.flip(
        DiskImages.upload({
          ...quick,
          ...onDomain,
          connections: 1,
          source: { stream: Stream.make(RAW), size: RAW.length },
          disk: { name: "expiring" },
          onProgress: () => {
            if (!expired) sim.imageio.expireTickets()
            expired = true
          }
        })
      )
      expect(error._tag).toBe("FaultError")
      expect(error).toMatchObject({ code: 403, path: "/images/<redacted>" })
      expect(error.message).toMatch(/ticket is no longer valid.*not retried.*No such ticket <redacted>/)
      const [transfer] = transfers(sim)
      expect(error.message).not.toContain(String(transfer.transferUrl).split("/").at(-1))
      expect(sim.imageio.stats.put).toBe(1) // the one before expiry; the refused one is not sent again
      // the engine noticed the idle ticket (timeout_policy cancel) or the SDK cancelled: either way it ends failed
      expect(["cancelled_system", "cancelled_user", "finalizing_failure", "finished_failure"]).toContain(transfer.phase)
      sim.settle()
      expect(transfers(sim)[0].phase).toBe("finished_failure")
    }).pipe(Effect.provide(withSimulator())))

  it.scopedLive("an imageio error answer fails the upload with the server's reason in the message", () =>
    Effect.gen(function* () {
      const sim = yield* Simulator.SimulatorTag
      sim.imageio.knobs.failures.push({ method: "PUT", status: 500, body: "Internal error: writing to the volume failed (simulated)", count: 1 })
      const error = yield* Effect.flip(
        DiskImages.upload({ ...quick, ...onDomain, source: { stream: Stream.make(RAW), size: RAW.length }, disk: { name: "failing" } })
      )
      expect(error).toMatchObject({ _tag: "FaultError", code: 500 })
      expect(error.message).toContain("writing to the volume failed (simulated)")
      sim.settle()
      expect(transfers(sim)[0].phase).toBe("finished_failure")
    }).pipe(Effect.provide(withSimulator())))

  it.scopedLive("a transfer that fails after finalize is a FaultError naming the phase, at its first failing phase", () =>
    Effect.gen(function* () {
      const sim = yield* Simulator.SimulatorTag
      sim.imageio.knobs.transferFailure = "finalize"
      const error = yield* Effect.flip(
        DiskImages.upload({ ...quick, ...onDomain, source: { stream: Stream.make(RAW), size: RAW.length }, disk: { name: "finalize-fails" } })
      )
      expect(error._tag).toBe("FaultError")
      // finalizing_failure is failing already (Wait's rules): it leads to finished_failure and nothing else
      expect(error.message).toMatch(/is (finalizing|finished)_failure while finalizing: the engine reports failure/)
    }).pipe(Effect.provide(withSimulator())))

  it.scopedLive("a transfer the engine pauses (paused_system) fails fast and is cancelled", () =>
    Effect.gen(function* () {
      const sim = yield* Simulator.SimulatorTag
      sim.imageio.knobs.transferFailure = "pause"
      const error = yield* Effect.flip(
        DiskImages.upload({ ...quick, ...onDomain, source: { stream: Stream.make(RAW), size: RAW.length }, disk: { name: "paused" } })
      )
      expect(error._tag).toBe("FaultError")
      expect(error.message).toMatch(/is paused_system while starting/)
      expect(sim.imageio.stats.put).toBe(0)
      sim.settle()
      expect(transfers(sim)[0].phase).toBe("finished_failure")
    }).pipe(Effect.provide(withSimulator())))

  it.scopedLive("bad input fails before anything is sent: a missing file, a stream shorter than its size, a raw image as cow", () =>
    Effect.gen(function* () {
      const sim = yield* Simulator.SimulatorTag
      const missing = yield* Effect.flip(DiskImages.upload({ ...onDomain, source: "/nonexistent/disk.img", disk: { name: "x" } }))
      expect(missing).toMatchObject({ _tag: "InvalidInputError", paths: ["source"] })
      expect(missing.message).toContain("/nonexistent/disk.img")
      const notQcow2 = yield* Effect.flip(DiskImages.upload({ ...onDomain, source: { stream: Stream.make(RAW), size: RAW.length }, format: "cow", disk: { name: "x" } }))
      expect(notQcow2).toMatchObject({ _tag: "InvalidInputError", paths: ["format"] })
      const noWhere = yield* Effect.flip(DiskImages.upload({ source: { stream: Stream.make(RAW), size: RAW.length }, disk: { name: "x" } }))
      expect(noWhere._tag).toBe("InvalidInputError")
      // a duration without its unit: is 5 seconds or milliseconds meant? (as for the connection's options)
      const bare = { pollInterval: 5 } as unknown as { pollInterval: "5 seconds" }
      const unitless = yield* Effect.flip(DiskImages.upload({ ...onDomain, ...bare, source: { stream: Stream.make(RAW), size: RAW.length }, disk: { name: "unitless" } }))
      expect(unitless).toMatchObject({ _tag: "InvalidInputError", paths: ["pollInterval"], message: expect.stringContaining('"5 seconds"') })
      expect(yield* system.disks.list({ search: "name=unitless" })).toEqual([])
      expect(transfers(sim)).toEqual([])
      expect(sim.imageio.stats.daemon + sim.imageio.stats.proxy).toBe(0)

      // a stream that ends early is only found out while sending: the transfer is cancelled
      const short = yield* Effect.flip(
        DiskImages.upload({ ...quick, ...onDomain, source: { stream: Stream.make(RAW.subarray(0, MiB)), size: RAW.length }, disk: { name: "short" } })
      )
      expect(short).toMatchObject({ _tag: "InvalidInputError", paths: ["source.size"] })
      expect(short.message).toContain(`only ${MiB} bytes`)
      sim.settle()
      expect(transfers(sim)[0].phase).toBe("finished_failure")
      const [disk] = yield* system.disks.list({ search: "name=short" })
      yield* system.disks.disk(disk.id!).remove()
    }).pipe(Effect.provide(withSimulator())))

  it.scopedLive("a write past the end of the image is imageio's 416, a FaultError", () =>
    Effect.gen(function* () {
      const { client } = yield* uploadTo("small")
      const error = yield* Effect.flip(client.put(MiB - 10, new Uint8Array(20)))
      expect(error).toMatchObject({ _tag: "FaultError", code: 416, method: "PUT", path: "/images/<redacted>" })
      expect(error.message).toContain("outside the image")
    }).pipe(Effect.provide(withSimulator())))

  it.scopedLive("a PATCH body over imageio's bound is refused (413) and changes nothing; the ticket still works", () =>
    Effect.gen(function* () {
      const sim = yield* Simulator.SimulatorTag
      const { client, ready } = yield* uploadTo("patched")
      const data = Buffer.alloc(4096, 7)
      yield* client.put(0, data)
      const zeroed = sim.imageio.stats.zero
      // a zero request padded past the 4 KiB a PATCH may have
      const body = JSON.stringify({ op: "zero", offset: 0, size: 4096, padding: "x".repeat(8192) })
      const answer = yield* Effect.async<{ status: number; text: string }, Error>((resume) => {
        const req = https.request(ready.transferUrl!, { method: "PATCH", ca: sim.caPem, agent: false, headers: { "Content-Type": "application/json" } }, (res) => {
          let text = ""
          res.setEncoding("utf8").on("data", (c: string) => (text += c)).on("end", () => resume(Effect.succeed({ status: res.statusCode ?? 0, text })))
        })
        req.on("error", (e) => resume(Effect.fail(e)))
        req.end(body)
        return Effect.sync(() => req.destroy())
      })
      expect(answer).toEqual({ status: 413, text: "PATCH body too large" })
      expect(sim.imageio.stats.zero).toBe(zeroed)
      expect(Buffer.from(yield* client.read(0, 4096))).toEqual(data)
    }).pipe(Effect.provide(withSimulator())))

  it.scopedLive("a ticket left idle past inactivity_timeout: the engine pauses the transfer and imageio refuses the ticket (403)", () =>
    Effect.gen(function* () {
      const sim = yield* Simulator.SimulatorTag
      const connection = yield* Connection.Connection
      const disk = yield* system.disks.add({ name: "idle", format: "raw", interface: "virtio", provisionedSize: MiB, storageDomains: [{ name: "data1" }] })
      const ref = system.disks.disk(disk.id!)
      yield* poll(ref.get(), (d) => d.status === "ok", "20 millis")
      const added = yield* system.imageTransfers.add({ disk: { id: disk.id! }, direction: "upload", format: "raw", inactivityTimeout: 1, timeoutPolicy: "legacy" })
      const transfer = system.imageTransfers.imageTransfer(added.id!)
      const ready = yield* poll(transfer.get(), (t) => t.phase === "transferring", "20 millis")
      // nothing is sent: the engine notices the idle ticket on its own (waited for, not slept)
      const paused = yield* poll(transfer.get(), (t) => t.phase !== "transferring", "100 millis").pipe(Effect.timeout("30 seconds"))
      expect(paused.phase).toBe("paused_system")
      const error = yield* Effect.flip(Imageio.open(connection.transport, { transferUrl: ready.transferUrl! }, 1))
      expect(error).toMatchObject({ _tag: "FaultError", code: 403 })
      // a paused transfer can still be cancelled, which unlocks the disk
      yield* transfer.cancel()
      sim.settle()
      expect((yield* ref.get()).status).toBe("ok")
    }).pipe(Effect.provide(withSimulator())))

  it("the qcow2 header gives the virtual size; a backing file, encryption or a bad version is refused", () => {
    expect(readHeader(QCOW2, "image")).toEqual(Either.right({ version: 3, clusterBits: 16, virtualSize: 64 * MiB }))
    const withBacking = Buffer.from(QCOW2)
    withBacking.writeBigUInt64BE(512n, 8)
    expect(readHeader(withBacking, "image")).toMatchObject({ left: { _tag: "InvalidInputError", message: expect.stringContaining("has a backing file") } })
    const encrypted = Buffer.from(QCOW2)
    encrypted.writeUInt32BE(2, 32)
    expect(readHeader(encrypted, "image")).toMatchObject({ left: { _tag: "InvalidInputError", message: expect.stringContaining("encrypted") } })
    const version9 = Buffer.from(QCOW2)
    version9.writeUInt32BE(9, 4)
    expect(readHeader(version9, "image")).toMatchObject({ left: { _tag: "InvalidInputError", message: expect.stringContaining("version 9") } })
    expect(readHeader(RAW, "image")).toMatchObject({ left: { _tag: "InvalidInputError", message: expect.stringContaining("not a qcow2 image") } })
  })

  it("the ticket is redacted from transfer URLs in XML (debug logs), and other /images/ paths are left alone", () => {
    const doc = '<image_transfer><transfer_url>https://host:54322/images/4f0c2bd8-ticket</transfer_url><proxy_url>https://engine:54323/images/4f0c2bd8-ticket</proxy_url>' +
      '<image href="/ovirt-engine/api/storagedomains/sd1/images/img1" id="img1"/></image_transfer>'
    const out = Redact.xml(doc)
    expect(out).not.toContain("4f0c2bd8-ticket")
    expect(out).toContain("<transfer_url>https://host:54322/images/<redacted></transfer_url>")
    expect(out).toContain("<proxy_url>https://engine:54323/images/<redacted></proxy_url>")
    expect(out).toContain("storagedomains/sd1/images/img1")
  })

  it.scopedLive("with debug logging, the transfer ticket never appears in the log", () =>
    Effect.gen(function* () {
      const lines: Array<string> = []
      const capture = Logger.replace(Logger.defaultLogger, Logger.make(({ message }) => lines.push(String(message))))
      const sim = yield* Simulator.make({ seed: "images", timing: FAST })
      const layer = Connection.layer(Simulator.connectionOptions(sim, { debug: true }))
      yield* DiskImages.upload({ ...quick, ...onDomain, source: { stream: Stream.make(RAW), size: RAW.length }, disk: { name: "logged" } }).pipe(
        Effect.provide(layer),
        Logger.withMinimumLogLevel(LogLevel.Debug),
        Effect.provide(capture)
      )
      const ticket = String(sim.objects("imagetransfers")[0].transferUrl).split("/").at(-1)!
      const all = lines.join("\n")
      expect(all).toContain("<transfer_url>")
      expect(all).toContain("/images/<redacted>")
      expect(all).not.toContain(ticket)
    }))
})

/** `get` again every `every` until `done` holds; gives that value. */
const poll = <A, E, R>(get: Effect.Effect<A, E, R>, done: (a: A) => boolean, every: Duration.DurationInput): Effect.Effect<A, E, R> =>
  Effect.repeat(get, Schedule.recurUntil(done).pipe(Schedule.addDelay(() => every)))

const hasQemuImg = (): boolean => {
  try {
    execFileSync("qemu-img", ["--version"], { stdio: "ignore" })
    return true
  } catch {
    return false
  }
}

export type { Types }
