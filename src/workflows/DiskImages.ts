/**
 * Disk images: upload an image into a disk and download a disk, through the engine's image
 * transfers and the ovirt-imageio data plane, as the Python SDK's upload/download examples do.
 *
 * - `upload({ source, disk | storageDomain + disk })`: creates the disk when asked (sized from the
 *   image: a qcow2 image's virtual size from its header), starts a transfer (`direction: upload`,
 *   `format`, `inactivity_timeout`, `timeout_policy`), waits for `transferring`, sends the bytes
 *   (OPTIONS, PUT with Content-Range from parallel writers, PATCH zero for all-zero blocks, PATCH
 *   flush), finalizes, and waits for `finished_success` and the disk `ok`.
 * - `download({ disk, to })` and `downloadStream({ disk })`: a transfer with `direction: download`,
 *   Range GETs (zero extents are not read), then finalize.
 *
 * A failure or an interruption cancels the transfer so no disk stays locked. Failures are the
 * SDK's tagged errors: `FaultError` for a transfer that fails, is cancelled or paused by the system,
 * and for imageio's error answers (its reason in the message); `TimeoutError` for a wait that
 * exceeds `timeout`; `InvalidInputError` for a source that cannot be read or is not what it says.
 */
import * as fs from "node:fs/promises"
import { Effect, Either, Option, Schedule, type Scope, Stream } from "effect"
import { Connection } from "../core/Connection.js"
import { FaultError, InvalidInputError, type OvirtError } from "../core/Errors.js"
import * as Redact from "../core/internal/Redact.js"
import { durationOf, type DurationWithUnit } from "../core/Options.js"
import { system } from "../services/system.js"
import type { Disk, DiskFormat, ImageTransfer, ImageTransferTimeoutPolicy, StorageDomain } from "../types/index.js"
import * as Imageio from "./internal/Imageio.js"
import { HEADER_BYTES, isQcow2, readHeader } from "./internal/Qcow2.js"
import * as Source from "./internal/Source.js"
import { isFailing } from "./internal/states.js"
import * as Wait from "./Wait.js"
import { isAllZero } from "./internal/Zero.js"

/** Bytes moved so far and the total, after each block. */
export interface Progress {
  readonly bytes: number
  readonly total: number
}

/** Settings shared by uploads and downloads. */
export interface TransferOptions {
  /** Bytes per request. Default 4 MiB (imageio's own clients use 4–8 MiB). */
  readonly chunkSize?: number
  /** Most requests in flight, each on its own connection; capped by the server's max_writers/max_readers. Default 4. */
  readonly connections?: number
  /** Seconds without a request after which the engine pauses (or cancels) the transfer. Default 60. */
  readonly inactivityTimeout?: number
  /** What the engine does when `inactivityTimeout` passes. Default `cancel`, so no disk stays locked. */
  readonly timeoutPolicy?: ImageTransferTimeoutPolicy
  /** Called after each block with the bytes done so far. */
  readonly onProgress?: (progress: Progress) => void
  /** How often the transfer and disk are polled, with its unit (`"2 seconds"`). Default 1 second. */
  readonly pollInterval?: DurationWithUnit
  /** Bounds each wait on the engine (transfer ready, finalized, disk ok), with its unit. Default 5 minutes. */
  readonly timeout?: DurationWithUnit
  /** `fallback` (default): the host's daemon, the engine's proxy when the daemon cannot be reached; `proxy`: the proxy only. */
  readonly via?: "fallback" | "proxy"
}

export type UploadSource<E = never> =
  /** A file path. */
  | string
  /** Bytes as a Stream, with their total size known up front. */
  | { readonly stream: Stream.Stream<Uint8Array, E>; readonly size: number }

export interface UploadOptions<E = never> extends TransferOptions {
  readonly source: UploadSource<E>
  /**
   * The disk: `{ id }` for an existing one, else the disk to create (name, alias, description,
   * sparse, ...), on `storageDomain`. A created disk is sized from the image.
   */
  readonly disk: Disk
  /** Where to create the disk (`{ id }` or `{ name }`); needed when `disk` has no id. */
  readonly storageDomain?: StorageDomain
  /** `cow` (qcow2) or `raw`. Default: what the image is, from its header. */
  readonly format?: DiskFormat
}

