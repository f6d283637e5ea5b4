/**
 * Handle each error by its tag.
 *
 * Every failure is a tagged error (`Effect.catchTag`): NotFoundError (404), FaultError (other
 * engine faults, e.g. 409 for an impossible transition, with `code` and the engine's `fault`),
 * AuthError, ConnectionError, TimeoutError, DecodeError and InvalidInputError (rejected before
 * anything is sent).
 *
 *   npx tsx examples/09-handle-errors.ts
 */
import { Effect, Logger, LogLevel } from "effect"
import { Connection, system, Xml } from "../src/index.js"
import { isMain, runMain } from "./support.js"

export const program = Effect.gen(function* () {
  const seen: Array<string> = []
  const note = (line: string) => Effect.sync(() => void (seen.push(line), console.log(line)))

  // NotFoundError: no such VM.
  yield* system.vms.vm("00000000-0000-0000-0000-00000000beef").get().pipe(
    Effect.catchTag("NotFoundError", (e) => note(`NotFoundError (${e.code}): ${e.message}`))
  )

  // FaultError: starting a VM that is already up answers 409 with the engine's reason.
  const [running] = yield* system.vms.list({ search: "status=up", max: 1 })
  yield* system.vms.vm(running.id!).start().pipe(
    Effect.catchTag("FaultError", (e) => note(`FaultError (${e.code}): ${e.fault?.detail ?? e.message}`))
  )

  // InvalidInputError: a mandatory member is missing, so nothing is sent.
  yield* system.vms.addFromScratch({ name: "incomplete" }).pipe(
    Effect.catchTag("InvalidInputError", (e) => note(`InvalidInputError: ${e.paths?.join("; ") ?? e.message}`))
  )

  // TimeoutError: any call can be bounded (1 ms is too short for anything).
  yield* system.vms.list({ timeout: "1 millis" }).pipe(
    Effect.catchTag("TimeoutError", (e) => note(`TimeoutError (${e.phase}): ${e.message}`))
  )

  // DecodeError: a document the SDK cannot read.
  yield* Xml.decode("<vm><name>unfinished</vm>").pipe(
    Effect.catchTag("DecodeError", (e) => note(`DecodeError: ${e.message}`))
  )

  // AuthError and ConnectionError come from connecting: wrong password, nothing listening.
  // (These throwaway connections skip TLS verification, which logs a warning: silenced here.)
  const url = (yield* Connection.Connection).url
  const wrongPassword = Connection.layer({ url, username: "admin@internal", password: "wrong", insecure: true })
  yield* system.vms.list().pipe(
    Effect.provide(wrongPassword),
    Effect.catchTag("AuthError", (e) => note(`AuthError: ${e.message}`)),
    Logger.withMinimumLogLevel(LogLevel.Error)
  )
  const nobody = Connection.layer({ url: "https://127.0.0.1:9/ovirt-engine/api", username: "u", password: "p", insecure: true, retry: false })
  yield* system.vms.list().pipe(
    Effect.provide(nobody),
    Effect.catchTag("ConnectionError", (e) => note(`ConnectionError: ${e.reason ?? e.message}`)),
    Logger.withMinimumLogLevel(LogLevel.Error)
  )
  return seen
})

if (isMain(import.meta.url)) runMain(program)
