/**
 * Disks, their attachments and snapshots: new disks and snapshots stay `locked` for a moment, with
 * the engine's jobs and events; a disk in use by a running VM, or locked, is not removed.
 */
import type { ActionContext, AddContext, EntityTarget } from "../Targets.js"
import { conflict } from "../Faults.js"
import { booleanParameter } from "../Requests.js"
import type { Obj } from "../Store.js"
import { type Behaviours, GiB, type Kit, ref, refId } from "./Kit.js"

export interface Disks {
  /** A new disk with the engine's defaults, `locked` until `timing.lock` has passed. */
  readonly newDisk: (disk: Obj, name: string) => Obj
  /** A new disk's job and events (USER_ADD_DISK, then USER_ADD_DISK_FINISHED_SUCCESS). */
  readonly diskJob: (disk: Obj) => void
  readonly behaviours: Behaviours
}

const newDisk = (kit: Kit, disk: Obj, name: string): Obj => {
  const { store, timing, findRef, transition } = kit
  const sd =
    Array.isArray(disk.storageDomains) && disk.storageDomains.length > 0
      ? findRef("storagedomains", disk.storageDomains[0], "StorageDomain")
      : store.list("storagedomains").find((s) => s.type === "data")
  const size = typeof disk.provisionedSize === "number" ? disk.provisionedSize : GiB
  const out: Obj = {
    name,
    alias: name,
    format: "cow",
    sparse: true,
    provisionedSize: size,
    actualSize: 0,
    totalSize: 0,
    storageType: "image",
    contentType: "data",
    shareable: false,
    wipeAfterDelete: false,
    propagateErrors: false,
    ...disk,
    id: typeof disk.id === "string" ? disk.id : store.newId(),
    status: "locked",
    imageId: store.newId(),
    ...(sd ? { storageDomains: [ref(sd)] } : {})
  }
  delete out.href
  transition(out, "status", "locked", [[timing().lock, "ok"]], () => void (out.actualSize = Math.min(size, 200 * 1024 * 1024)))
  return out
}

const diskJob = (kit: Kit, disk: Obj): void => {
  const { timing, startJob, event } = kit
  const alias = String(disk.alias ?? disk.name)
  event("diskAdded", alias)
  startJob(`Adding Disk ${alias}`, timing().lock, () => event("diskAddFinished", alias))
}

const addDisk = (kit: Kit, ctx: AddContext): Obj => {
  const { store } = kit
  if (store.get("disks", ctx.obj.id as string) === ctx.obj) return ctx.obj
  const disk = newDisk(kit, ctx.obj, (ctx.obj.name as string | undefined) ?? `disk_${store.random.hex(6)}`)
  diskJob(kit, disk)
  return disk
}

const removeDisk = (kit: Kit, target: EntityTarget): void => {
  const { store, timing, startJob, event } = kit
  const o = target.obj
  if (o.status === "locked") throw conflict("Cannot remove Virtual Disk. Related operation is currently in progress. Please try again later.")
  // The engine removes a disk only while every VM using it is down (RemoveDiskCommand).
  const users = store.list("vms").filter((v) => v.status !== "down" && store.get(`vms/${v.id as string}/diskattachments`, o.id as string) !== undefined)
  if (users.length > 0) throw conflict("Cannot remove Virtual Disk. At least one of the VMs is not down.")
  if (target.bucket === "disks") {
    for (const v of store.list("vms")) store.remove(`vms/${v.id as string}/diskattachments`, o.id as string)
    const domain = String(store.get("storagedomains", refId((o.storageDomains as Array<Obj> | undefined)?.[0]) ?? "")?.name ?? "")
    const alias = String(o.alias ?? o.name)
    startJob(`Removing Disk ${alias}`, timing().lock, () => event("diskRemoved", alias, domain))
  }
}

const diskAction = (kit: Kit, ctx: ActionContext): Obj => {
  const { store, timing, transition, startJob } = kit
  if (ctx.action !== "move" && ctx.action !== "copy") return {}
  const disk = ctx.target.obj
  if (disk.status === "locked") throw conflict("Cannot move Virtual Disk. Disk is locked. Please try again later.")
  transition(disk, "status", "locked", [[timing().lock, "ok"]])
  const from = store.get("storagedomains", refId((disk.storageDomains as Array<Obj> | undefined)?.[0]) ?? "")
  const to = store.get("storagedomains", refId(ctx.params.storageDomain) ?? "") ?? from
  const verb = ctx.action === "move" ? "Moving" : "Copying"
  return { job: ref(startJob(`${verb} Disk from ${String(from?.name ?? "")} to ${String(to?.name ?? "")}`, timing().lock)) }
}

