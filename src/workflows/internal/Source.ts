/**
 * What an upload reads from: a file, or a `Stream` of bytes whose size is known up front. Both
 * give fixed-size blocks with their offsets; `next` can be called from several fibers at once
 * (parallel writers), each getting the next range, so memory holds one block per writer.
 */
import * as fs from "node:fs/promises"
import { Chunk, Effect, Option, type Scope, Stream } from "effect"
import { InvalidInputError } from "../../core/Errors.js"
import * as Redact from "../../core/internal/Redact.js"

export interface Block {
  readonly offset: number
  readonly bytes: Uint8Array
  /** Gives the block's memory back for the next read, once its bytes have been sent. */
  readonly release: () => void
}

const noRelease = () => {}

export interface Source<E> {
  /** Total bytes the source gives. */
  readonly size: number
  /** The first bytes (up to `headBytes`), to recognise the image format before anything is sent. */
  readonly head: Uint8Array
  /** The next block, `None` at the end. */
  readonly next: Effect.Effect<Option.Option<Block>, E | InvalidInputError>
}

export const fromFile = (path: string, blockSize: number, headBytes: number): Effect.Effect<Source<never>, InvalidInputError, Scope.Scope> =>
  Effect.gen(function* () {
    const handle = yield* Effect.acquireRelease(
      Effect.tryPromise({
        try: () => fs.open(path, "r"),
        catch: (e) => new InvalidInputError({ message: `Cannot open ${path} for upload: ${e instanceof Error ? e.message : String(e)}`, cause: Redact.failure(e), paths: ["source"] })
      }),
      (h) => Effect.promise(() => h.close().catch(() => undefined))
    )
    // buffers are reused once sent: one per writer, instead of garbage the size of the file
    const free: Array<Buffer> = []
    const readAt = (offset: number, length: number) =>
      Effect.tryPromise({
        try: async () => {
          const spare = free.pop()
          const buffer = spare !== undefined && spare.length === blockSize ? spare.subarray(0, length) : Buffer.allocUnsafe(length)
          let done = 0
          while (done < length) {
            const { bytesRead } = await handle.read(buffer, done, length - done, offset + done)
            if (bytesRead === 0) throw new Error(`the file ended at ${offset + done} bytes, before its size when the upload started`)
            done += bytesRead
          }
          return buffer as Uint8Array
        },
        catch: (e) => new InvalidInputError({ message: `Reading ${path} failed: ${e instanceof Error ? e.message : String(e)}`, cause: Redact.failure(e), paths: ["source"] })
      })
    const stat = yield* Effect.tryPromise({
      try: () => handle.stat(),
      catch: (e) => new InvalidInputError({ message: `Cannot read ${path}: ${e instanceof Error ? e.message : String(e)}`, cause: Redact.failure(e), paths: ["source"] })
    })
    if (!stat.isFile()) return yield* Effect.fail(new InvalidInputError({ message: `${path} is not a regular file.`, paths: ["source"] }))
    const size = stat.size
    const head = size === 0 ? new Uint8Array(0) : Uint8Array.from(yield* readAt(0, Math.min(headBytes, size)))
    let position = 0
    const next = Effect.suspend(() => {
      if (position >= size) return Effect.succeed(Option.none<Block>())
      // the range is claimed before the read, so parallel callers read disjoint ranges at once
      const offset = position
      const length = Math.min(blockSize, size - offset)
      position += length
      return Effect.map(readAt(offset, length), (bytes) =>
        Option.some({ offset, bytes, release: () => void (bytes.length === blockSize && free.push(bytes as Buffer)) }))
    })
    return { size, head, next }
  })

export const fromStream = <E>(
  stream: Stream.Stream<Uint8Array, E>,
  size: number,
  blockSize: number,
  headBytes: number
): Effect.Effect<Source<E>, E | InvalidInputError, Scope.Scope> =>
  Effect.gen(function* () {
    if (!Number.isSafeInteger(size) || size < 0) {
      return yield* Effect.fail(new InvalidInputError({ message: `The source's size must be a whole number of bytes, got ${size}.`, paths: ["source.size"] }))
    }
    const pull = yield* Stream.toPull(stream)
    const pending: Array<Uint8Array> = []
    let pendingBytes = 0
    let ended = false
    let position = 0
    const mismatch = (got: number) =>
      new InvalidInputError({ message: `The source stream gave ${got > size ? "more than" : "only"} ${got} bytes, but its size was given as ${size}.`, paths: ["source.size"] })

    /** Pulls pieces until a whole block is there (or the stream ended), then cuts it off. */
    const fill: Effect.Effect<Option.Option<Block>, E | InvalidInputError> = Effect.gen(function* () {
      const want = Math.min(blockSize, size - position)
      while (pendingBytes < want && !ended) {
        const pieces = yield* Effect.catchAll(pull, (e) => (Option.isNone(e) ? Effect.sync(() => ((ended = true), Chunk.empty<Uint8Array>())) : Effect.fail(e.value)))
        for (const piece of pieces) {
          pending.push(piece)
          pendingBytes += piece.length
        }
        if (position + pendingBytes > size) return yield* Effect.fail(mismatch(position + pendingBytes))
      }
      if (want === 0) {
        if (!ended && pendingBytes === 0) {
          // the stream must end where the size says
          const more = yield* Effect.catchAll(pull, (e) => (Option.isNone(e) ? Effect.succeed(Chunk.empty<Uint8Array>()) : Effect.fail(e.value)))
          const extra = Chunk.reduce(more, 0, (n, piece) => n + piece.length)
          if (extra > 0) return yield* Effect.fail(mismatch(size + extra))
        }
        return Option.none()
      }
      if (pendingBytes < want) return yield* Effect.fail(mismatch(position + pendingBytes))
      const bytes = take(want)
      const offset = position
      position += want
      return Option.some({ offset, bytes, release: noRelease })
    })

    const take = (n: number): Uint8Array => {
      const out = new Uint8Array(n)
      let filled = 0
      while (filled < n) {
        const piece = pending[0]
        const used = Math.min(piece.length, n - filled)
        out.set(used === piece.length ? piece : piece.subarray(0, used), filled)
        filled += used
        if (used === piece.length) pending.shift()
        else pending[0] = piece.subarray(used)
      }
      pendingBytes -= n
      return out
    }

    // the first block is read now, for the head; `next` gives it first
    let first = yield* fill
    const head = Option.match(first, { onNone: () => new Uint8Array(0), onSome: (b) => b.bytes.subarray(0, headBytes) })
    const lock = yield* Effect.makeSemaphore(1)
    const next = lock.withPermits(1)(
      Effect.suspend(() => {
        if (Option.isSome(first)) {
          const block = first
          first = Option.none()
          return Effect.succeed(block)
        }
        return fill
      })
    )
    return { size, head, next }
  })
