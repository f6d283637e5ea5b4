/**
 * Move a host to maintenance and activate it again.
 *
 * `deactivate` migrates the VMs running on the host to others of its cluster; the host goes
 * through `preparing_for_maintenance` to `maintenance`. `activate` brings it back `up`.
 *
 *   npx tsx examples/12-host-maintenance.ts
 */
import { Console, Effect } from "effect"
import { system, Wait } from "../src/index.js"
import { isMain, runMain } from "./support.js"

export const program = Effect.gen(function* () {
  const [found] = yield* system.hosts.list({ search: "name=host02" })
  const host = system.hosts.host(found.id!)

  yield* host.deactivate()
  yield* Wait.forStatus(host, "maintenance", { onPoll: (h) => Console.log(`  ${h.name}: ${h.status}`) })
  const left = (yield* system.vms.list({ search: "status=up" })).filter((vm) => vm.host?.id === found.id)
  console.log(`${found.name} is in maintenance; ${left.length} VMs still on it`)

  yield* host.activate()
  const back = yield* Wait.forStatus(host, "up")
  console.log(`${back.name} is ${back.status} again`)
  return { vmsLeft: left.length, status: back.status }
})

if (isMain(import.meta.url)) runMain(program)
