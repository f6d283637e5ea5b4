/**
 * A believable small setup, the same for the same seed name: one data center, two clusters, three
 * hosts, storage domains, networks with vNIC profiles, the `Blank` template and three more, VMs with
 * disks and NICs, users and roles. `vms` scales the inventory (10,000 VMs build in well under a second).
 */
import { GiB, ref } from "./behaviour/Kit.js"
import { seedFreshEngine } from "./Predefined.js"
import type { Obj, Store } from "./Store.js"

/** Stands in for the OVF document the engine keeps for each VM (only sent with all_content). */
const OVF_STUB = '<?xml version="1.0" encoding="UTF-8"?><ovf:Envelope xmlns:ovf="http://schemas.dmtf.org/ovf/envelope/1/" ovf:version="4.6.0.0"><References/><Content xsi:type="ovf:VirtualSystem_Type" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"/></ovf:Envelope>'

const PREFIXES = ["web", "db", "app", "cache", "queue", "build", "mail", "dns", "proxy", "api", "auth", "metrics"]

export interface SeedOptions {
  /** How many VMs (default 36). */
  readonly vms?: number
}

/** Adds an object with a fresh id to `bucket`. */
type Put = (bucket: string, o: Obj) => Obj

const putter = (store: Store): Put => (bucket, o) => store.put(bucket, { id: store.newId(), ...o })

/** When the inventory was made (its objects' creation times count from here). */
const CREATED = Date.UTC(2026, 0, 5, 9, 30, 0)
const CPU_TYPE = "Intel Cascadelake Server Family"

export const seed = (store: Store, options: SeedOptions = {}): void => {
  const put = putter(store)
  const { dc, clusters } = seedDataCenter(put)
  const hosts = seedHosts(store, put, clusters)
  const { dataDomains, profiles } = seedStorageAndNetworks(put, dc)
  const templates = seedTemplates(store, put, clusters, dataDomains)
  seedVms(store, put, { clusters, hosts, templates, dataDomains, profiles }, options.vms ?? 36)
  seedUsers(put)
  seedFreshEngine(store, { dc, clusters, dataDomains, tag: store.list("tags")[0], macPool: store.list("macpools")[0] })
  // The engine's event ids are their indexes (1, 2, ...), not UUIDs.
  store.put("events", { id: "1", index: 1, code: 9602, description: "Simulator started.", time: new Date(CREATED) })
}

/** The data center and its two clusters. */
const seedDataCenter = (put: Put): { readonly dc: Obj; readonly clusters: ReadonlyArray<Obj> } => {
  const version = { major: 4, minor: 7 }
  const cpu = { architecture: "x86_64", type: CPU_TYPE }
  const dc = put("datacenters", {
    name: "Default",
    description: "The default Data Center",
    status: "up",
    local: false,
    quotaMode: "disabled",
    storageFormat: "v5",
    version,
    supportedVersions: [version]
  })
  const clusters = ["Default", "Production"].map((name) =>
    put("clusters", {
      name,
      description: name === "Default" ? "The default server cluster" : "Production workloads",
      dataCenter: ref(dc),
      cpu,
      version,
      ballooningEnabled: true,
      haReservation: false,
      memoryPolicy: { overCommit: { percent: 100 } },
      biosType: "q35_ovmf"
    })
  )
  return { dc, clusters }
}

/** Three hosts with their NICs, and the cluster levels' CPU types. */
const seedHosts = (store: Store, put: Put, clusters: ReadonlyArray<Obj>): ReadonlyArray<Obj> => {
  const hosts = ["host01", "host02", "host03"].map((name, i) =>
    put("hosts", {
      name,
      address: `${name}.lab.example.com`,
      status: "up",
      cluster: ref(clusters[i < 2 ? 0 : 1]),
      type: "rhel",
      port: 54321,
      memory: 256 * GiB,
      maxSchedulingMemory: 240 * GiB,
      cpu: { name: "Intel(R) Xeon(R) Gold 6248", speed: 2500, topology: { sockets: 2, cores: 20, threads: 2 } },
      os: { type: "RHEL", version: { major: 9, fullVersion: "9.4" } },
      spm: { status: i === 0 ? "spm" : "none", priority: 5 },
      summary: { total: 0, active: 0, migrating: 0 },
      // Left out of answers without all_content, as on the engine.
      hostedEngine: { configured: false, active: false, globalMaintenance: false, localMaintenance: false, score: 0 }
    })
  )
  // Each host's NICs, as the engine discovers them.
  hosts.forEach((h, i) => {
    for (const [n, name] of ["eth0", "eth1"].entries()) {
      put(`hosts/${h.id as string}/nics`, {
        name,
        host: ref(h),
        status: "up",
        speed: 10_000_000_000,
        mtu: 1500,
        bootProtocol: n === 0 ? "static" : "none",
        mac: { address: `00:1a:4a:16:0${i}:0${n}` },
        ...(n === 0 ? { ip: { address: `10.0.0.${11 + i}`, netmask: "255.255.255.0", gateway: "10.0.0.1", version: "v4" } } : {})
      })
    }
  })
  for (const level of ["4.7", "4.8"]) {
    store.put("clusterlevels", { id: level, cpuTypes: [{ name: CPU_TYPE, level: 16, architecture: "x86_64" }] })
  }
  return hosts
}