export interface DownloadOptions extends TransferOptions {
  /** The disk (`{ id }` or its id). */
  readonly disk: Disk | string
  /** `raw` or `cow`. Default: the disk's own format (its bytes as stored). */
  readonly format?: DiskFormat
}

export interface DownloadToFileOptions extends DownloadOptions {
  /** The file to write (created or truncated; zero ranges are left as holes). */
  readonly to: string
}

const MiB = 1024 * 1024
const DEFAULTS: {
  readonly chunkSize: number
  readonly connections: number
  readonly inactivityTimeout: number
  readonly timeoutPolicy: ImageTransferTimeoutPolicy
  readonly pollInterval: DurationWithUnit
  readonly timeout: DurationWithUnit
} = { chunkSize: 4 * MiB, connections: 4, inactivityTimeout: 60, timeoutPolicy: "cancel", pollInterval: "1 second", timeout: "5 minutes" }

// ---------------------------------------------------------------------------------------------
// Upload

/** Uploads an image into a disk; gives the disk once it is `ok`. */
export const upload = <E = never>(options: UploadOptions<E>): Effect.Effect<Disk, OvirtError | E, Connection> =>
  Effect.scoped(
    Effect.gen(function* () {
      yield* checkDurations(options)
      const chunkSize = yield* checkChunkSize(options.chunkSize)
      const source = typeof options.source === "string"
        ? yield* Source.fromFile(options.source, chunkSize, HEADER_BYTES)
        : yield* Source.fromStream(options.source.stream, options.source.size, chunkSize, HEADER_BYTES)
      const what = typeof options.source === "string" ? options.source : "the source stream"
      const qcow2 = isQcow2(source.head)
      const format: DiskFormat = options.format ?? (qcow2 ? "cow" : "raw")
      if (format === "cow" && !qcow2) {
        return yield* Effect.fail(new InvalidInputError({ message: `format "cow" needs a qcow2 image, and ${what} is not one.`, paths: ["format"] }))
      }
      if (format === "raw" && qcow2 && options.format === "raw") {
        return yield* Effect.fail(new InvalidInputError({ message: `${what} is a qcow2 image: upload it with format "cow" (the engine does not convert it).`, paths: ["format"] }))
      }
      const virtualSize = format === "cow" ? yield* qcow2Size(source.head, what) : source.size
      const disk = options.disk.id !== undefined
        ? yield* existingDisk(options.disk.id, format, virtualSize, source.size)
        : yield* createDisk(options, format, virtualSize, source.size)
      yield* transferred(disk.id!, "upload", format, options, (client) => send(client, source, options))
      return yield* diskOk(disk.id!, `disk ${disk.id} to be ok`, options)
    })
  ).pipe(Effect.withSpan("ovirt.DiskImages.upload"))

/** `pollInterval` and `timeout` carry their unit, as every duration in code does (see Connection's options). */
const checkDurations = (options: TransferOptions): Effect.Effect<void, InvalidInputError> => {
  for (const key of ["pollInterval", "timeout"] as const) {
    if (options[key] === undefined) continue
    const checked = durationOf(key, options[key])
    if (Either.isLeft(checked)) return Effect.fail(checked.left)
  }
  return Effect.void
}

const checkChunkSize = (chunkSize: number | undefined): Effect.Effect<number, InvalidInputError> => {
  const n = chunkSize ?? DEFAULTS.chunkSize
  return Number.isInteger(n) && n >= 64 * 1024 && n <= 64 * MiB
    ? Effect.succeed(n)
    : Effect.fail(new InvalidInputError({ message: `chunkSize must be a whole number of bytes from 64 KiB to 64 MiB, got ${n}.`, paths: ["chunkSize"] }))
}

const qcow2Size = (head: Uint8Array, what: string): Effect.Effect<number, InvalidInputError> =>
  Either.map(readHeader(head, what), (header) => header.virtualSize)

/** An existing disk must be large enough for the image and not locked. */
const existingDisk = (id: string, format: DiskFormat, virtualSize: number, bytes: number): Effect.Effect<Disk, OvirtError, Connection> =>
  Effect.flatMap(system.disks.disk(id).get(), (disk) => {
    const room = Math.max(disk.provisionedSize ?? 0, disk.initialSize ?? 0)
    const needed = format === "cow" ? bytes : virtualSize
    return room < needed
      ? Effect.fail(new InvalidInputError({ message: `Disk ${id} is ${room} bytes, too small for an image of ${needed} bytes.`, paths: ["disk.provisionedSize"] }))
      : Effect.succeed(disk)
  })

