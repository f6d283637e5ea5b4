/**
 * Add a VM from a template.
 *
 * `add` takes a `Types.Vm` (a plain object) and answers with the VM as the engine stored it, id
 * included. References such as `cluster` and `template` may name the object by `name` or `id`.
 * The engine copies the template's disks, so a new VM is `image_locked` until they are ready.
 *
 *   npx tsx examples/03-add-vm-from-template.ts
 */
import { Effect } from "effect"
import { system, Wait } from "../src/index.js"
import { isMain, runMain } from "./support.js"

export const program = Effect.gen(function* () {
  const [template] = yield* system.templates.list({ search: "name=rhel-9" })
  const vm = yield* system.vms.add(
    {
      name: `app-${Date.now().toString(36)}`,
      description: "Added by example 03",
      cluster: { name: "Default" },
      template: { id: template.id! },
      memory: 4 * 2 ** 30,
      cpu: { topology: { sockets: 1, cores: 2, threads: 1 } }
    },
    { clone: false }
  )
  console.log(`added ${vm.name} (${vm.id}), status ${vm.status}`)

  // Wait until the disks are copied.
  const ready = yield* Wait.forStatus(system.vms.vm(vm.id!), "down", { timeout: "10 minutes" })
  console.log(`${ready.name} is ${ready.status}`)
  return ready
})

if (isMain(import.meta.url)) runMain(program)
