/**
 * A 256 MiB raw image through DiskImages and back: identical bytes (sha256), and memory bounded by
 * a few chunks. The SDK runs in a child process so its RSS is its own (the simulator, here in the
 * test's process, keeps the disk in a temporary file). Growth is measured over a baseline taken
 * after a warm-up round, so the loaded code and pools do not count.
 */
import { spawn } from "node:child_process"
import * as crypto from "node:crypto"
import * as fs from "node:fs"
import * as os from "node:os"
import * as nodePath from "node:path"
import { fileURLToPath } from "node:url"
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import * as Simulator from "../src/testing/Simulator.js"
import { pattern } from "./support/images.js"

const MiB = 1024 * 1024
const SIZE = 256 * MiB
const BLOCK = 4 * MiB

describe("DiskImages, 256 MiB round trip", () => {
  let sim: Simulator.RunningSimulator
  let dir: string

  beforeAll(async () => {
    sim = await Simulator.start({ seed: "images-memory", timing: { vmStart: 40, vmStop: 20, lock: 20, host: 20 } })
    dir = fs.mkdtempSync(nodePath.join(os.tmpdir(), "effect-ovirt-images-memory-"))
    // data in three blocks of four, zeros in the fourth: both PUT and zero requests are exercised
    const data = pattern(BLOCK, 42)
    const zeros = Buffer.alloc(BLOCK)
    const fd = fs.openSync(nodePath.join(dir, "source.img"), "w")
    for (let i = 0; i < SIZE / BLOCK; i++) {
      data.writeUInt32LE(i, 0) // every block differs, so a misplaced block changes the hash
      fs.writeSync(fd, i % 4 === 3 ? zeros : data)
    }
    fs.closeSync(fd)
    fs.writeFileSync(nodePath.join(dir, "warmup.img"), pattern(8 * MiB, 9))
  })

  afterAll(async () => {
    await sim?.close()
    if (dir) fs.rmSync(dir, { recursive: true, force: true })
  })

  it("returns identical bytes with RSS growth of at most 64 MiB", async () => {
    const tsx = fileURLToPath(new URL("../node_modules/tsx/dist/cli.mjs", import.meta.url))
    const script = fileURLToPath(new URL("./support/disk-images-roundtrip.ts", import.meta.url))
    const options = Simulator.connectionOptions(sim)
    const source = nodePath.join(dir, "source.img")
    const target = nodePath.join(dir, "target.img")
    const child = spawn(process.execPath, [tsx, script, JSON.stringify(options), source, target, nodePath.join(dir, "warmup.img")], {
      stdio: ["ignore", "pipe", "pipe"],
      // the child collects garbage every 100 ms (see the script), so RSS tells what is held, not what awaits GC
      env: { ...process.env, NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ""} --expose-gc`.trim() }
    })
    let out = ""
    let err = ""
    child.stdout.on("data", (c: Buffer) => (out += c.toString()))
    child.stderr.on("data", (c: Buffer) => (err += c.toString()))
    const code = await new Promise<number | null>((resolve) => child.once("exit", resolve))
    expect(err).toBe("")
    expect(code).toBe(0)
    const result = JSON.parse(out.trim().split("\n").at(-1)!) as { growthMiB: number; baselineMiB: number; peakMiB: number }
    console.log(`256 MiB round trip: ${JSON.stringify(result)}`)
    expect(await fileHash(target)).toBe(await fileHash(source))
    expect(result.growthMiB).toBeLessThanOrEqual(64)
    expect(sim.imageio.stats.zero).toBeGreaterThan(0)
  }, 300_000)
})

const fileHash = (path: string): Promise<string> =>
  new Promise((resolve, reject) => {
    const hash = crypto.createHash("sha256")
    fs.createReadStream(path)
      .on("data", (c) => hash.update(c))
      .once("error", reject)
      .once("end", () => resolve(hash.digest("hex")))
  })
