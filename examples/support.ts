/**
 * Small helpers the examples share: waiting for an object to reach a status, and running an
 * example either against a real engine (when OVIRT_URL is set) or an embedded simulator.
 */
import { pathToFileURL } from "node:url"
import { Duration, Effect, Layer } from "effect"
import { Connection, type OvirtError } from "../src/index.js"
import { Simulator } from "../src/testing/index.js"

/**
 * Polls `get` until `done` holds for what it returns, calling `onPoll` with each answer (for a
 * progress line). Gives up after `timeout` with a plain Error.
 */
export const waitFor = <A, R>(
  get: Effect.Effect<A, OvirtError, R>,
  done: (a: A) => boolean,
  options: { readonly every?: Duration.DurationInput; readonly timeout?: Duration.DurationInput; readonly onPoll?: (a: A) => void } = {}
): Effect.Effect<A, OvirtError | Error, R> => {
  const poll: Effect.Effect<A, OvirtError, R> = Effect.flatMap(get, (a) => {
    options.onPoll?.(a)
    return done(a) ? Effect.succeed(a) : Effect.zipRight(Effect.sleep(options.every ?? "250 millis"), Effect.suspend(() => poll))
  })
  const timeout = options.timeout ?? "2 minutes"
  return poll.pipe(
    Effect.timeoutFail({ duration: timeout, onTimeout: () => new Error(`gave up waiting after ${Duration.format(Duration.decode(timeout))}`) })
  )
}

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
