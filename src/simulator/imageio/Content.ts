/**
 * The bytes of one simulated disk: in memory (1 MiB blocks, allocated when first written) while the
 * disk is small, in a sparse temporary file when it is larger than the memory bound. Unwritten
 * ranges read as zeros, as on a new volume. `close()` frees the memory or deletes the file.
 */
import * as fs from "node:fs"
import * as os from "node:os"
import * as nodePath from "node:path"

const BLOCK = 1024 * 1024
/** Granularity of the zero/data map that `extents` reports. */
export const EXTENT_BLOCK = 64 * 1024

export class DiskContent {
  private readonly blocks = new Map<number, Buffer>()
  private fd: number | undefined
  private readonly file: string | undefined
  /** Bytes ever written (data, not zero requests): the volume's allocation, for `actual_size`. */
  allocated = 0
  /** The end of the furthest write: a qcow2 volume on file storage is a file of this size. */
  highWater = 0
  private readonly written = new Set<number>()

  constructor(
    /** The virtual size in bytes: reads and writes past it are refused. */
    readonly size: number,
    /** Disks larger than this live in a temporary file instead of memory. */
    memoryLimit: number
  ) {
    if (size > memoryLimit) {
      const dir = fs.mkdtempSync(nodePath.join(os.tmpdir(), "effect-ovirt-disk-"))
      this.file = nodePath.join(dir, "volume")
      this.fd = fs.openSync(this.file, "w+")
      fs.ftruncateSync(this.fd, size)
    }
  }

  /** Whether the bytes live in a temporary file (large disks). */
  get onDisk(): boolean {
    return this.file !== undefined
  }

  write(offset: number, data: Uint8Array): void {
    this.mark(offset, data.length)
    if (this.fd !== undefined) {
      fs.writeSync(this.fd, data, 0, data.length, offset)
      return
    }
    eachBlock(offset, data.length, (index, within, n, done) => {
      let block = this.blocks.get(index)
      if (block === undefined) this.blocks.set(index, (block = Buffer.alloc(BLOCK)))
      block.set(data.subarray(done, done + n), within)
    })
  }

  zero(offset: number, size: number): void {
    if (this.fd !== undefined) {
      const zeros = Buffer.alloc(Math.min(size, BLOCK))
      for (let done = 0; done < size; done += zeros.length) {
        fs.writeSync(this.fd, zeros, 0, Math.min(zeros.length, size - done), offset + done)
      }
      return
    }
    eachBlock(offset, size, (index, within, n) => {
      const block = this.blocks.get(index)
      if (block === undefined) return
      if (n === BLOCK) this.blocks.delete(index)
      else block.fill(0, within, within + n)
    })
  }

  /** Copies `length` bytes from `offset` into a new buffer. */
  read(offset: number, length: number): Buffer {
    const out = Buffer.alloc(length)
    if (this.fd !== undefined) {
      let done = 0
      while (done < length) {
        const n = fs.readSync(this.fd, out, done, length - done, offset + done)
        if (n === 0) break
        done += n
      }
      return out
    }
    eachBlock(offset, length, (index, within, n, done) => {
      this.blocks.get(index)?.copy(out, done, within, within + n)
    })
    return out
  }

  /**
   * The image as imageio's `extents?context=zero` gives it: runs of data and of zeros (ranges
   * never written, or written with zeros), merged, covering the whole size.
   */
  extents(size: number = this.size): Array<{ start: number; length: number; zero: boolean; hole: boolean }> {
    const out: Array<{ start: number; length: number; zero: boolean; hole: boolean }> = []
    for (let start = 0; start < size; start += EXTENT_BLOCK) {
      const length = Math.min(EXTENT_BLOCK, size - start)
      const zero = !this.written.has(start / EXTENT_BLOCK) || isZero(this.read(start, length))
      const last = out[out.length - 1]
      if (last !== undefined && last.zero === zero) last.length += length
      else out.push({ start, length, zero, hole: zero })
    }
    return out
  }

  close(): void {
    this.blocks.clear()
    if (this.fd !== undefined) {
      fs.closeSync(this.fd)
      this.fd = undefined
      fs.rmSync(nodePath.dirname(this.file!), { recursive: true, force: true })
    }
  }

  private mark(offset: number, length: number): void {
    this.highWater = Math.max(this.highWater, offset + length)
    for (let b = Math.floor(offset / EXTENT_BLOCK); b * EXTENT_BLOCK < offset + length; b++) {
      if (!this.written.has(b)) {
        this.written.add(b)
        this.allocated += EXTENT_BLOCK
      }
    }
  }
}

/** Calls `visit` for each memory block the range touches: its index, the offset in it, the bytes, the bytes before. */
const eachBlock = (offset: number, length: number, visit: (index: number, within: number, n: number, done: number) => void): void => {
  let done = 0
  while (done < length) {
    const at = offset + done
    const index = Math.floor(at / BLOCK)
    const within = at - index * BLOCK
    const n = Math.min(BLOCK - within, length - done)
    visit(index, within, n, done)
    done += n
  }
}

const ZEROS = Buffer.alloc(EXTENT_BLOCK)
const isZero = (b: Buffer): boolean => b.equals(ZEROS.subarray(0, b.length))
