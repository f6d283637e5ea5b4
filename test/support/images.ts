/**
 * Disk images for tests: raw images with data and zero runs, and small valid qcow2 images written
 * here byte by byte (header, L1 and L2 tables, refcounts, a few allocated clusters), so no
 * `qemu-img` is needed.
 */
import * as crypto from "node:crypto"

/** Deterministic bytes that are never all zero in a 64 KiB run. */
export const pattern = (length: number, seed: number): Buffer => {
  const out = Buffer.alloc(length)
  let x = seed >>> 0 || 1
  for (let i = 0; i < length; i += 4) {
    x ^= x << 13
    x ^= x >>> 17
    x ^= x << 5
    out.writeUInt32LE(x >>> 0, Math.min(i, length - 4))
  }
  return out
}

/** A raw image of `size` bytes: data in `dataRanges` (start, length), zeros elsewhere. */
export const rawImage = (size: number, dataRanges: ReadonlyArray<readonly [number, number]>): Buffer => {
  const out = Buffer.alloc(size)
  dataRanges.forEach(([start, length], i) => pattern(length, 7 + i).copy(out, start))
  return out
}

export const sha256 = (bytes: Uint8Array): string => crypto.createHash("sha256").update(bytes).digest("hex")

const CLUSTER_BITS = 16
const CLUSTER = 1 << CLUSTER_BITS
const COPIED = 1n << 63n

/**
 * A qcow2 (version 3) image of `virtualSize` bytes whose guest clusters `allocated` hold data;
 * the rest reads as zeros. Layout: header, L1 table, refcount table, refcount block, L2 table,
 * then one cluster per allocated guest cluster.
 */
export const qcow2Image = (virtualSize: number, allocated: ReadonlyArray<number>): Buffer => {
  const l1Offset = CLUSTER
  const refTableOffset = 2 * CLUSTER
  const refBlockOffset = 3 * CLUSTER
  const l2Offset = 4 * CLUSTER
  const firstData = 5
  const clusters = firstData + allocated.length
  const out = Buffer.alloc(clusters * CLUSTER)
  // header
  out.write("QFI\xfb", 0, "latin1")
  out.writeUInt32BE(3, 4) // version
  out.writeBigUInt64BE(0n, 8) // backing file offset
  out.writeUInt32BE(0, 16) // backing file size
  out.writeUInt32BE(CLUSTER_BITS, 20)
  out.writeBigUInt64BE(BigInt(virtualSize), 24)
  out.writeUInt32BE(0, 32) // crypt method
  out.writeUInt32BE(1, 36) // l1 size: one L2 table maps 512 MiB with 64 KiB clusters
  out.writeBigUInt64BE(BigInt(l1Offset), 40)
  out.writeBigUInt64BE(BigInt(refTableOffset), 48)
  out.writeUInt32BE(1, 56) // refcount table clusters
  out.writeUInt32BE(0, 60) // snapshots
  out.writeBigUInt64BE(0n, 64)
  out.writeBigUInt64BE(0n, 72) // incompatible features
  out.writeBigUInt64BE(0n, 80) // compatible features
  out.writeBigUInt64BE(0n, 88) // autoclear features
  out.writeUInt32BE(4, 96) // refcount order: 16-bit refcounts
  out.writeUInt32BE(104, 100) // header length
  // L1 -> L2, refcount table -> refcount block
  out.writeBigUInt64BE(BigInt(l2Offset) | COPIED, l1Offset)
  out.writeBigUInt64BE(BigInt(refBlockOffset), refTableOffset)
  for (let c = 0; c < clusters; c++) out.writeUInt16BE(1, refBlockOffset + 2 * c)
  allocated.forEach((guestCluster, i) => {
    const host = (firstData + i) * CLUSTER
    out.writeBigUInt64BE(BigInt(host) | COPIED, l2Offset + 8 * guestCluster)
    pattern(CLUSTER, 100 + guestCluster).copy(out, host)
  })
  return out
}
