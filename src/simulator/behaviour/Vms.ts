/**
 * VMs and what belongs to them (NICs, affinity groups): a new VM takes its template's settings and
 * disks; `start`, `stop`, `shutdown`, `suspend`, `reboot` and `migrate` go through the engine's
 * states with a job each; a running or locked VM is not removed.
 */
import type { ActionContext, AddContext, EntityTarget } from "../Targets.js"
import { conflict, incomplete } from "../Faults.js"
import { isTrue } from "../Requests.js"
import type { Obj } from "../Store.js"
import type { Disks } from "./Disks.js"
import { type Behaviours, GiB, type Kit, ref, refId } from "./Kit.js"

/** What a new VM takes from its template unless the request sets it (the engine's VmBase copy). */
const INHERITED_FROM_TEMPLATE = [
  "memory", "memoryPolicy", "cpu", "os", "type", "soundcardEnabled", "display", "usb", "highAvailability",
  "placementPolicy", "bios", "io", "stateless", "startPaused", "deleteProtected", "timeZone", "sso",
  "console", "virtioScsi", "migration", "migrationDowntime", "cpuShares", "customEmulatedMachine",
  "customCpuModel", "largeIcon", "smallIcon", "serialNumber", "multiQueuesEnabled", "tunnelMigration"
] as const

/** The states in which a VM counts as running. */
const RUNNING = ["up", "powering_up", "wait_for_launch", "reboot_in_progress", "migrating", "paused", "powering_down"]

/** The request's VM with what it takes from its template and cluster. */
const fromTemplate = (kit: Kit, vm: Obj, cluster: Obj, template: Obj): Obj => {
  const { store, now } = kit
  // What the engine copies from the template (VmBase), the architecture from the cluster's CPU,
  // and the cluster's default CPU profile.
  const inherited: Obj = {}
  for (const key of INHERITED_FROM_TEMPLATE) if (template[key] !== undefined) inherited[key] = template[key]
  // A memory set by the request gets the memory policy that follows from it, not the template's.
  if (vm.memory !== undefined && vm.memoryPolicy === undefined) delete inherited.memoryPolicy
  const architecture = (cluster.cpu as Obj | undefined)?.architecture
  const cpuProfile = store.list("cpuprofiles").find((p) => refId(p.cluster) === cluster.id)
  const given = vm.cpu as Obj | undefined
  return {
    memory: GiB,
    ...inherited,
    ...(cpuProfile ? { cpuProfile: ref(cpuProfile) } : {}),
    ...vm,
    cpu: { ...(inherited.cpu as Obj | undefined), ...given, ...(architecture ? { architecture } : {}) },
    cluster: ref(cluster),
    template: ref(template),
    originalTemplate: ref(template),
    status: "down",
    creationTime: now(),
    stopTime: now()
  }
}

/** The template's disks become the VM's (thin copies), as the engine does. */
const copyTemplateDisks = (kit: Kit, disks: Disks, out: Obj, template: Obj, name: string): void => {
  const { store } = kit
  for (const att of store.list(`templates/${template.id as string}/diskattachments`)) {
    const src = store.get("disks", refId(att.disk) ?? "")
    if (src === undefined) continue
    const disk = disks.newDisk({ provisionedSize: src.provisionedSize, format: src.format }, `${name}_${String(src.name)}`)
    store.put("disks", disk)
    store.put(`vms/${out.id as string}/diskattachments`, {
      id: disk.id,
      disk: ref(disk),
      vm: { id: out.id },
      active: true,
      bootable: att.bootable ?? true,
      interface: att.interface ?? "virtio_scsi"
    })
  }
}

const addVm = (kit: Kit, disks: Disks, ctx: AddContext): Obj => {
  const { store, timing, findRef, transition, startJob, event } = kit
  if (ctx.collection.bucket !== "vms") return ctx.obj
  const vm = ctx.obj
  const name = vm.name as string
  if (store.list("vms").some((o) => o.name === name && o.id !== vm.id)) {
    throw conflict("Cannot add VM. The VM name is already in use.")
  }
  if (vm.cluster === undefined) throw incomplete("Vm", ["cluster.id or cluster.name"], "add")
  if (typeof vm.name !== "string" || vm.name === "") throw incomplete("Vm", ["name"], "add")
  const cluster = findRef("clusters", vm.cluster, "Cluster")
  const template = findRef("templates", vm.template ?? { name: "Blank" }, "Template")
  const out = fromTemplate(kit, vm, cluster, template)
  copyTemplateDisks(kit, disks, out, template, name)
  if (store.list(`vms/${out.id as string}/diskattachments`).length > 0) {
    // Copying the template's disks locks the new VM for a moment, as on the engine.
    transition(out, "status", "image_locked", [[timing().lock, "down"]])
  }
  // The template's graphics device: a VNC console (its id is the protocol's name in hex, as on the engine).
  store.put(`vms/${out.id as string}/graphicsconsoles`, { id: "766e63", protocol: "vnc", vm: { id: out.id } })
  const refs = { vm: { id: out.id }, cluster: ref(cluster) }
  event("vmAdded", name, "", refs)
  startJob(`Creating VM ${name} from Template ${String(template.name)} in Cluster ${String(cluster.name)}`, timing().lock, () =>
    event("vmAddFinished", name, "", refs)
  )
  return out
}