/** Creates the disk sized from the image and waits until it is `ok`. */
const createDisk = <E>(options: UploadOptions<E>, format: DiskFormat, virtualSize: number, bytes: number): Effect.Effect<Disk, OvirtError, Connection> =>
  Effect.gen(function* () {
    if (options.storageDomain === undefined) {
      return yield* Effect.fail(new InvalidInputError({ message: "Give `disk: { id }` for an existing disk, or `storageDomain` to create one.", paths: ["storageDomain", "disk.id"] }))
    }
    const created = yield* system.disks.add({
      interface: "virtio_scsi",
      contentType: "data",
      sparse: true,
      ...options.disk,
      format,
      // a raw disk is the image; a qcow2 image's virtual size is the guest's disk, and its
      // file (metadata included) must fit the new volume
      provisionedSize: virtualSize,
      ...(format === "cow" ? { initialSize: bytes } : {}),
      storageDomains: [options.storageDomain]
    })
    return yield* diskOk(created.id!, `new disk ${created.id} to be ok`, options)
  })

/** Sends every block: data as PUT, all-zero blocks as PATCH zero when the server can; then flush. */
const send = <E>(client: Imageio.ImageioClient, source: Source.Source<E>, options: TransferOptions): Effect.Effect<void, Imageio.ImageioError | E | InvalidInputError> =>
  Effect.gen(function* () {
    let done = 0
    const writer = Effect.gen(function* () {
      while (true) {
        const block = yield* source.next
        if (Option.isNone(block)) return
        const { offset, bytes, release } = block.value
        if (client.capabilities.zero && isAllZero(bytes)) yield* client.zero(offset, bytes.length)
        else yield* client.put(offset, bytes)
        release()
        done += bytes.length
        options.onProgress?.({ bytes: done, total: source.size })
      }
    })
    const writers = Math.max(1, Math.min(options.connections ?? DEFAULTS.connections, client.capabilities.maxWriters))
    yield* Effect.all(Array.from({ length: writers }, () => writer), { concurrency: "unbounded", discard: true })
    yield* client.flush
  })

// ---------------------------------------------------------------------------------------------
// Download

/** The id of the disk to download (`what` names the function in the message), the durations checked. */
const diskToDownload = (options: DownloadOptions, what: string): Effect.Effect<string, InvalidInputError> =>
  Effect.gen(function* () {
    const diskId = typeof options.disk === "string" ? options.disk : options.disk.id
    if (diskId === undefined) return yield* Effect.fail(new InvalidInputError({ message: `${what} needs the disk's id.`, paths: ["disk.id"] }))
    yield* checkDurations(options)
    return diskId
  })

/** Downloads a disk into a file. */
export const download = (options: DownloadToFileOptions): Effect.Effect<void, OvirtError, Connection> =>
  Effect.scoped(
    Effect.gen(function* () {
      const diskId = yield* diskToDownload(options, "download")
      const file = yield* Effect.acquireRelease(
        Effect.tryPromise({
          try: () => fs.open(options.to, "w"),
          catch: (e) => new InvalidInputError({ message: `Cannot write ${options.to}: ${e instanceof Error ? e.message : String(e)}`, cause: Redact.failure(e), paths: ["to"] })
        }),
        (h) => Effect.promise(() => h.close().catch(() => undefined))
      )
      const ioError = (e: unknown) => new InvalidInputError({ message: `Writing ${options.to} failed: ${e instanceof Error ? e.message : String(e)}`, cause: Redact.failure(e), paths: ["to"] })
      const format = options.format ?? (yield* system.disks.disk(diskId).get()).format ?? "raw"
      yield* transferred(diskId, "download", format, options, (client) =>
        Effect.gen(function* () {
          const ranges = yield* plan(client, options)
          const total = ranges.reduce((n, r) => n + r.length, 0)
          yield* Effect.tryPromise({ try: () => file.truncate(total), catch: ioError })
          let done = 0
          yield* Effect.forEach(ranges, (range) =>
            Effect.gen(function* () {
              // zero ranges stay holes of the truncated file
              if (!range.zero) {
                // written as it arrives: no buffer of the whole range
                yield* client.readTo(range.start, range.length, (piece, at) =>
                  Effect.tryPromise({ try: () => file.write(piece, 0, piece.length, at), catch: ioError }))
              }
              done += range.length
              options.onProgress?.({ bytes: done, total })
            }), { concurrency: readers(client, options), discard: true })
        })
      )
    })
  ).pipe(Effect.withSpan("ovirt.DiskImages.download"))

