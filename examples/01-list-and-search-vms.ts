/**
 * List and search VMs.
 *
 * `list` takes the engine's search language (`name=web*`, `status=up`, `and`/`or`), `max` and
 * `caseSensitive`; the result is a ReadonlyArray of `Types.Vm`, every field optional.
 *
 *   npx tsx examples/01-list-and-search-vms.ts
 */
import { Effect } from "effect"
import { system } from "../src/index.js"
import { isMain, runMain } from "./support.js"

export const program = Effect.gen(function* () {
  // Everything (the engine caps big answers; see 02-paging for large setups).
  const all = yield* system.vms.list()
  // A search: VMs whose name starts with "web" and that are running.
  const webUp = yield* system.vms.list({ search: "name=web* and status=up" })
  // Case-insensitive, and at most 3 results.
  const some = yield* system.vms.list({ search: "name=DB*", caseSensitive: false, max: 3 })

  console.log(`${all.length} VMs; running web servers: ${webUp.map((vm) => vm.name).join(", ")}`)
  for (const vm of some) console.log(`  ${vm.name}: ${vm.status}, ${(vm.memory ?? 0) / 2 ** 30} GiB`)
  return { total: all.length, webUp: webUp.length, some: some.length }
})

if (isMain(import.meta.url)) runMain(program)
