/**
 * The qcow2 header, as far as an upload needs it: whether an image is qcow2, its virtual size
 * (the disk's `provisioned_size`), and that it stands alone (no backing file, no encryption), since
 * the engine only accepts such images into a new disk.
 * Layout (big-endian): magic `QFI\xfb` at 0, version at 4, backing file offset at 8,
 * cluster_bits at 20, size at 24, crypt_method at 32.
 */
import { Either } from "effect"
import { InvalidInputError } from "../../core/Errors.js"

/** Bytes of the header read here (version 2 and 3 both have these fields). */
export const HEADER_BYTES = 72

export interface Qcow2Header {
  readonly version: number
  readonly clusterBits: number
  /** Virtual size in bytes: what the guest sees. */
  readonly virtualSize: number
}

export const isQcow2 = (head: Uint8Array): boolean =>
  head.length >= 4 && head[0] === 0x51 && head[1] === 0x46 && head[2] === 0x49 && head[3] === 0xfb

/** Reads the header; fails with InvalidInputError on a qcow2 image the engine would not take. */
export const readHeader = (head: Uint8Array, what: string): Either.Either<Qcow2Header, InvalidInputError> => {
  if (!isQcow2(head)) return invalid(`${what} is not a qcow2 image (no QFI\\xfb magic).`)
  if (head.length < HEADER_BYTES) return invalid(`${what} is too short for a qcow2 header (${head.length} bytes).`)
  const view = new DataView(head.buffer, head.byteOffset, head.byteLength)
  const version = view.getUint32(4)
  const backingOffset = view.getBigUint64(8)
  const clusterBits = view.getUint32(20)
  const size = view.getBigUint64(24)
  const crypt = view.getUint32(32)
  if (version !== 2 && version !== 3) return invalid(`${what}: qcow2 version ${version} is not supported (2 or 3).`)
  if (clusterBits < 9 || clusterBits > 21) return invalid(`${what}: invalid qcow2 cluster_bits ${clusterBits}.`)
  if (backingOffset !== 0n) return invalid(`${what} has a backing file: upload a standalone image (qemu-img convert -O qcow2 first).`)
  if (crypt !== 0) return invalid(`${what} is encrypted: the engine cannot use an encrypted qcow2 image.`)
  if (size === 0n || size > BigInt(Number.MAX_SAFE_INTEGER)) return invalid(`${what}: invalid qcow2 virtual size ${size}.`)
  return Either.right({ version, clusterBits, virtualSize: Number(size) })
}

const invalid = (message: string): Either.Either<never, InvalidInputError> => Either.left(new InvalidInputError({ message }))