/** The storage domains (two data, one ISO), the networks and a vNIC profile per network. */
const seedStorageAndNetworks = (put: Put, dc: Obj): { readonly dataDomains: ReadonlyArray<Obj>; readonly profiles: ReadonlyArray<Obj> } => {
  const storageDomains = [
    { name: "data1", type: "data", storage: { type: "nfs", address: "nfs.lab.example.com", path: "/exports/data1" }, master: true, size: 4096 },
    { name: "data2", type: "data", storage: { type: "iscsi" }, master: false, size: 8192 },
    { name: "iso", type: "iso", storage: { type: "nfs", address: "nfs.lab.example.com", path: "/exports/iso" }, master: false, size: 512 }
  ].map((s) =>
    put("storagedomains", {
      name: s.name,
      type: s.type,
      storage: s.storage,
      status: "active",
      master: s.master,
      available: s.size * GiB,
      used: Math.round(s.size * 0.2) * GiB,
      committed: Math.round(s.size * 0.3) * GiB,
      storageFormat: "v5",
      dataCenters: [ref(dc)],
      wipeAfterDelete: false,
      warningLowSpaceIndicator: 10,
      criticalSpaceActionBlocker: 5
    })
  )
  const dataDomains = storageDomains.filter((s) => s.type === "data")
  const networks = [
    { name: "ovirtmgmt", description: "Management Network", usages: ["vm", "management", "display", "migration"] },
    { name: "vlan100", description: "Application VLAN", usages: ["vm"], vlan: { id: 100 } },
    { name: "storage", description: "Storage network", usages: [], vlan: { id: 200 } }
  ].map((n) => put("networks", { ...n, dataCenter: ref(dc), mtu: 1500, stp: false, required: true, status: "operational" }))
  const profiles = networks.map((n) => put("vnicprofiles", { name: n.name, network: ref(n), portMirroring: false }))
  return { dataDomains, profiles }
}

/** A thin qcow2 disk of `sizeGiB` on `sd`, 35% allocated. */
const addDisk = (store: Store, put: Put, name: string, sizeGiB: number, sd: Obj): Obj =>
put("disks", {
    name,
    alias: name,
    format: "cow",
    sparse: true,
    status: "ok",
    provisionedSize: sizeGiB * GiB,
    actualSize: Math.round(sizeGiB * 0.35 * GiB),
    totalSize: Math.round(sizeGiB * 0.35 * GiB),
    storageType: "image",
    contentType: "data",
    shareable: false,
    wipeAfterDelete: false,
    propagateErrors: false,
    imageId: store.newId(),
    storageDomains: [ref(sd)]
  })

/** The `Blank` template and three more, each with its disk. */
const seedTemplates = (store: Store, put: Put, clusters: ReadonlyArray<Obj>, dataDomains: ReadonlyArray<Obj>): ReadonlyArray<Obj> => {
  store.put("templates", {
    id: "00000000-0000-0000-0000-000000000000",
    name: "Blank",
    description: "Blank template",
    status: "ok",
    memory: GiB,
    cpu: { topology: { sockets: 1, cores: 1, threads: 1 } },
    os: { type: "other" },
    type: "server",
    creationTime: new Date(Date.UTC(2008, 3, 1)),
    version: { versionName: "base version", versionNumber: 1 }
  })
  const templates = [
    { name: "centos-stream-9", os: "other_linux", memory: 2, disk: 10 },
    { name: "rhel-9", os: "rhel_9x64", memory: 4, disk: 20 },
    { name: "windows-2022", os: "windows_2022", memory: 8, disk: 40 }
  ].map((t) => {
    const tpl = put("templates", {
      name: t.name,
      description: `${t.name} golden image`,
      status: "ok",
      memory: t.memory * GiB,
      cpu: { topology: { sockets: 1, cores: 2, threads: 1 } },
      os: { type: t.os },
      type: "server",
      cluster: ref(clusters[0]),
      creationTime: new Date(CREATED),
      version: { versionName: "base version", versionNumber: 1 }
    })
    const d = addDisk(store, put, `${t.name}_disk1`, t.disk, dataDomains[0])
    store.put(`templates/${tpl.id as string}/diskattachments`, {
      id: d.id,
      disk: ref(d),
      template: ref(tpl),
      bootable: true,
      interface: "virtio_scsi",
      active: true
    })
    return tpl
  })
  return templates
}