const addDiskAttachment = (kit: Kit, ctx: AddContext): Obj => {
  const { store, findRef } = kit
  const att = ctx.obj
  const parent = ctx.collection.parent
  const diskIn = (att.disk ?? {}) as Obj
  let disk: Obj
  if (typeof diskIn.id === "string") {
    disk = findRef("disks", diskIn, "Disk")
  } else {
    disk = newDisk(kit, diskIn, (diskIn.name as string | undefined) ?? `disk_${store.random.hex(6)}`)
    store.put("disks", disk)
    diskJob(kit, disk)
  }
  const owner = parent === undefined ? {} : { [parent.struct?.name === "Template" ? "template" : "vm"]: { id: parent.obj.id } }
  return { active: true, bootable: false, interface: "virtio_scsi", readOnly: false, ...att, ...owner, id: disk.id, disk: ref(disk) }
}

const removeDiskAttachment = (kit: Kit, target: EntityTarget, query: URLSearchParams): void => {
  const { store } = kit
  const o = target.obj
  // Detaching a disk plugged into a running VM needs it deactivated first, as on the engine.
  const vm = target.collection?.parent?.obj
  if (vm !== undefined && o.active === true && !["down", "suspended"].includes(vm.status as string)) {
    throw conflict("Cannot detach Virtual Disk. Disk is active. Please deactivate the disk first.")
  }
  // detach only unless asked otherwise: absent (or not a boolean) is true here, as on the engine
  if (vm !== undefined && !booleanParameter(query.get("detach_only"), true, true)) store.remove("disks", refId(o.disk) ?? "")
}

const addSnapshot = (kit: Kit, ctx: AddContext): Obj => {
  const { timing, transition, startJob, event } = kit
  const vm = ctx.collection.parent?.obj
  if (vm?.status === "image_locked") throw conflict("Cannot create Snapshot. VM is currently locked.")
  const snap: Obj = {
    ...ctx.obj,
    vm: vm === undefined ? undefined : { id: vm.id },
    date: kit.now(),
    snapshotType: "regular"
  }
  transition(snap, "snapshotStatus", "locked", [[timing().lock, "ok"]])
  const what = String(snap.description ?? "")
  const vmName = String(vm?.name ?? "")
  const refs = vm === undefined ? {} : { vm: { id: vm.id } }
  event("snapshotAdded", what, vmName, refs)
  startJob(`Creating VM Snapshot ${what} for VM ${vmName}`, timing().lock, () => event("snapshotFinished", what, vmName, refs))
  return snap
}

const removeSnapshot = (kit: Kit, target: EntityTarget): void => {
  if (target.obj.snapshotStatus === "locked") throw conflict("Cannot remove Snapshot. Snapshot is currently being created.")
}

const snapshotAction = (kit: Kit, ctx: ActionContext): Obj => {
  const { timing, transition, startJob } = kit
  if (ctx.action !== "restore") return {}
  const vm = ctx.target.collection?.parent?.obj
  if (vm !== undefined && vm.status !== "down") throw conflict("Cannot revert to Snapshot. VM must be down.")
  // A snapshot still being taken cannot be restored yet (the engine keeps it locked).
  if (ctx.target.obj.snapshotStatus === "locked") {
    throw conflict(`Cannot revert to Snapshot. Snapshot is currently being created for VM ${String(vm?.name ?? "")}.`)
  }
  if (vm !== undefined) transition(vm, "status", "image_locked", [[timing().lock, "down"]])
  const what = String(ctx.target.obj.description ?? "")
  return { job: ref(startJob(`Restoring VM Snapshot ${what} of VM ${String(vm?.name ?? "")}`, timing().lock)) }
}

export const makeDisks = (kit: Kit): Disks => ({
  newDisk: (disk, name) => newDisk(kit, disk, name),
  diskJob: (disk) => diskJob(kit, disk),
  behaviours: {
    Disk: {
      add: (ctx) => addDisk(kit, ctx),
      remove: (target) => removeDisk(kit, target),
      action: (ctx) => diskAction(kit, ctx)
    },
    DiskAttachment: {
      add: (ctx) => addDiskAttachment(kit, ctx),
      remove: (target, query) => removeDiskAttachment(kit, target, query)
    },
    Snapshot: {
      add: (ctx) => addSnapshot(kit, ctx),
      remove: (target) => removeSnapshot(kit, target),
      action: (ctx) => snapshotAction(kit, ctx)
    }
  }
})
