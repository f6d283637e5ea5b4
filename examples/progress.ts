/**
 * A progress bar for the disk image examples: one line redrawn on a terminal, nothing otherwise
 * (so logs and the tests stay clean).
 */
import type { DiskImages } from "../src/index.js"

export const progressBar = (label: string): ((p: DiskImages.Progress) => void) => {
  const started = Date.now()
  const tty = process.stderr.isTTY === true
  return ({ bytes, total }) => {
    if (!tty) return
    const share = total === 0 ? 1 : bytes / total
    const filled = Math.round(share * 30)
    const seconds = Math.max(0.001, (Date.now() - started) / 1000)
    const rate = bytes / 2 ** 20 / seconds
    process.stderr.write(`\r${label} [${"#".repeat(filled)}${"-".repeat(30 - filled)}] ${(share * 100).toFixed(0).padStart(3)}% ${rate.toFixed(1)} MiB/s`)
    if (bytes >= total) process.stderr.write("\n")
  }
}
