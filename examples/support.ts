/**
 * What the examples share: running an example either against a real engine (when OVIRT_URL is set)
 * or an embedded simulator. (Waiting for states is the SDK's `Wait`.)
 */
import { pathToFileURL } from "node:url"
import { Effect, Layer } from "effect"
import { Connection } from "../src/index.js"
import { Simulator } from "../src/testing/index.js"

/**
 * The connection an example runs on: a real engine when OVIRT_URL is set (all settings from the
 * environment: OVIRT_URL, OVIRT_USERNAME, OVIRT_PASSWORD, OVIRT_CA_FILE, ...), else a fresh simulator.
 */
export const ExampleConnection: Layer.Layer<Connection.Connection, unknown> = process.env.OVIRT_URL
  ? Connection.layerConfig()
  : Simulator.layer({ seed: "examples", timing: { vmStart: 600, vmStop: 200, lock: 200, host: 300 } })

/** Runs an example program from the command line: exit code 1 and the error on failure. */
export const runMain = <A, E>(program: Effect.Effect<A, E, Connection.Connection>): void => {
  Effect.runPromiseExit(program.pipe(Effect.provide(ExampleConnection))).then((exit) => {
    if (exit._tag === "Failure") {
      console.error(String(exit.cause))
      process.exitCode = 1
    }
  })
}

/** Whether this module is the script node was started with (so examples run standalone and in tests). */
export const isMain = (url: string): boolean => process.argv[1] !== undefined && url === pathToFileURL(process.argv[1]).href
