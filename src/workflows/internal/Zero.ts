/**
 * Zero detection: a chunk of only zero bytes is sent as a `zero` request (a few bytes of JSON)
 * instead of its bytes. `Buffer.equals` against a block of zeros is a native memcmp.
 */
const ZEROS = new Uint8Array(1024 * 1024)

export const isAllZero = (bytes: Uint8Array): boolean => {
  for (let at = 0; at < bytes.length; at += ZEROS.length) {
    const n = Math.min(ZEROS.length, bytes.length - at)
    if (!Buffer.from(bytes.buffer, bytes.byteOffset + at, n).equals(ZEROS.subarray(0, n))) return false
  }
  return true
}