/** `count` VMs over the clusters and templates, each with a disk and a NIC (states and sizes drawn from the seed). */
const seedVms = (
  store: Store,
  put: Put,
  inventory: {
    readonly clusters: ReadonlyArray<Obj>
    readonly hosts: ReadonlyArray<Obj>
    readonly templates: ReadonlyArray<Obj>
    readonly dataDomains: ReadonlyArray<Obj>
    readonly profiles: ReadonlyArray<Obj>
  },
  count: number
): void => {
  const { clusters, hosts, templates, dataDomains, profiles } = inventory
  const r = store.random
  const memories = [1, 2, 4, 8, 16]
  for (let i = 0; i < count; i++) {
    const prefix = PREFIXES[i % PREFIXES.length]
    const number = Math.floor(i / PREFIXES.length) + 1
    const name = `${prefix}${String(number).padStart(count > 1200 ? 4 : 2, "0")}`
    const roll = r.next()
    const status = roll < 0.7 ? "up" : roll < 0.95 ? "down" : "suspended"
    const cluster = clusters[i % 5 === 4 ? 1 : 0]
    const clusterHosts = hosts.filter((h) => (h.cluster as Obj).id === cluster.id)
    const template = templates[i % templates.length]
    const vm = put("vms", {
      name,
      description: `${prefix} server ${number}`,
      status,
      memory: memories[r.int(memories.length)] * GiB,
      cpu: { topology: { sockets: 1, cores: 1 + r.int(4), threads: 1 } },
      os: { type: template.os === undefined ? "other" : (template.os as Obj).type },
      type: "server",
      cluster: ref(cluster),
      template: ref(template),
      originalTemplate: ref(template),
      stateless: false,
      deleteProtected: false,
      highAvailability: { enabled: prefix === "db", priority: prefix === "db" ? 50 : 0 },
      // The members the engine leaves out without all_content (constants: no draw from the PRNG,
      // so seeds give the same inventory as before).
      console: { enabled: false },
      soundcardEnabled: false,
      virtioScsi: { enabled: true },
      rngDevice: { source: "urandom" },
      initialization: { configuration: { type: "ovf", data: OVF_STUB } },
      creationTime: new Date(CREATED + i * 3_600_000),
      ...(status === "up"
        ? { host: ref(clusterHosts[r.int(clusterHosts.length)]), startTime: new Date(CREATED + (i + 2) * 3_600_000) }
        : { stopTime: new Date(CREATED + (i + 2) * 3_600_000) })
    })
    const vmId = vm.id as string
    const d = addDisk(store, put, `${name}_disk1`, [10, 20, 40, 80][r.int(4)], dataDomains[i % dataDomains.length])
    store.put(`vms/${vmId}/diskattachments`, { id: d.id, disk: ref(d), vm: ref(vm), bootable: true, interface: "virtio_scsi", active: true, readOnly: false })
    put(`vms/${vmId}/nics`, {
      name: "nic1",
      interface: "virtio",
      linked: true,
      plugged: true,
      mac: { address: `56:6f:${r.hex(2)}:${r.hex(2)}:${r.hex(2)}:${r.hex(2)}` },
      vnicProfile: ref(profiles[i % 2]),
      vm: ref(vm)
    })
  }
}

/** Roles, the internal domain with its users and group, permissions, a tag and the MAC pool. */
const seedUsers = (put: Put): void => {
  const roles = [
    { name: "SuperUser", description: "Roles management administrator", administrative: true, mutable: false },
    { name: "ClusterAdmin", description: "Administrator Role, permission for all the objects underneath a specific Cluster", administrative: true, mutable: false },
    { name: "UserRole", description: "Standard User Role", administrative: false, mutable: false },
    { name: "UserVmManager", description: "User Role, with permission for any operation on Vms", administrative: false, mutable: false }
  ].map((role) => put("roles", role))
  const domain = put("domains", { name: "internal-authz" })
  const users = [
    { userName: "admin@internal", name: "admin", lastName: "", principal: "admin" },
    { userName: "alice@internal", name: "Alice", lastName: "Martin", principal: "alice", email: "alice@example.com" },
    { userName: "bob@internal", name: "Bob", lastName: "Nguyen", principal: "bob", email: "bob@example.com" }
  ].map((u) => put("users", { ...u, namespace: "*", domain: ref(domain), department: "" }))
  put("groups", { name: "Everyone", namespace: "*", domain: ref(domain) })
  put("permissions", { role: ref(roles[0]), user: ref(users[0]) })
  put("permissions", { role: ref(roles[3]), user: ref(users[1]) })
  put("tags", { name: "production", description: "Production workloads" })
  put("macpools", { name: "Default", description: "Default MAC pool", allowDuplicates: false, ranges: [{ from: "56:6f:00:00:00:00", to: "56:6f:ff:ff:ff:ff" }] })
}
