/**
 * Every example runs against a fresh simulator, so they cannot rot; the demo runs as a user runs
 * it (`npm run demo`'s command) and must exit 0.
 */
import { spawn } from "node:child_process"
import * as fs from "node:fs"
import { fileURLToPath } from "node:url"
import { ConfigProvider, Effect, Layer } from "effect"
import { describe, expect, it } from "vitest"
import { Connection, Simulator } from "../src/index.js"

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
  readonly program: Effect.Effect<unknown, unknown, Connection.Connection>
  readonly FromEnv?: Layer.Layer<Connection.Connection, unknown>
}

describe("examples", () => {
  it("has at least 12 examples", () => {
    expect(files.length).toBeGreaterThanOrEqual(12)
  })

  for (const file of files) {
    it(`${file} runs against the simulator`, async () => {
      const mod = (await import(`../examples/${file}`)) as ExampleModule
      expect(Effect.isEffect(mod.program)).toBe(true)
      const result = await Effect.runPromise(
        mod.FromEnv === undefined
          ? mod.program.pipe(Effect.provide(simulatorFor(file)))
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
                return yield* mod.program.pipe(Effect.provide(mod.FromEnv!), Effect.withConfigProvider(ConfigProvider.fromMap(env)))
              })
            )
      )
      expect(result).toBeDefined()
      if (file.startsWith("09-")) {
        const tags = (result as ReadonlyArray<string>).map((line) => line.split(/[ :]/)[0])
        expect(tags).toEqual(["NotFoundError", "FaultError", "InvalidInputError", "TimeoutError", "DecodeError", "AuthError", "ConnectionError"])
      }
    })
  }

  it("the demo runs against a fresh simulator", async () => {
    const { demo } = await import("../examples/demo.js")
    const out = await Effect.runPromise(demo.pipe(Effect.provide(Simulator.layer({ seed: "demo", timing: FAST }))))
    expect(out.vms).toBe(36)
  })

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
    expect(out).toContain("SSO token(s) revoked")
    expect(code).toBe(0)
  })
})
