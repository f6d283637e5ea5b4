/**
 * Make a template from a VM, then a new VM from that template.
 *
 * The source VM must be down; the template is `locked` while its disks are copied.
 *
 *   npx tsx examples/13-template-from-vm.ts
 */
import { Effect } from "effect"
import { system, Wait } from "../src/index.js"
import { isMain, runMain } from "./support.js"

export const program = Effect.gen(function* () {
  const [source] = yield* system.vms.list({ search: "status=down", max: 1 })
  const suffix = Date.now().toString(36)

  const template = yield* system.templates.add({ name: `golden-${suffix}`, vm: { id: source.id! } })
  yield* Wait.forStatus(system.templates.template(template.id!), "ok")
  console.log(`template ${template.name} made from ${source.name}`)

  const vm = yield* system.vms.add({ name: `clone-${suffix}`, cluster: { name: "Default" }, template: { name: template.name! } })
  const ready = yield* Wait.forStatus(system.vms.vm(vm.id!), "down")
  const disks = yield* system.vms.vm(vm.id!).diskAttachments.list()
  console.log(`${ready.name} made from the template with ${disks.length} disk(s)`)
  return { disks: disks.length }
})

if (isMain(import.meta.url)) runMain(program)