/**
 * Downloads a disk as a Stream of its bytes, in order. The transfer is finalized when the stream
 * has been read to its end, and cancelled if it is interrupted or fails before.
 */
export const downloadStream = (options: DownloadOptions): Stream.Stream<Uint8Array, OvirtError, Connection> =>
  Stream.unwrapScoped(
    Effect.gen(function* () {
      const diskId = yield* diskToDownload(options, "downloadStream")
      const format = options.format ?? (yield* system.disks.disk(diskId).get()).format ?? "raw"
      const { client, finish } = yield* openTransfer(diskId, "download", format, options)
      const ranges = yield* plan(client, options)
      const total = ranges.reduce((n, r) => n + r.length, 0)
      let done = 0
      const body = Stream.fromIterable(ranges).pipe(
        Stream.mapEffect((range) => (range.zero ? Effect.succeed(new Uint8Array(range.length)) : client.read(range.start, range.length)), {
          concurrency: readers(client, options)
        }),
        Stream.tap((bytes) => Effect.sync(() => {
          done += bytes.length
          options.onProgress?.({ bytes: done, total })
        }))
      )
      return Stream.concat(body, Stream.drain(Stream.fromEffect(finish)))
    })
  ).pipe(Stream.withSpan("ovirt.DiskImages.downloadStream"))

const readers = (client: Imageio.ImageioClient, options: TransferOptions): number =>
  Math.max(1, Math.min(options.connections ?? DEFAULTS.connections, client.capabilities.maxReaders))

/** The ranges to fetch, at most `chunkSize` each, marking zero runs that need no GET. */
const plan = (client: Imageio.ImageioClient, options: TransferOptions): Effect.Effect<ReadonlyArray<Imageio.Extent>, OvirtError> =>
  Effect.gen(function* () {
    const chunkSize = yield* checkChunkSize(options.chunkSize)
    const extents = client.capabilities.extents
      ? yield* client.extents
      : [{ start: 0, length: yield* client.size, zero: false }]
    const out: Array<Imageio.Extent> = []
    for (const e of extents) {
      for (let at = e.start; at < e.start + e.length; at += chunkSize) {
        out.push({ start: at, length: Math.min(chunkSize, e.start + e.length - at), zero: e.zero })
      }
    }
    return out
  })

// ---------------------------------------------------------------------------------------------
// The transfer

/**
 * Runs `work` inside an image transfer of the disk: started, ready, and finalized after `work`
 * succeeds; cancelled when anything fails or is interrupted.
 */
const transferred = <A, E>(
  diskId: string,
  direction: "upload" | "download",
  format: DiskFormat,
  options: TransferOptions,
  work: (client: Imageio.ImageioClient) => Effect.Effect<A, E>
): Effect.Effect<A, E | OvirtError, Connection> =>
  Effect.scoped(
    Effect.gen(function* () {
      const { client, finish } = yield* openTransfer(diskId, direction, format, options)
      const result = yield* work(client)
      yield* finish
      return result
    })
  )

/**
 * Starts the transfer in the scope (cancelled when the scope closes with a failure or an
 * interruption), waits until it is `transferring`, and connects to its data plane. `finish`
 * finalizes and waits for `finished_success`.
 */
