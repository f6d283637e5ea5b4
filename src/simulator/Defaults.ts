/**
 * What the engine always fills in an object it sends, per type: one table, applied to every object
 * the simulator answers with (seeded, added through the API, made by behaviour or `insert`), so no
 * object lacks a member an engine would send. Values the object has win; nested structs are filled
 * member by member. The values are the engine's own defaults (its REST mappers write `comment` and
 * `description` as empty strings; a new VM's memory policy, CPU, display, ... are those of the
 * `Blank` template and the cluster; see ovirt-engine's `VmMapper`, `VmBase` defaults and the model's
 * member documentation). What a VM inherits from its template is copied at add time (Behaviour.ts).
 */
import type { StructMeta } from "../core/Metadata.js"
import type { Obj } from "./Store.js"

const MiB = 1024 ** 2

/** The members a VM (and a template or instance type) has on an engine 4.6 unless set otherwise. */
export const vmBaseDefaults: Obj = {
  type: "server",
  stateless: false,
  deleteProtected: false,
  startPaused: false,
  soundcardEnabled: false,
  tunnelMigration: false,
  multiQueuesEnabled: true,
  virtioScsiMultiQueuesEnabled: false,
  autoPinningPolicy: "disabled",
  cpuShares: 0,
  migrationDowntime: -1,
  cpu: { architecture: "x86_64", topology: { sockets: 1, cores: 1, threads: 1 } },
  memoryPolicy: { ballooning: true, overCommit: { percent: 100 } },
  highAvailability: { enabled: false, priority: 0 },
  placementPolicy: { affinity: "migratable" },
  usb: { enabled: false },
  display: {
    type: "vnc",
    monitors: 1,
    singleQxlPci: false,
    smartcardEnabled: false,
    allowOverride: false,
    copyPasteEnabled: true,
    fileTransferEnabled: true,
    disconnectAction: "LOCK_SCREEN",
    keyboardLayout: "en-us"
  },
  os: { type: "other", boot: { devices: ["hd"] } },
  bios: { type: "cluster_default", bootMenu: { enabled: false } },
  io: { threads: 1 },
  sso: { methods: [{ id: "guest_agent" }] },
  timeZone: { name: "Etc/GMT" },
  migration: { autoConverge: "inherit", compressed: "inherit", encrypted: "inherit" },
  storageErrorResumeBehaviour: "auto_resume"
}

/**
 * The members each type always carries, past `comment`/`description` (every identified type).
 * Memory sizes that follow from other members (a VM's guaranteed memory is its memory) are filled
 * by `derived` below.
 */
