/**
 * Connect with settings from the environment: `Connection.layerConfig()` reads OVIRT_URL,
 * OVIRT_USERNAME, OVIRT_PASSWORD, OVIRT_CA_FILE (and OVIRT_INSECURE, OVIRT_TOKEN, ...) through
 * Effect `Config`, so the same program runs against any engine, and secrets stay `Redacted`.
 *
 *   OVIRT_URL=https://engine.example.com/ovirt-engine/api OVIRT_USERNAME=admin@internal \
 *   OVIRT_PASSWORD=... OVIRT_CA_FILE=ca.pem npx tsx examples/11-layer-config-from-env.ts
 *
 * Without OVIRT_URL this example starts a simulator and points the variables at it.
 */
import { Effect } from "effect"
import { Connection, system } from "../src/index.js"
import { Simulator } from "../src/testing/index.js"
import { isMain } from "./support.js"

/** The program needs a Connection; which engine it talks to is decided by the layer. */
export const program = Effect.gen(function* () {
  const connection = yield* Connection.Connection
  const api = yield* system.get()
  console.log(`connected to ${connection.url}: ${api.productInfo?.name} ${api.productInfo?.version?.fullVersion}`)
  return { url: connection.url }
})

/** The layer from the environment. */
export const FromEnv = Connection.layerConfig()

if (isMain(import.meta.url)) {
  const run = Effect.gen(function* () {
    if (!process.env.OVIRT_URL) {
      const sim = yield* Simulator.make()
      Object.assign(process.env, { OVIRT_URL: sim.url, OVIRT_USERNAME: sim.username, OVIRT_PASSWORD: sim.password, OVIRT_CA_FILE: sim.caFile })
    }
    return yield* program.pipe(Effect.provide(FromEnv))
  })
  Effect.runPromise(Effect.scoped(run)).catch((e: unknown) => {
    console.error(e)
    process.exitCode = 1
  })
}
