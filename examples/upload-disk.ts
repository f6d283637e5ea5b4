/**
 * Upload a disk image (raw or qcow2) into a new disk, like the Python SDK's upload_disk.py.
 *
 *   npx tsx examples/upload-disk.ts [IMAGE] [--sd-name data1] [--disk-name NAME]
 *
 * The disk is created on the storage domain, sized from the image (a qcow2 image's virtual size
 * comes from its header) in the image's format; then an image transfer sends the bytes to the
 * host's imageio daemon (or the engine's proxy when the host cannot be reached), and the disk is
 * `ok` at the end. A failure or Ctrl-C cancels the transfer, so the disk never stays locked.
 * Without IMAGE it uploads a small raw image made on the spot.
 */
import * as fs from "node:fs"
import * as os from "node:os"
import * as nodePath from "node:path"
import { Effect } from "effect"
import { DiskImages } from "../src/index.js"
import { progressBar } from "./progress.js"
import { isMain, runMain } from "./support.js"

export interface UploadArgs {
  readonly image: string
  readonly storageDomain: string
  readonly diskName: string
}

export const uploadDisk = (args: UploadArgs) =>
  Effect.gen(function* () {
    const started = Date.now()
    const disk = yield* DiskImages.upload({
      source: args.image,
      storageDomain: { name: args.storageDomain },
      disk: { name: args.diskName, description: `Uploaded from ${nodePath.basename(args.image)}`, sparse: true },
      // the engine pauses or cancels a transfer left idle this long (seconds)
      inactivityTimeout: 120,
      timeoutPolicy: "cancel",
      onProgress: progressBar("uploading")
    })
    const seconds = (Date.now() - started) / 1000
    console.log(`uploaded ${args.image} into disk ${disk.name} (${disk.id}, ${disk.format}, ${disk.provisionedSize} bytes) in ${seconds.toFixed(1)} s`)
    return { id: disk.id!, format: disk.format, provisionedSize: disk.provisionedSize, status: disk.status }
  })

/** A 4 MiB raw image with some data and a zero run, for a run without arguments. */
export const sampleImage = (): string => {
  const file = nodePath.join(fs.mkdtempSync(nodePath.join(os.tmpdir(), "upload-disk-")), "sample.raw")
  const bytes = Buffer.alloc(4 * 2 ** 20)
  for (let i = 0; i < 2 ** 20; i++) bytes[i] = (i * 31) & 0xff
  fs.writeFileSync(file, bytes)
  return file
}

const flag = (name: string, fallback: string): string => {
  const at = process.argv.indexOf(name)
  return at > 0 && process.argv[at + 1] !== undefined ? process.argv[at + 1] : fallback
}

const positional = process.argv.slice(2).find((a, i, all) => !a.startsWith("--") && !(all[i - 1] ?? "").startsWith("--"))

export const program = Effect.suspend(() =>
  uploadDisk({
    image: positional ?? sampleImage(),
    storageDomain: flag("--sd-name", "data1"),
    diskName: flag("--disk-name", `uploaded-${Date.now().toString(36)}`)
  })
)

if (isMain(import.meta.url)) runMain(program)