const table: ReadonlyMap<string, Obj> = new Map<string, Obj>([
  ["Vm", { ...vmBaseDefaults, origin: "ovirt", nextRunConfigurationExists: false, runOnce: false, useLatestTemplateVersion: false }],
  ["Template", { ...vmBaseDefaults, origin: "ovirt", status: "ok", version: { versionName: "base version", versionNumber: 1 } }],
  ["InstanceType", { ...vmBaseDefaults, status: "ok" }],
  [
    "Cluster",
    {
      ballooningEnabled: false,
      haReservation: false,
      threadsAsCores: false,
      trustedService: false,
      tunnelMigration: false,
      virtService: true,
      glusterService: false,
      optionalReason: false,
      maintenanceReasonRequired: false,
      firewallType: "firewalld",
      switchType: "legacy",
      logMaxMemoryUsedThreshold: 95,
      logMaxMemoryUsedThresholdType: "percentage",
      errorHandling: { onError: "migrate" },
      fencingPolicy: {
        enabled: true,
        skipIfConnectivityBroken: { enabled: false, threshold: 50 },
        skipIfGlusterBricksUp: false,
        skipIfGlusterQuorumNotMet: false,
        skipIfSdActive: { enabled: false }
      },
      ksm: { enabled: true, mergeAcrossNodes: true },
      memoryPolicy: { overCommit: { percent: 100 }, transparentHugePages: { enabled: true } },
      migration: { autoConverge: "inherit", bandwidth: { assignmentMethod: "auto" }, compressed: "inherit", encrypted: "inherit" },
      requiredRngSources: ["urandom"],
      biosType: "q35_ovmf",
      fipsMode: "disabled",
      // The engine makes new clusters and data centers at its newest compatibility level.
      version: { major: 4, minor: 7 }
    }
  ],
  [
    "Host",
    {
      autoNumaStatus: "unknown",
      kdumpStatus: "disabled",
      protocol: "stomp",
      reinstallationRequired: false,
      updateAvailable: false,
      externalStatus: "ok",
      ksm: { enabled: false },
      seLinux: { mode: "enforcing" },
      powerManagement: { enabled: false, automaticPmEnabled: true, kdumpDetection: true, pmProxies: [] },
      transparentHugePages: { enabled: true },
      vgpuPlacement: "consolidated",
      numaSupported: false,
      ovnConfigured: false
    }
  ],
  [
    "Disk",
    {
      format: "cow",
      sparse: true,
      shareable: false,
      wipeAfterDelete: false,
      propagateErrors: false,
      storageType: "image",
      contentType: "data",
      backup: "none",
      qcowVersion: "qcow2_v3",
      actualSize: 0,
      totalSize: 0
    }
  ],
  ["DiskAttachment", { active: true, bootable: false, interface: "virtio_scsi", passDiscard: false, readOnly: false, usesScsiReservation: false }],
  ["Nic", { interface: "virtio", linked: true, plugged: true, synced: true }],
  [
    "StorageDomain",
    {
      backup: false,
      blockSize: 512,
      discardAfterDelete: false,
      externalStatus: "ok",
      supportsDiscard: false,
      supportsDiscardZeroesData: false,
      wipeAfterDelete: false,
      warningLowSpaceIndicator: 10,
      criticalSpaceActionBlocker: 5,
      storageFormat: "v5"
    }
  ],
  ["DataCenter", { local: false, quotaMode: "disabled", storageFormat: "v5", status: "uninitialized", version: { major: 4, minor: 7 } }],
  ["Network", { mtu: 0, stp: false, required: true, portIsolation: false, usages: ["vm"] }],
  ["VnicProfile", { passThrough: { mode: "disabled" }, portMirroring: false, migratable: false }],
  [
    "AffinityGroup",
    {
      enforcing: false,
      positive: false,
      priority: 1,
      broken: false,
      vmsRule: { enabled: true, enforcing: false, positive: false },
      hostsRule: { enabled: false, enforcing: false, positive: false }
    }
  ],
  ["Snapshot", { persistMemorystate: false, snapshotType: "regular", snapshotStatus: "ok" }],
  ["Job", { autoCleared: true, external: false }],
  ["Step", { external: false, number: 1, type: "executing" }],
  ["Event", { customId: -1, floodRate: 30, origin: "oVirt", severity: "normal" }],
  ["Quota", { clusterHardLimitPct: 20, clusterSoftLimitPct: 80, storageHardLimitPct: 20, storageSoftLimitPct: 80 }]
])

/** Members filled from others of the same object (a VM's memory policy follows its memory). */
const derived = (struct: string, obj: Obj): Obj | undefined => {
  if (struct !== "Vm" && struct !== "Template" && struct !== "InstanceType") return undefined
  const memory = typeof obj.memory === "number" ? obj.memory : 1024 * MiB
  return { memory, memoryPolicy: { guaranteed: memory, max: memory * 4 } }
}

/** A struct value (not a list, a date or a primitive). */
export const isPlainObject = (v: unknown): v is Obj =>
  typeof v === "object" && v !== null && !Array.isArray(v) && !(v instanceof Date)

/** `obj` with every member of `defaults` it lacks; nested structs filled member by member. */
const fill = (obj: Obj, defaults: Obj): Obj => {
  let out: Obj | undefined
  for (const key of Object.keys(defaults)) {
    const want = defaults[key]
    if (want === undefined) continue
    const have = obj[key]
    let value: unknown
    if (have === undefined || have === null) value = want
    else if (isPlainObject(have) && isPlainObject(want)) value = fill(have, want)
    else continue
    if (value === have) continue
    out ??= { ...obj }
    out[key] = value
  }
  return out ?? obj
}

const perStruct = new Map<string, Obj>()

/** The defaults of a struct: its table entry plus empty `comment`/`description` when it has them. */
const defaultsOf = (struct: StructMeta): Obj => {
  let d = perStruct.get(struct.name)
  if (d === undefined) {
    d = {}
    for (const m of struct.members) {
      if ((m.name === "comment" || m.name === "description") && m.kind === "primitive" && !m.list) d[m.name] = ""
    }
    const own = table.get(struct.name)
    // Only members the struct has: the table never invents a member the model lacks.
    if (own !== undefined) for (const m of struct.members) if (own[m.name] !== undefined) d[m.name] = own[m.name]
    perStruct.set(struct.name, d)
  }
  return d
}

/** The object as the engine would send it: what it lacks of its type's defaults filled in. */
export const withDefaults = (struct: StructMeta, obj: Obj): Obj => {
  const more = derived(struct.name, obj)
  const base = more === undefined ? obj : fill(obj, more)
  return fill(base, defaultsOf(struct))
}