const updateVm = (kit: Kit, target: EntityTarget, changes: Obj): void => {
  const { store } = kit
  if (changes.name === undefined) return
  if (store.list("vms").some((o) => o.name === changes.name && o.id !== target.obj.id)) {
    throw conflict("Cannot edit VM. The VM name is already in use.")
  }
}

const removeVm = (kit: Kit, target: EntityTarget, query: URLSearchParams): void => {
  const { store, timing, startJob, event } = kit
  const o = target.obj
  if (target.bucket !== "vms") return
  // RemoveVmCommand: a locked VM first, then anything but down (or suspended) is running.
  if (o.status === "image_locked") throw conflict("Cannot remove VM. VM is locked. Please try again in a few minutes.")
  if (o.status !== "down" && o.status !== "suspended") throw conflict("Cannot remove VM. VM is running.")
  if (o.deleteProtected === true) throw conflict("Cannot remove VM. VM is delete protected.")
  if (!isTrue(query.get("detach_only"))) {
    for (const att of store.list(`vms/${o.id as string}/diskattachments`)) store.remove("disks", refId(att.disk) ?? "")
  }
  const name = String(o.name)
  startJob(`Removing VM ${name} from system`, timing().lock, () => event("vmRemoved", name))
}

/** The job of a VM action: `<what> VM <name>`, done after `after` ms. */
const vmJob = (kit: Kit, vm: Obj, what: string, after: number): Obj => ({ job: ref(kit.startJob(`${what} VM ${String(vm.name)}`, after)) })

const start = (kit: Kit, ctx: ActionContext): Obj => {
  const { store, now, timing, findRef, transition, event, hostsUp } = kit
  const vm = ctx.target.obj
  const status = vm.status as string
  const t = timing()
  if (status === "image_locked") throw conflict("Cannot run VM. VM is being created or its disks are locked.")
  if (RUNNING.includes(status) || status === "saving_state" || status === "restoring_state") throw conflict("Cannot run VM. VM is running.")
  const wanted = (ctx.params.vm as Obj | undefined)?.placementPolicy as Obj | undefined
  const pinned = Array.isArray(wanted?.hosts) ? (wanted.hosts as Array<Obj>) : []
  const candidates = pinned.length > 0 ? pinned.map((h) => findRef("hosts", h, "Host")).filter((h) => h.status === "up") : hostsUp(refId(vm.cluster))
  if (candidates.length === 0) throw conflict("Cannot run VM. There is no host that satisfies current scheduling constraints. See below for details:")
  const host = candidates[store.random.int(candidates.length)]
  // Started paused, the VM ends `paused` instead of `up`.
  const end = ctx.params.pause === true ? "paused" : "up"
  if (status === "suspended") transition(vm, "status", "restoring_state", [[t.vmStart, end]])
  else transition(vm, "status", "wait_for_launch", [[Math.round(t.vmStart * 0.3), "powering_up"], [t.vmStart, end]])
  vm.host = ref(host)
  vm.startTime = now()
  event("vmStarted", String(vm.name), String(host.name), { vm: { id: vm.id }, host: ref(host) })
  return vmJob(kit, vm, "Launching", t.vmStart)
}

/** `stop` (power off) and `shutdown` (through the guest). */
const stop = (kit: Kit, ctx: ActionContext): Obj => {
  const { store, now, timing, transition, event } = kit
  const vm = ctx.target.obj
  const name = String(vm.name)
  const status = vm.status as string
  const verb = ctx.action === "stop" ? "stop" : "shutdown"
  // StopVmCommandBase: a VM already down is skipped (success, nothing done); locked, saving
  // or restoring state is refused; a suspended VM goes down at once.
  if (status === "down") return {}
  if (status === "image_locked") throw conflict(`Cannot ${verb} VM. VM is locked. Please try again in a few minutes.`)
  if (status === "saving_state" || status === "restoring_state") {
    throw conflict(`Cannot ${verb} VM. VM is in saving/restoring state.\n-Please try again when the VM is either up or down.`)
  }
  if (status === "suspended") {
    transition(vm, "status", "down", [])
    return {}
  }
  const hostName = String(store.get("hosts", refId(vm.host) ?? "")?.name ?? "")
  event(ctx.action === "stop" ? "vmStopped" : "vmShutdown", name, hostName, { vm: { id: vm.id } })
  // Allowed in every other state, `wait_for_launch` and `powering_up` included: the stop wins
  // and the start's pending steps are cancelled by the transition.
  const after = ctx.action === "stop" ? Math.round(timing().vmStop / 2) : timing().vmStop
  transition(vm, "status", "powering_down", [[after, "down"]], () => {
    delete vm.host
    vm.stopTime = now()
    event("vmDown", name, "", { vm: { id: vm.id } })
  })
  return vmJob(kit, vm, ctx.action === "stop" ? "Stopping" : "Shutting down", after)
}

