/**
 * Every example runs against a fresh simulator, so they cannot rot; the demo runs as a user runs
 * it (`npm run demo`'s command) and must exit 0.
 */
import { spawn } from "node:child_process"
import * as fs from "node:fs"
import { fileURLToPath } from "node:url"
import { ConfigProvider, Effect, Layer } from "effect"
import { describe, expect, it } from "@effect/vitest"
import { Connection } from "../src/index.js"
import { Simulator } from "../src/testing/index.js"
import { sharedSimulator } from "./support/simulator.js"

const EXAMPLES = fileURLToPath(new URL("../examples/", import.meta.url))
const files = fs.readdirSync(EXAMPLES).filter((f) => /^\d\d-.*\.ts$/.test(f)).sort()
const FAST = { vmStart: 40, vmStop: 20, lock: 20, host: 20 }

/** A fresh simulator per example (they change state: hosts to maintenance, VMs started, ...). */
const simulatorFor = (file: string) =>
  Simulator.layer({
    seed: "examples",
    timing: FAST,
    ...(file.startsWith("10-") ? { vms: 400, connection: { connections: 4 } } : {})
  })

interface ExampleModule {
  /** An Effect example's program, run over a simulator's Connection. */
  readonly program?: Effect.Effect<unknown, unknown, Connection.Connection>
  /** A Promise example (effect-ovirt/promise): given a simulator's connection options. */
  readonly run?: (options: Connection.ConnectionOptions) => Promise<unknown>
  readonly FromEnv?: Layer.Layer<Connection.Connection, unknown>
}

type Obj = Record<string, unknown>

/**
 * What each example must give, worked out from the seed itself (the same seed name gives the same
 * inventory), so a wrong count or status fails the test rather than only "something came back".
 */
const expected = (file: string, seeded: Simulator.RunningSimulator): unknown => {
  const vms = seeded.objects("vms")
  const named = (name: string) => vms.find((vm) => vm.name === name)!
  const attachments = (vm: Obj) => seeded.objects(`vms/${vm.id as string}/diskattachments`).length
  const nics = (vm: Obj) => seeded.objects(`vms/${vm.id as string}/nics`).length
  const firstDown = vms.find((vm) => vm.status === "down")!
  const up = vms.filter((vm) => vm.status === "up")
  switch (file.slice(0, 2)) {
    case "01":
      return {
        total: vms.length,
        webUp: up.filter((vm) => String(vm.name).startsWith("web")).length,
        some: Math.min(3, vms.filter((vm) => String(vm.name).toLowerCase().startsWith("db")).length)
      }
    case "02":
      return { paged: vms.length, running: up.length }
    case "03":
      return expect.objectContaining({ status: "down", description: "Added by example 03", memory: 4 * 2 ** 30 })
    case "04":
      return { up: "up", down: "down" }
    case "05":
      return { disks: attachments(named("db01")) + 1 }
    case "06":
      return { nics: nics(named("web02")) + 1, mac: expect.stringMatching(/^56:6f(:[0-9a-f]{2}){4}$/) }
    case "07":
      return { snapshots: seeded.objects(`vms/${firstDown.id as string}/snapshots`).length + 1 }
    case "08": {
      const web01 = named("web01")
      const cluster = seeded.objects("clusters").find((c) => c.id === (web01.cluster as Obj).id)!
      return { cluster: cluster.name, disks: attachments(web01), nics: nics(web01) }
    }
    case "10":
      // The example's own simulator has 400 VMs over both clusters.
      return { vms: 400, clusters: seeded.objects("clusters").length }
    case "11":
      return { url: expect.stringMatching(/^https:\/\/127\.0\.0\.1:\d+\/ovirt-engine\/api$/) }
    case "12":
      // Every VM on the host migrated away before it reached maintenance.
      return { vmsLeft: 0, status: "up" }
    case "13":
      return { disks: attachments(firstDown) }
    case "14":
      return { status: "finished" }
    case "15":
      return { web: vms.filter((vm) => String(vm.name).startsWith("web")).length, streamed: vms.length, missing: "NotFoundError 404" }
    default:
      // a new example must say what it gives
      throw new Error(`no expected result for ${file}: add it to the table`)
  }
}

