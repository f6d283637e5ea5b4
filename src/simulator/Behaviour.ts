/**
 * Behaviour where it matters to users: VMs go through the engine's states when started, stopped,
 * suspended, rebooted and migrated; disks, snapshots and templates are `locked` for a moment after
 * creation; hosts go to maintenance and back; storage domains are attached and activated; every
 * such operation is an async job under `/jobs`. Impossible transitions answer 409 with the
 * engine's kind of message. Everything else is the generic model-driven engine.
 */
import type { ActionContext, AddContext, Engine, EntityTarget, Hooks } from "./Engine.js"
import { conflict, incomplete, notFound } from "./Faults.js"
import type { Obj, Store } from "./Store.js"

/** How long the simulated operations take, in milliseconds. */
export interface Timing {
  /** `start` until `up` (through `wait_for_launch` and `powering_up`). */
  readonly vmStart: number
  /** `stop` / `shutdown` / `suspend` / `reboot` / `migrate` until done. */
  readonly vmStop: number
  /** How long new disks, snapshots and templates stay `locked`. */
  readonly lock: number
  /** Host maintenance / activation, storage domain activation. */
  readonly host: number
}

export const defaultTiming: Timing = { vmStart: 2000, vmStop: 800, lock: 600, host: 1000 }

const GiB = 1024 ** 3

const ref = (o: Obj): Obj => ({ id: o.id })

/** What a new VM takes from its template unless the request sets it (the engine's VmBase copy). */
const INHERITED_FROM_TEMPLATE = [
  "memory", "memoryPolicy", "cpu", "os", "type", "soundcardEnabled", "display", "usb", "highAvailability",
  "placementPolicy", "bios", "io", "stateless", "startPaused", "deleteProtected", "timeZone", "sso",
  "console", "virtioScsi", "migration", "migrationDowntime", "cpuShares", "customEmulatedMachine",
  "customCpuModel", "largeIcon", "smallIcon", "serialNumber", "multiQueuesEnabled", "tunnelMigration"
] as const

const refId = (v: unknown): string | undefined => (v as Obj | undefined)?.id as string | undefined

