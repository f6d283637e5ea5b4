/**
 * Download a disk to a file, like the Python SDK's download_disk.py (for a backup, or to move an
 * image elsewhere).
 *
 *   npx tsx examples/download-disk.ts DISK_ID OUTPUT [--format raw|cow]
 *
 * An image transfer with `direction: download`; the bytes come with Range requests from several
 * connections, ranges the server reports as zero are not fetched (they stay holes in the file),
 * and the transfer is finalized at the end (cancelled on a failure or Ctrl-C).
 * Without arguments it downloads the first disk named `uploaded-*` (see upload-disk.ts).
 */
import * as fs from "node:fs"
import { Effect } from "effect"
import { DiskImages, system } from "../src/index.js"
import { progressBar } from "./progress.js"
import { isMain, runMain } from "./support.js"

export interface DownloadArgs {
  readonly diskId: string
  readonly output: string
  readonly format?: "raw" | "cow"
}

export const downloadDisk = (args: DownloadArgs) =>
  Effect.gen(function* () {
    const started = Date.now()
    yield* DiskImages.download({
      disk: args.diskId,
      to: args.output,
      ...(args.format === undefined ? {} : { format: args.format }),
      inactivityTimeout: 120,
      onProgress: progressBar("downloading")
    })
    const size = fs.statSync(args.output).size
    console.log(`downloaded disk ${args.diskId} to ${args.output} (${size} bytes) in ${((Date.now() - started) / 1000).toFixed(1)} s`)
    return { output: args.output, size }
  })

const [diskArg, outputArg] = process.argv.slice(2).filter((a) => !a.startsWith("--"))
const formatAt = process.argv.indexOf("--format")

export const program = Effect.gen(function* () {
  const diskId = diskArg ?? (yield* system.disks.list({ search: "name=uploaded-*", max: 1 }))[0]?.id
  if (diskId === undefined) return yield* Effect.fail(new Error("give a disk id (no disk named uploaded-* to default to)"))
  return yield* downloadDisk({
    diskId,
    output: outputArg ?? "disk.img",
    ...(formatAt > 0 ? { format: process.argv[formatAt + 1] as "raw" | "cow" } : {})
  })
})

if (isMain(import.meta.url)) runMain(program)
