/**
 * What a fresh engine 4.6 has before anyone adds to it: instance types, the `root` tag, CPU and disk
 * profiles, the data center's quota, the predefined roles, OS types and system options.
 */
import { ref } from "./behaviour/Kit.js"
import type { Obj, Store } from "./Store.js"

const MiB = 1024 ** 2

/**
 * What every fresh engine 4.6 has besides the inventory of Seed.ts (appended after it, so the PRNG
 * draws, and with them the ids, of the inventory stay what they were): the instance types, the
 * `root` tag every tag hangs from, a CPU profile per cluster and a disk profile per data domain
 * (named after them, as the engine makes them), the data center's `Default` quota, the Default MAC
 * pool linked from the data center, more of the predefined roles, OS types and system options.
 */
export const seedFreshEngine = (
  store: Store,
  fresh: { readonly dc: Obj; readonly clusters: ReadonlyArray<Obj>; readonly dataDomains: ReadonlyArray<Obj>; readonly tag: Obj | undefined; readonly macPool: Obj | undefined }
): void => {
  const put = (bucket: string, o: Obj): Obj => store.put(bucket, { id: store.newId(), ...o })
  // The engine's predefined instance types (memory in MiB, CPU sockets).
  for (const [name, memory, sockets] of [["Tiny", 512, 1], ["Small", 2048, 1], ["Medium", 4096, 2], ["Large", 8192, 2], ["XLarge", 16384, 4]] as const) {
    put("instancetypes", {
      name,
      description: `${name} instance type`,
      memory: memory * MiB,
      memoryPolicy: { guaranteed: (memory / 2) * MiB, max: memory * 4 * MiB, ballooning: true },
      cpu: { topology: { sockets, cores: 1, threads: 1 } },
      status: "ok",
      creationTime: new Date(Date.UTC(2013, 0, 1))
    })
  }
  const root = store.put("tags", { id: "00000000-0000-0000-0000-000000000000", name: "root", description: "root" })
  if (fresh.tag !== undefined) fresh.tag.parent = ref(root)
  for (const c of fresh.clusters) put("cpuprofiles", { name: c.name, cluster: ref(c) })
  for (const sd of fresh.dataDomains) put("diskprofiles", { name: sd.name, storageDomain: ref(sd) })
  put(`datacenters/${fresh.dc.id as string}/quotas`, {
    name: "Default",
    description: "Default unlimited quota",
    dataCenter: ref(fresh.dc),
    clusterHardLimitPct: 20,
    clusterSoftLimitPct: 80,
    storageHardLimitPct: 20,
    storageSoftLimitPct: 80
  })
  if (fresh.macPool !== undefined) fresh.dc.macPool = ref(fresh.macPool)
  for (const [name, description, administrative] of [
    ["DataCenterAdmin", "Administrator Role, permission for all the objects underneath a specific Data Center, except Storage", true],
    ["StorageAdmin", "Administrator Role, permission for all operations on a specific Storage Domain", true],
    ["HostAdmin", "Administrator Role, permission for all operations on a specific Host", true],
    ["NetworkAdmin", "Administrator Role, permission for all operations on a specific Logical Network", true],
    ["TemplateAdmin", "Administrator Role, permission for all operations on a specific Template", true],
    ["PowerUserRole", "User Role, allowed to create/manage Vms and Templates", false],
    ["VmCreator", "User Role, permission to create VMs", false],
    ["DiskOperator", "User Role, permissions for all operations on a specific disk", false],
    ["ReadOnlyAdmin", "Read Only Administrator Role", true]
  ] as const) {
    put("roles", { name, description, administrative, mutable: false })
  }
  // A few of the engine's OS types (osinfo): id, name, description.
  for (const [id, name, description] of [
    ["0", "other", "Other OS"],
    ["5", "other_linux", "Linux"],
    ["1500", "rhel_8x64", "Red Hat Enterprise Linux 8.x x64"],
    ["1501", "rhel_9x64", "Red Hat Enterprise Linux 9.x x64"],
    ["1200", "windows_2019x64", "Windows 2019 x64"],
    ["1201", "windows_2022", "Windows 2022"]
  ] as const) {
    store.put("operatingsystems", { id, name, description, architecture: "x86_64", tpmSupport: name.startsWith("windows") ? "supported" : "unsupported" })
  }
  // System options are reached by name (`options/MaxVmNameLength`).
  for (const [name, value] of [["MaxVmNameLength", "64"], ["MaxVmsInPool", "1000"], ["VdsFenceType", "apc"]] as const) {
    store.put("options", { id: name, name, values: [{ version: "general", value }] })
  }
}