const openTransfer = (
  diskId: string,
  direction: "upload" | "download",
  format: DiskFormat,
  options: TransferOptions
): Effect.Effect<{ readonly client: Imageio.ImageioClient; readonly finish: Effect.Effect<void, OvirtError, Connection> }, OvirtError, Connection | Scope.Scope> =>
  Effect.gen(function* () {
    const connection = yield* Connection
    // cancelled unless finalized: a failure, an interruption, or a stream read only in part all
    // end here without leaving the disk locked
    let finalized = false
    const started = yield* Effect.acquireRelease(
      system.imageTransfers.add({
        disk: { id: diskId },
        direction,
        format,
        inactivityTimeout: options.inactivityTimeout ?? DEFAULTS.inactivityTimeout,
        timeoutPolicy: options.timeoutPolicy ?? DEFAULTS.timeoutPolicy
      }),
      (transfer) =>
        finalized
          ? Effect.void
          : system.imageTransfers.imageTransfer(transfer.id!).cancel().pipe(
            Effect.catchAll((e) => Effect.logDebug(`cancelling image transfer ${transfer.id}: ${e.message}`)),
            Effect.provideService(Connection, connection)
          )
    )
    const ref = system.imageTransfers.imageTransfer(started.id!)
    yield* Effect.annotateCurrentSpan({ "ovirt.disk.id": diskId, "ovirt.image_transfer.id": started.id! })
    const ready = yield* waitFor(ref, "ImageTransfer", (t) => t.phase !== "initializing" && t.phase !== "resuming", `image transfer ${started.id} to start`, options)
    if (ready.phase !== "transferring") return yield* Effect.fail(phaseError(ready, "while starting"))
    const wanted = options.via === "proxy" ? { proxyUrl: ready.proxyUrl } : { transferUrl: ready.transferUrl, proxyUrl: ready.proxyUrl }
    const client = yield* Imageio.open(connection.transport, stripUndefined(wanted), options.connections ?? DEFAULTS.connections)
    const finish = Effect.gen(function* () {
      yield* ref.finalize()
      finalized = true
      // a transfer the engine already cleaned up is gone: it finished
      const gone = { service: ref.service, path: ref.path, get: () => Effect.catchTag(ref.get(), "NotFoundError", () => Effect.succeed<ImageTransfer>({ phase: "finished_success" })) }
      // the failing phases (cancelled, paused, failed) end the wait too: see waitFor
      const end = yield* waitFor(
        gone,
        "ImageTransfer",
        (t) => t.phase === "finished_success" || t.phase === "finished_cleanup",
        `image transfer ${started.id} to finish`,
        options
      )
      if (end.phase !== "finished_success") return yield* Effect.fail(phaseError(end, "while finalizing"))
    })
    return { client, finish }
  })

const phaseError = (transfer: ImageTransfer, when: string): FaultError => {
  const phase = transfer.phase ?? "unknown"
  const why = phase === "paused_system"
    ? "the engine paused it (inactivity_timeout passed, or the host failed); it was cancelled"
    : phase.startsWith("cancelled")
      ? "it was cancelled"
      : phase.endsWith("_failure")
        ? "the engine reports failure (see its events for the reason: an invalid image, a storage error)"
        : `unexpected phase`
  return new FaultError({ message: `Image transfer ${transfer.id ?? ""} is ${phase} ${when}: ${why}.`.replace("  ", " ") })
}

/**
 * Polls `ref`, whose `get` answers a `type`, (spaced by `pollInterval`) until `done`, or until it is in
 * one of the type's failing states (Wait's rules: a transfer paused or failed, a disk `illegal`), which
 * the caller then names; bounded by `timeout` (a `TimeoutError` with the last state seen).
 */
const waitFor = <A extends object>(
  ref: Wait.Gettable<A>,
  type: "ImageTransfer" | "Disk",
  done: (a: A) => boolean,
  what: string,
  options: TransferOptions
): Effect.Effect<A, OvirtError, Connection> =>
  Wait.until(ref, (a) => done(a) || isFailing(type, a), {
    what,
    schedule: Schedule.spaced(options.pollInterval ?? DEFAULTS.pollInterval),
    timeout: options.timeout ?? DEFAULTS.timeout
  })

/** The disk once `ok`; an `illegal` disk (its image is broken) fails. */
const diskOk = (id: string, what: string, options: TransferOptions): Effect.Effect<Disk, OvirtError, Connection> =>
  Effect.flatMap(waitFor(system.disks.disk(id), "Disk", (d) => d.status === "ok", what, options), (disk) =>
    disk.status === "ok" ? Effect.succeed(disk) : Effect.fail(new FaultError({ message: `Disk ${id} is ${disk.status}: the engine could not use its image.` })))

const stripUndefined = <T extends Record<string, string | undefined>>(o: T): { [K in keyof T]?: string } =>
  Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as { [K in keyof T]?: string }
