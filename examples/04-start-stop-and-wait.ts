/**
 * Start a VM, wait until it is up, shut it down, wait until it is down.
 *
 * Actions (`start`, `shutdown`, `stop`, ...) return as soon as the engine accepted them; the VM
 * then goes through its states (`wait_for_launch`, `powering_up`, `up`). Poll `get()` to wait.
 *
 *   npx tsx examples/04-start-stop-and-wait.ts
 */
import { Effect } from "effect"
import { system } from "../src/index.js"
import { isMain, runMain, waitFor } from "./support.js"

export const program = Effect.gen(function* () {
  const [down] = yield* system.vms.list({ search: "status=down", max: 1 })
  const vm = system.vms.vm(down.id!)

  yield* vm.start()
  const up = yield* waitFor(vm.get(), (v) => v.status === "up", {
    onPoll: (v) => console.log(`  ${v.name}: ${v.status}`)
  })
  console.log(`${up.name} is up`)

  yield* vm.shutdown()
  const off = yield* waitFor(vm.get(), (v) => v.status === "down")
  console.log(`${off.name} is down again`)
  return { up: up.status, down: off.status }
})

if (isMain(import.meta.url)) runMain(program)
