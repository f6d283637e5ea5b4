/**
 * Start a VM, wait until it is up, shut it down, wait until it is down.
 *
 * Actions (`start`, `shutdown`, `stop`, ...) return as soon as the engine accepted them; the VM
 * then goes through its states (`wait_for_launch`, `powering_up`, `up`). `Wait.forStatus` polls
 * `get()` (1 s growing to 10 s apart by default) until the status is reached, and fails at once
 * with a `FaultError` if the VM ends `down` or `not_responding` instead.
 *
 *   npx tsx examples/04-start-stop-and-wait.ts
 */
import { Console, Effect } from "effect"
import { system, Wait } from "../src/index.js"
import { isMain, runMain } from "./support.js"

export const program = Effect.gen(function* () {
  const [down] = yield* system.vms.list({ search: "status=down", max: 1 })
  const vm = system.vms.vm(down.id!)

  yield* vm.start()
  const up = yield* Wait.forStatus(vm, "up", {
    timeout: "5 minutes",
    onPoll: (v) => Console.log(`  ${v.name}: ${v.status}`)
  })
  console.log(`${up.name} is up`)

  yield* vm.shutdown()
  const off = yield* Wait.forStatus(vm, "down")
  console.log(`${off.name} is down again`)
  return { up: up.status, down: off.status }
})

if (isMain(import.meta.url)) runMain(program)