const migrate = (kit: Kit, ctx: ActionContext): Obj => {
  const { timing, findRef, transition, hostsUp } = kit
  const vm = ctx.target.obj
  if (vm.status !== "up") throw conflict("Cannot migrate VM. VM is not running.")
  const current = refId(vm.host)
  const explicit = ctx.params.host
  const dest = explicit !== undefined ? findRef("hosts", explicit, "Host") : hostsUp(refId(vm.cluster), current)[0]
  if (dest === undefined || dest.id === current || dest.status !== "up") {
    throw conflict("Cannot migrate VM. There is no host that satisfies current scheduling constraints. See below for details:")
  }
  transition(vm, "status", "migrating", [[timing().vmStop, "up"]], () => void (vm.host = ref(dest)))
  return vmJob(kit, vm, "Migrating", timing().vmStop)
}

const vmAction = (kit: Kit, ctx: ActionContext): Obj => {
  const { store, timing, transition, startJob } = kit
  if (ctx.target.bucket !== "vms") return {}
  const vm = ctx.target.obj
  const status = vm.status as string
  const t = timing()
  switch (ctx.action) {
    case "start":
      return start(kit, ctx)
    case "stop":
    case "shutdown":
      return stop(kit, ctx)
    case "suspend":
      if (status !== "up") throw conflict("Cannot hibernate VM. VM is not up.")
      transition(vm, "status", "saving_state", [[t.vmStop, "suspended"]], () => void delete vm.host)
      return { job: ref(startJob(`Performing Hibernate action on VM ${String(vm.name)}`, t.vmStop)) }
    case "reboot":
    case "reset":
      if (status !== "up") throw conflict(`Cannot ${ctx.action} VM. VM is not up.`)
      transition(vm, "status", "reboot_in_progress", [[t.vmStop, "up"]])
      return vmJob(kit, vm, "Rebooting", t.vmStop)
    case "migrate":
      return migrate(kit, ctx)
    case "previewsnapshot":
    case "commitsnapshot":
    case "undosnapshot":
      if (status !== "down") throw conflict("Cannot preview Snapshot. VM must be down.")
      return {}
    case "ticket":
      if (status !== "up") throw conflict("Cannot set console ticket. VM is not running.")
      return { ticket: { value: store.random.hex(12), expiry: 7200 } }
    default:
      return {}
  }
}

const addNic = (kit: Kit, ctx: AddContext): Obj => {
  const { store } = kit
  const parent = ctx.collection.parent
  if (parent !== undefined && store.list(ctx.collection.bucket).some((n) => n.name === ctx.obj.name)) {
    throw conflict("Cannot add Interface. The VM Network Interface name is already in use.")
  }
  const mac = `56:6f:${store.random.hex(2)}:${store.random.hex(2)}:${store.random.hex(2)}:${store.random.hex(2)}`
  return {
    interface: "virtio",
    linked: true,
    plugged: true,
    mac: { address: mac },
    ...ctx.obj,
    ...(parent?.struct?.name === "Vm" ? { vm: { id: parent.obj.id } } : {})
  }
}

const addAffinityGroup = (kit: Kit, ctx: AddContext): Obj => {
  const { store } = kit
  // Made below a cluster, the group belongs to it; names are unique within the cluster.
  const cluster = ctx.collection.parent?.struct?.name === "Cluster" ? ctx.collection.parent.obj : undefined
  if (store.list(ctx.collection.bucket).some((g) => g.name === ctx.obj.name)) {
    throw conflict("Cannot create Affinity Group. Affinity Group with the same name already exists.")
  }
  return cluster === undefined ? ctx.obj : { ...ctx.obj, cluster: ref(cluster) }
}

/** The behaviour of VMs, their NICs and affinity groups. */
export const makeVms = (kit: Kit, disks: Disks): Behaviours => ({
  Vm: {
    add: (ctx) => addVm(kit, disks, ctx),
    update: (target, changes) => updateVm(kit, target, changes),
    remove: (target, query) => removeVm(kit, target, query),
    action: (ctx) => vmAction(kit, ctx)
  },
  Nic: { add: (ctx) => addNic(kit, ctx) },
  AffinityGroup: { add: (ctx) => addAffinityGroup(kit, ctx) }
})