describe("examples", () => {
  // The inventory every example starts from (their simulators use the same seed).
  let seeded: Simulator.RunningSimulator
  sharedSimulator({ seed: "examples" }, (started) => (seeded = started))

  it("has at least 12 examples", () => {
    expect(files.length).toBeGreaterThanOrEqual(12)
  })

  for (const file of files) {
    // real HTTPS to simulators: the live clock
    it.live(`${file} runs against the simulator`, () =>
      Effect.gen(function* () {
        const mod = (yield* Effect.promise(() => import(`../examples/${file}`))) as ExampleModule
        if (mod.run !== undefined) {
          const run = mod.run
          // a simulator of its own, closed when the example is done
          yield* Effect.scoped(
            Effect.gen(function* () {
              const sim = yield* Simulator.make({ seed: "examples" })
              const result = yield* Effect.promise(() => run({ url: sim.url, username: sim.username, password: sim.password, caFile: sim.caFile }))
              expect(result).toEqual(expected(file, seeded))
              expect(sim.stats().tokensActive).toBe(0)
            })
          )
          return
        }
        const program = mod.program!
        expect(Effect.isEffect(program)).toBe(true)
        const result = yield* (
          mod.FromEnv === undefined
            ? program.pipe(Effect.provide(simulatorFor(file)))
            : // layerConfig: the settings come from Config, here a map standing in for the environment.
              Effect.scoped(
                Effect.gen(function* () {
                  const sim = yield* Simulator.make({ seed: "examples" })
                  const env = new Map([
                    ["OVIRT_URL", sim.url],
                    ["OVIRT_USERNAME", sim.username],
                    ["OVIRT_PASSWORD", sim.password],
                    ["OVIRT_CA_FILE", sim.caFile]
                  ])
                  return yield* program.pipe(Effect.provide(mod.FromEnv!), Effect.withConfigProvider(ConfigProvider.fromMap(env)))
                })
              )
        )
        if (file.startsWith("09-")) {
          const tags = (result as ReadonlyArray<string>).map((line) => line.split(/[ :]/)[0])
          expect(tags).toEqual(["NotFoundError", "FaultError", "InvalidInputError", "TimeoutError", "DecodeError", "AuthError", "ConnectionError"])
        } else {
          expect(result).toEqual(expected(file, seeded))
        }
      }))
  }

  it.live("upload-disk.ts and download-disk.ts: an image uploaded into a new disk comes back byte for byte", () =>
    Effect.gen(function* () {
      const upload = yield* Effect.promise(() => import("../examples/upload-disk.js"))
      const download = yield* Effect.promise(() => import("../examples/download-disk.js"))
      const image = upload.sampleImage()
      const output = `${image}.downloaded`
      const result = yield* Effect.gen(function* () {
        const disk = yield* upload.uploadDisk({ image, storageDomain: "data1", diskName: "example-upload" })
        const back = yield* download.downloadDisk({ diskId: disk.id, output })
        return { disk, back }
      }).pipe(Effect.provide(Simulator.layer({ seed: "examples", timing: FAST })))
      expect(result.disk).toMatchObject({ format: "raw", status: "ok", provisionedSize: fs.statSync(image).size })
      expect(fs.readFileSync(output).equals(fs.readFileSync(image))).toBe(true)
      fs.rmSync(fileURLToPath(new URL(".", `file://${image}`)), { recursive: true, force: true })
    }))

  it.live("the demo runs against a fresh simulator", () =>
    Effect.gen(function* () {
      const { demo } = yield* Effect.promise(() => import("../examples/demo.js"))
      const out = yield* demo.pipe(Effect.provide(Simulator.layer({ seed: "demo", timing: FAST })))
      expect(out.vms).toBe(36)
    }))

  it("`npm run demo` (tsx examples/demo.ts) exits 0", async () => {
    const tsx = fileURLToPath(new URL("../node_modules/tsx/dist/cli.mjs", import.meta.url))
    const child = spawn(process.execPath, [tsx, fileURLToPath(new URL("../examples/demo.ts", import.meta.url))], {
      stdio: ["ignore", "pipe", "pipe"],
      env: Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("OVIRT_")))
    })
    let out = ""
    child.stdout.on("data", (c: Buffer) => (out += c.toString()))
    child.stderr.on("data", (c: Buffer) => (out += c.toString()))
    const code = await new Promise<number | null>((r) => child.once("exit", r))
    // The demo's one connection logged in once and its token was revoked when it closed.
    expect(out).toMatch(/Connection closed: 1 of 1 SSO token\(s\) revoked, \d+ API requests served\./)
    expect(code).toBe(0)
  })
})
