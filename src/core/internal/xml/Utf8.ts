/**
 * UTF-8 bytes to text for the chunked reader. V8 decodes text that holds any non-ASCII character
 * one character at a time into a two-byte string, and every later copy of it (a join, a flattened
 * concatenation) is two-byte too: about 0.5 ms per 64 KiB chunk, against 0.02 ms for copying ASCII
 * as Latin-1 (measured on a 10,000-VM answer, where 40% of the chunks hold a non-ASCII character).
 * An engine answer is ASCII but for a few names and descriptions, so a chunk is handed over in
 * pieces: ASCII stretches as Latin-1 copies, and each non-ASCII run decoded as UTF-8 together with
 * the text around it out to the nearest `>` on each side, where the tokenizer usually has nothing
 * left over (a piece that ends inside a token is still read right: the tokenizer keeps the rest for
 * the next piece, as it does between chunks).
 */
import { isAscii } from "node:buffer"

/** A run of bytes >= 0x80 in the Latin-1 copy: lead and continuation bytes, never an ASCII byte. */
const NON_ASCII_RUN = /[\x80-\xff]+/g

/** Hands the text of `bytes`, valid UTF-8 (checked by the caller), to `write` in order, in one or more pieces. */
export const writeUtf8 = (bytes: Buffer, write: (text: string) => void): void => {
  if (isAscii(bytes)) {
    write(bytes.toString("latin1"))
    return
  }
  const latin1 = bytes.toString("latin1")
  const runs = new RegExp(NON_ASCII_RUN)
  let from = 0
  for (let run = runs.exec(latin1); run !== null; run = runs.exec(latin1)) {
    // a valid sequence is all bytes >= 0x80, so a run holds whole characters
    const start = Math.max(from, latin1.lastIndexOf(">", run.index) + 1)
    const gt = latin1.indexOf(">", run.index + run[0].length)
    const end = gt === -1 ? latin1.length : gt + 1
    if (start > from) write(latin1.slice(from, start))
    write(bytes.toString("utf8", start, end))
    from = runs.lastIndex = end
  }
  if (from < latin1.length) write(latin1.slice(from))
}

/** Where the last complete UTF-8 sequence of `bytes` ends: before a lead byte whose sequence is cut off. */
export const completeUtf8End = (bytes: Uint8Array): number => {
  const n = bytes.length
  for (let i = n - 1; i >= 0 && i >= n - 4; i--) {
    const c = bytes[i]
    if (c < 0x80) return n
    if (c >= 0xc0) return n - i >= (c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : 2) ? n : i
  }
  return n // no lead byte in the last four: not UTF-8, which isUtf8 says
}
