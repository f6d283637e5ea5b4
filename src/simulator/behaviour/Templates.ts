/**
 * Templates: made from a VM that is down (its disks copied, the VM locked meanwhile) or imported
 * from an OVF configuration; `Blank` and templates VMs still use are not removed.
 */
import type { AddContext, EntityTarget } from "../Targets.js"
import { conflict, incomplete } from "../Faults.js"
import type { Obj } from "../Store.js"
import type { Disks } from "./Disks.js"
import { type Behaviours, type Kit, ref, refId } from "./Kit.js"

/** The name of the data center a VM or template's cluster is in (the engine's job texts name it). */
const dataCenterName = (kit: Kit, vm: Obj): string => {
  const { store } = kit
  const cluster = store.get("clusters", refId(vm.cluster) ?? "")
  return String(store.get("datacenters", refId(cluster?.dataCenter) ?? "")?.name ?? "")
}

/** Imported from an OVF/OVA configuration instead of made from a VM. */
const importTemplate = (kit: Kit, ctx: AddContext): Obj => {
  const { now, timing, transition } = kit
  const configuration = (ctx.obj.initialization as Obj | undefined)?.configuration
  if (configuration === undefined) throw incomplete("Template", ["vm.id or vm.name"], "add")
  const t: Obj = { ...ctx.obj, creationTime: now(), version: { versionName: "base version", versionNumber: 1 } }
  transition(t, "status", "locked", [[timing().lock, "ok"]])
  return t
}

const addTemplate = (kit: Kit, disks: Disks, ctx: AddContext): Obj => {
  const { store, now, timing, findRef, transition, startJob, event } = kit
  if (ctx.collection.bucket !== "templates") return ctx.obj
  if (ctx.obj.vm === undefined) return importTemplate(kit, ctx)
  const vm = findRef("vms", ctx.obj.vm, "VM")
  if (vm.status !== "down") throw conflict("Cannot add Template. VM is not down.")
  if (store.list("templates").some((t) => t.name === ctx.obj.name)) {
    throw conflict("Cannot add Template. The given name is already used by another Template.")
  }
  const t: Obj = {
    memory: vm.memory,
    cpu: vm.cpu,
    os: vm.os,
    type: vm.type,
    cluster: vm.cluster,
    ...ctx.obj,
    vm: ref(vm),
    creationTime: now(),
    version: { versionName: "base version", versionNumber: 1 }
  }
  for (const att of store.list(`vms/${vm.id as string}/diskattachments`)) {
    const src = store.get("disks", refId(att.disk) ?? "")
    if (src === undefined) continue
    const disk = disks.newDisk({ provisionedSize: src.provisionedSize, format: src.format }, `${String(t.name)}_${String(src.name)}`)
    store.put("disks", disk)
    store.put(`templates/${t.id as string}/diskattachments`, { id: disk.id, disk: ref(disk), template: { id: t.id }, bootable: att.bootable, interface: att.interface, active: true })
  }
  transition(t, "status", "locked", [[timing().lock, "ok"]])
  transition(vm, "status", "image_locked", [[timing().lock, "down"]])
  event("templateAdded", String(t.name), String(vm.name), { template: { id: t.id }, vm: { id: vm.id } })
  startJob(`Creating VM Template ${String(t.name)} in Data Center ${dataCenterName(kit, vm)}`, timing().lock, () =>
    event("templateFinished", String(t.name), String(vm.name), { template: { id: t.id }, vm: { id: vm.id } })
  )
  return t
}

const removeTemplate = (kit: Kit, target: EntityTarget): void => {
  const { store, timing, startJob } = kit
  const o = target.obj
  if (target.bucket !== "templates") return
  if (o.name === "Blank") throw conflict("Cannot delete Template. Blank Template cannot be deleted.")
  const users = store.list("vms").filter((v) => refId(v.template) === o.id)
  if (users.length > 0) {
    throw conflict(`Cannot delete Template. Template is being used by the following VMs: ${users.map((v) => String(v.name)).join(",")}.`)
  }
  startJob(`Removing VM Template ${String(o.name)} from Data Center ${dataCenterName(kit, o)}`, timing().lock)
}

/** The behaviour of templates. */
export const makeTemplates = (kit: Kit, disks: Disks): Behaviours => ({
  Template: { add: (ctx) => addTemplate(kit, disks, ctx), remove: (target) => removeTemplate(kit, target) }
})