export const makeHooks = (engine: Engine, timing: () => Timing): Hooks => {
  const store: Store = engine.store
  const now = () => new Date(store.now())

  const findRef = (bucket: string, r: unknown, what: string): Obj => {
    const o = r as Obj | undefined
    const found =
      (typeof o?.id === "string" ? store.get(bucket, o.id) : undefined) ??
      (typeof o?.name === "string" ? store.list(bucket).find((x) => x.name === o.name) : undefined)
    if (found === undefined) {
      const key = typeof o?.id === "string" ? `id=${o.id}` : `name=${String(o?.name)}`
      throw notFound(`${what}: ${key}`)
    }
    return found
  }

  // Jobs and events (Journal.ts) --------------------------------------------------------------
  const { startJob, event } = engine.journal

  /**
   * Sets `member` to `current` now, then each later step at its time (ms from now), then `then`.
   * A new transition of an object replaces the one still running, as on the engine: whatever was
   * pending for it is cancelled first, so a VM stopped while starting does not come `up` later.
   */
  const transition = (
    obj: Obj,
    member: string,
    current: string,
    steps: ReadonlyArray<readonly [number, string]>,
    then?: () => void
  ) => {
    store.cancel(obj)
    obj[member] = current
    for (const [at, status] of steps) store.schedule(at, () => void (obj[member] = status), obj)
    if (then) store.schedule(steps.length === 0 ? 0 : steps[steps.length - 1][0], then, obj)
  }

  // Defaults for new objects -----------------------------------------------------------------
  const newDisk = (disk: Obj, name: string): Obj => {
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

  /** A new disk's job and events (USER_ADD_DISK, then USER_ADD_DISK_FINISHED_SUCCESS). */
  const diskJob = (disk: Obj): void => {
    const alias = String(disk.alias ?? disk.name)
    event("diskAdded", alias)
    startJob(`Adding Disk ${alias}`, timing().lock, () => event("diskAddFinished", alias))
  }

  const addVm = (ctx: AddContext): Obj => {
    const vm = ctx.obj
    const name = vm.name as string
    if (store.list("vms").some((o) => o.name === name && o.id !== vm.id)) {
      throw conflict("Cannot add VM. The VM name is already in use.")
    }
    if (vm.cluster === undefined) throw incomplete("Vm", ["cluster.id or cluster.name"], "add")
    if (typeof vm.name !== "string" || vm.name === "") throw incomplete("Vm", ["name"], "add")
    const cluster = findRef("clusters", vm.cluster, "Cluster")
    const template = findRef("templates", vm.template ?? { name: "Blank" }, "Template")
    // What the engine copies from the template (VmBase), the architecture from the cluster's CPU,
    // and the cluster's default CPU profile.
    const inherited: Obj = {}
    for (const key of INHERITED_FROM_TEMPLATE) if (template[key] !== undefined) inherited[key] = template[key]
    // A memory set by the request gets the memory policy that follows from it, not the template's.
    if (vm.memory !== undefined && vm.memoryPolicy === undefined) delete inherited.memoryPolicy
    const architecture = (cluster.cpu as Obj | undefined)?.architecture
    const cpuProfile = store.list("cpuprofiles").find((p) => refId(p.cluster) === cluster.id)
    const given = vm.cpu as Obj | undefined
    const out: Obj = {
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
    // The template's disks become the VM's (thin copies), as the engine does.
    for (const att of store.list(`templates/${template.id as string}/diskattachments`)) {
      const src = store.get("disks", refId(att.disk) ?? "")
      if (src === undefined) continue
      const disk = newDisk({ provisionedSize: src.provisionedSize, format: src.format }, `${name}_${String(src.name)}`)
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

  const addDiskAttachment = (ctx: AddContext): Obj => {
    const att = ctx.obj
    const parent = ctx.collection.parent
    const diskIn = (att.disk ?? {}) as Obj
    let disk: Obj
    if (typeof diskIn.id === "string") {
      disk = findRef("disks", diskIn, "Disk")
    } else {
      disk = newDisk(diskIn, (diskIn.name as string | undefined) ?? `disk_${store.random.hex(6)}`)
      store.put("disks", disk)
      diskJob(disk)
    }
    const owner = parent === undefined ? {} : { [parent.struct?.name === "Template" ? "template" : "vm"]: { id: parent.obj.id } }
    return { active: true, bootable: false, interface: "virtio_scsi", readOnly: false, ...att, ...owner, id: disk.id, disk: ref(disk) }
  }

  const addSnapshot = (ctx: AddContext): Obj => {
    const vm = ctx.collection.parent?.obj
    if (vm?.status === "image_locked") throw conflict("Cannot create Snapshot. VM is currently locked.")
    const snap: Obj = {
      ...ctx.obj,
      vm: vm === undefined ? undefined : { id: vm.id },
      date: now(),
      snapshotType: "regular",
      persistMemorystate: ctx.obj.persistMemorystate ?? false
    }
    transition(snap, "snapshotStatus", "locked", [[timing().lock, "ok"]])
    const what = String(snap.description ?? "")
    const vmName = String(vm?.name ?? "")
    const refs = vm === undefined ? {} : { vm: { id: vm.id } }
    event("snapshotAdded", what, vmName, refs)
    startJob(`Creating VM Snapshot ${what} for VM ${vmName}`, timing().lock, () => event("snapshotFinished", what, vmName, refs))
    return snap
  }

  const addTemplate = (ctx: AddContext): Obj => {
    if (ctx.obj.vm === undefined) {
      // Imported from an OVF/OVA configuration instead of made from a VM.
      const configuration = (ctx.obj.initialization as Obj | undefined)?.configuration
      if (configuration === undefined) throw incomplete("Template", ["vm.id or vm.name"], "add")
      const t: Obj = { ...ctx.obj, creationTime: now(), version: { versionName: "base version", versionNumber: 1 } }
      transition(t, "status", "locked", [[timing().lock, "ok"]])
      return t
    }
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
      const disk = newDisk({ provisionedSize: src.provisionedSize, format: src.format }, `${String(t.name)}_${String(src.name)}`)
      store.put("disks", disk)
      store.put(`templates/${t.id as string}/diskattachments`, { id: disk.id, disk: ref(disk), template: { id: t.id }, bootable: att.bootable, interface: att.interface, active: true })
    }
    transition(t, "status", "locked", [[timing().lock, "ok"]])
    transition(vm, "status", "image_locked", [[timing().lock, "down"]])
    event("templateAdded", String(t.name), String(vm.name), { template: { id: t.id }, vm: { id: vm.id } })
    startJob(`Creating VM Template ${String(t.name)} in Data Center ${dataCenterName(vm)}`, timing().lock, () =>
      event("templateFinished", String(t.name), String(vm.name), { template: { id: t.id }, vm: { id: vm.id } })
    )
    return t
  }

  const dataCenterName = (vm: Obj): string => {
    const cluster = store.get("clusters", refId(vm.cluster) ?? "")
    return String(store.get("datacenters", refId(cluster?.dataCenter) ?? "")?.name ?? "")
  }

  const addNic = (ctx: AddContext): Obj => {
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

  const add = (ctx: AddContext): Obj => {
    const structName = ctx.collection.struct?.name
    const view = ctx.collection.view
    const parentType = ctx.collection.parent?.struct?.name
    switch (structName) {
      case "Vm":
        return ctx.collection.bucket === "vms" ? addVm(ctx) : ctx.obj
      case "Disk": {
        if (store.get("disks", ctx.obj.id as string) === ctx.obj) return ctx.obj
        const disk = newDisk(ctx.obj, (ctx.obj.name as string | undefined) ?? `disk_${store.random.hex(6)}`)
        diskJob(disk)
        return disk
      }
      case "AffinityGroup": {
        // Made below a cluster, the group belongs to it; names are unique within the cluster.
        const cluster = ctx.collection.parent?.struct?.name === "Cluster" ? ctx.collection.parent.obj : undefined
        if (store.list(ctx.collection.bucket).some((g) => g.name === ctx.obj.name)) {
          throw conflict("Cannot create Affinity Group. Affinity Group with the same name already exists.")
        }
        return cluster === undefined ? ctx.obj : { ...ctx.obj, cluster: ref(cluster) }
      }
      case "DiskAttachment":
        return addDiskAttachment(ctx)
      case "Snapshot":
        return addSnapshot(ctx)
      case "Template":
        return ctx.collection.bucket === "templates" ? addTemplate(ctx) : ctx.obj
      case "Nic":
        return addNic(ctx)
      case "Host": {
        const h: Obj = { port: 54321, type: "rhel", memory: 64 * GiB, ...ctx.obj }
        delete h.rootPassword
        transition(h, "status", "installing", [[timing().host, "up"]])
        event("hostAdded", String(h.name), "", { host: { id: h.id } })
        startJob(`Adding new Host ${String(h.name)} to Cluster ${String(store.get("clusters", refId(h.cluster) ?? "")?.name ?? "")}`, timing().host)
        return h
      }
      case "StorageDomain": {
        const sd = ctx.obj
        if (view !== undefined && parentType === "DataCenter") {
          // Attaching to a data center: the engine activates the domain on its own.
          transition(sd, "status", "locked", [[timing().lock, "maintenance"], [timing().host, "active"]])
          const dc = ctx.collection.parent?.obj
          startJob(`Attaching Storage Domain ${String(sd.name)} to Data Center ${String(dc?.name ?? "")}`, timing().host)
          return sd
        }
        return { available: 500 * GiB, used: 0, committed: 0, master: false, ...sd, status: sd.status ?? "unattached" }
      }
      case "Job":
        return { ...ctx.obj, status: "started", startTime: now(), lastUpdated: now(), external: true, autoCleared: ctx.obj.autoCleared ?? true }
      default:
        return ctx.obj
    }
  }

  const update = (target: EntityTarget, changes: Obj): void => {
    if (target.struct?.name === "Vm" && changes.name !== undefined) {
      if (store.list("vms").some((o) => o.name === changes.name && o.id !== target.obj.id)) {
        throw conflict("Cannot edit VM. The VM name is already in use.")
      }
    }
  }

  const remove = (target: EntityTarget, query: URLSearchParams): void => {
    const o = target.obj
    switch (target.struct?.name) {
      case "Vm": {
        if (target.bucket !== "vms") return
        // RemoveVmCommand: a locked VM first, then anything but down (or suspended) is running.
        if (o.status === "image_locked") throw conflict("Cannot remove VM. VM is locked. Please try again in a few minutes.")
        if (o.status !== "down" && o.status !== "suspended") throw conflict("Cannot remove VM. VM is running.")
        if (o.deleteProtected === true) throw conflict("Cannot remove VM. VM is delete protected.")
        if (query.get("detach_only") !== "true") {
          for (const att of store.list(`vms/${o.id as string}/diskattachments`)) store.remove("disks", refId(att.disk) ?? "")
        }
        const name = String(o.name)
        startJob(`Removing VM ${name} from system`, timing().lock, () => event("vmRemoved", name))
        return
      }
      case "Template": {
        if (target.bucket !== "templates") return
        if (o.name === "Blank") throw conflict("Cannot delete Template. Blank Template cannot be deleted.")
        const users = store.list("vms").filter((v) => refId(v.template) === o.id)
        if (users.length > 0) {
          throw conflict(`Cannot delete Template. Template is being used by the following VMs: ${users.map((v) => String(v.name)).join(",")}.`)
        }
        startJob(`Removing VM Template ${String(o.name)} from Data Center ${dataCenterName(o)}`, timing().lock)
        return
      }
      case "Disk": {
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
        return
      }
      case "DiskAttachment": {
        // Detaching a disk plugged into a running VM needs it deactivated first, as on the engine.
        const vm = target.collection?.parent?.obj
        if (vm !== undefined && o.active === true && !["down", "suspended"].includes(vm.status as string)) {
          throw conflict("Cannot detach Virtual Disk. Disk is active. Please deactivate the disk first.")
        }
        if (vm !== undefined && query.get("detach_only") === "false") store.remove("disks", refId(o.disk) ?? "")
        return
      }
      case "StorageDomain": {
        if (target.bucket !== "storagedomains") return
        // A domain still attached to a data center and active is removed only after deactivating
        // and detaching it; its disks go with it.
        if (o.status === "active" || o.status === "locked") {
          throw conflict(`Cannot remove Storage. The relevant Storage Domain's status is ${o.status === "active" ? "Active" : "Locked"}.`)
        }
        for (const d of store.list("disks")) if (refId((d.storageDomains as Array<Obj> | undefined)?.[0]) === o.id) store.remove("disks", d.id as string)
        return
      }
      case "Snapshot":
        if (o.snapshotStatus === "locked") throw conflict("Cannot remove Snapshot. Snapshot is currently being created.")
        return
      case "Host":
        if (target.bucket === "hosts" && o.status !== "maintenance") {
          throw conflict("Cannot remove Host. Host must be in Maintenance mode first.")
        }
        return
      default:
        return
    }
  }

  // Actions ----------------------------------------------------------------------------------
  const hostsUp = (clusterId: string | undefined, except?: string): Array<Obj> =>
    store.list("hosts").filter((h) => h.status === "up" && (clusterId === undefined || refId(h.cluster) === clusterId) && h.id !== except)

  const vmAction = (ctx: ActionContext): Obj => {
    const vm = ctx.target.obj
    const name = String(vm.name)
    const status = vm.status as string
    const t = timing()
    const running = ["up", "powering_up", "wait_for_launch", "reboot_in_progress", "migrating", "paused", "powering_down"].includes(status)
    const job = (what: string, after: number) => ({ job: ref(startJob(`${what} VM ${name}`, after)) })
    switch (ctx.action) {
      case "start": {
        if (status === "image_locked") throw conflict("Cannot run VM. VM is being created or its disks are locked.")
        if (running || status === "saving_state" || status === "restoring_state") throw conflict("Cannot run VM. VM is running.")
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
        event("vmStarted", name, String(host.name), { vm: { id: vm.id }, host: ref(host) })
        return job("Launching", t.vmStart)
      }
      case "stop":
      case "shutdown": {
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
        const after = ctx.action === "stop" ? Math.round(t.vmStop / 2) : t.vmStop
        transition(vm, "status", "powering_down", [[after, "down"]], () => {
          delete vm.host
          vm.stopTime = now()
          event("vmDown", name, "", { vm: { id: vm.id } })
        })
        return job(ctx.action === "stop" ? "Stopping" : "Shutting down", after)
      }
      case "suspend":
        if (status !== "up") throw conflict("Cannot hibernate VM. VM is not up.")
        transition(vm, "status", "saving_state", [[t.vmStop, "suspended"]], () => void delete vm.host)
        return { job: ref(startJob(`Performing Hibernate action on VM ${name}`, t.vmStop)) }
      case "reboot":
      case "reset":
        if (status !== "up") throw conflict(`Cannot ${ctx.action} VM. VM is not up.`)
        transition(vm, "status", "reboot_in_progress", [[t.vmStop, "up"]])
        return job("Rebooting", t.vmStop)
      case "migrate": {
        if (status !== "up") throw conflict("Cannot migrate VM. VM is not running.")
        const current = refId(vm.host)
        const explicit = ctx.params.host
        const dest = explicit !== undefined ? findRef("hosts", explicit, "Host") : hostsUp(refId(vm.cluster), current)[0]
        if (dest === undefined || dest.id === current || dest.status !== "up") {
          throw conflict("Cannot migrate VM. There is no host that satisfies current scheduling constraints. See below for details:")
        }
        transition(vm, "status", "migrating", [[t.vmStop, "up"]], () => void (vm.host = ref(dest)))
        return job("Migrating", t.vmStop)
      }
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

  const hostAction = (ctx: ActionContext): Obj => {
    const host = ctx.target.obj
    const t = timing()
    switch (ctx.action) {
      case "deactivate": {
        if (host.status === "maintenance") throw conflict("Cannot switch Host(s) to Maintenance mode. Host is already in Maintenance mode.")
        const others = hostsUp(refId(host.cluster), host.id as string)
        const guests = store.list("vms").filter((v) => refId(v.host) === host.id)
        if (guests.length > 0 && others.length === 0) {
          throw conflict("Cannot switch Host to Maintenance mode. There is no other host to migrate the running VMs to.")
        }
        for (const v of guests) {
          const dest = others[store.random.int(others.length)]
          transition(v, "status", "migrating", [[t.vmStop, "up"]], () => void (v.host = ref(dest)))
        }
        transition(host, "status", "preparing_for_maintenance", [[t.host, "maintenance"]])
        return { job: ref(startJob(`Moving Host(s) ${String(host.name)} to Maintenance`, t.host)) }
      }
      case "activate":
        if (host.status === "up") throw conflict("Cannot activate Host. Host is already up.")
        transition(host, "status", "initializing", [[t.host, "up"]])
        return { job: ref(startJob(`Activating Host ${String(host.name)}`, t.host)) }
      default:
        return {}
    }
  }

  /** The name of the data center a storage domain is attached to (the engine's job texts name it). */
  const dcOf = (sd: Obj): string =>
    String(store.get("datacenters", refId((sd.dataCenters as Array<Obj> | undefined)?.[0]) ?? "")?.name ?? "")

  const storageAction = (ctx: ActionContext): Obj => {
    const sd = ctx.target.obj
    const t = timing()
    switch (ctx.action) {
      case "activate":
        if (sd.status === "active") throw conflict("Cannot activate Storage. The Storage Domain is already active.")
        transition(sd, "status", "activating", [[t.host, "active"]])
        return { job: ref(startJob(`Activating Storage Domain ${String(sd.name)} on Data Center ${dcOf(sd)}`, t.host)) }
      case "deactivate":
        if (sd.status !== "active") throw conflict("Cannot deactivate Storage. The Storage Domain is not active.")
        transition(sd, "status", "preparing_for_maintenance", [[t.host, "maintenance"]])
        return { job: ref(startJob(`Deactivating Storage Domain ${String(sd.name)} in Data Center ${dcOf(sd)}`, t.host)) }
      default:
        return {}
    }
  }

  const action = (ctx: ActionContext): Obj => {
    switch (ctx.target.struct?.name) {
      case "Vm":
        return ctx.target.bucket === "vms" ? vmAction(ctx) : {}
      case "Host":
        return hostAction(ctx)
      case "StorageDomain":
        return storageAction(ctx)
      case "Snapshot":
        if (ctx.action === "restore") {
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
        return {}
      case "Disk":
        if (ctx.action === "move" || ctx.action === "copy") {
          const disk = ctx.target.obj
          if (disk.status === "locked") throw conflict("Cannot move Virtual Disk. Disk is locked. Please try again later.")
          transition(disk, "status", "locked", [[timing().lock, "ok"]])
          const from = store.get("storagedomains", refId((disk.storageDomains as Array<Obj> | undefined)?.[0]) ?? "")
          const to = store.get("storagedomains", refId(ctx.params.storageDomain) ?? "") ?? from
          const verb = ctx.action === "move" ? "Moving" : "Copying"
          return { job: ref(startJob(`${verb} Disk from ${String(from?.name ?? "")} to ${String(to?.name ?? "")}`, timing().lock)) }
        }
        return {}
      case "Job":
        if (ctx.action === "end") {
          store.cancel(ctx.target.obj)
          ctx.target.obj.status = ctx.params.succeeded === false ? "failed" : "finished"
          ctx.target.obj.endTime = now()
        }
        return {}
      default:
        return {}
    }
  }

  return { add, update, remove, action }
}

