/**
 * A realistic answer to `GET /ovirt-engine/api/vms?all_content=true`, built here so the benchmark
 * runs on a fresh clone: about 11 KB of engine-formatted XML per VM (4-space indentation, the
 * `<actions>` block, 19 `<link rel>`s, ~60% running VMs with host, display and guest details,
 * cloud-init or sysprep initialization, optional blocks varying per VM, a few descriptions with
 * entities and non-ASCII text), and the same data in the engine's JSON form (scalars as strings,
 * repeated elements as arrays under their singular name, attributes as properties).
 * bench/main.ts checks size and shape against ../shared/tools/make-vms-xml.mjs when it is there.
 */

/** An element: tag, attributes, and either children or text. */
export interface El {
  readonly tag: string
  readonly attrs?: Readonly<Record<string, string>>
  readonly body?: ReadonlyArray<El> | string
}

const el = (tag: string, body?: ReadonlyArray<El> | string, attrs?: Readonly<Record<string, string>>): El =>
  attrs === undefined ? (body === undefined ? { tag } : { tag, body }) : body === undefined ? { tag, attrs } : { tag, attrs, body }
const val = (tag: string, value: string | number | boolean): El => ({ tag, body: String(value) })

/** Small deterministic PRNG (sfc32). */
class Random {
  private a: number
  private b: number
  private c: number
  private d: number
  constructor(seed: number) {
    this.a = 0x9e3779b9
    this.b = 0x243f6a88
    this.c = 0xb7e15162
    this.d = seed >>> 0
    for (let i = 0; i < 12; i++) this.next()
  }
  next(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0
    this.d = (this.d + 1) | 0
    this.a = this.b ^ (this.b >>> 9)
    this.b = (this.c + (this.c << 3)) | 0
    this.c = (this.c << 21) | (this.c >>> 11)
    this.c = (this.c + t) | 0
    return (t >>> 0) / 4294967296
  }
  between(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1))
  }
  oneOf<T>(items: ReadonlyArray<T>): T {
    return items[Math.floor(this.next() * items.length)]
  }
  chance(p: number): boolean {
    return this.next() < p
  }
  hex(n: number): string {
    let s = ""
    while (s.length < n) s += Math.floor(this.next() * 0x10000).toString(16).padStart(4, "0")
    return s.slice(0, n)
  }
  uuid(): string {
    return `${this.hex(8)}-${this.hex(4)}-4${this.hex(3)}-${this.oneOf(["8", "9", "a", "b"])}${this.hex(3)}-${this.hex(12)}`
  }
  base64(n: number): string {
    const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    let s = ""
    for (let i = 0; i < n; i++) s += alphabet[Math.floor(this.next() * 64)]
    return s
  }
  /** An engine-style xs:dateTime with milliseconds and an offset. */
  dateTime(fromYear: number, toYear: number): string {
    const two = (n: number) => String(n).padStart(2, "0")
    const offset = this.oneOf(["+00:00", "+01:00", "+02:00", "-04:00", "-05:00", "+05:30"])
    return (
      `${this.between(fromYear, toYear)}-${two(this.between(1, 12))}-${two(this.between(1, 28))}` +
      `T${two(this.between(0, 23))}:${two(this.between(0, 59))}:${two(this.between(0, 59))}.${String(this.between(0, 999)).padStart(3, "0")}${offset}`
    )
  }
}

const API = "/ovirt-engine/api"
const VM_ACTIONS = [
  "autopincpuandnumanodes", "cancelmigration", "clone", "commitsnapshot", "detach", "export", "exporttoexportdomain",
  "exporttopathonhost", "freezefilesystems", "logon", "maintenance", "migrate", "previewsnapshot", "reboot",
  "reordermacaddresses", "reset", "screenshot", "shutdown", "start", "stop", "suspend", "thawfilesystems", "ticket",
  "undosnapshot"
]
const VM_LINKS = [
  "affinitylabels", "applications", "backups", "cdroms", "checkpoints", "diskattachments", "graphicsconsoles",
  "hostdevices", "katelloerrata", "mediateddevices", "nics", "numanodes", "permissions", "reporteddevices", "sessions",
  "snapshots", "statistics", "tags", "watchdogs"
]
const NAME_WORDS = ["web", "db", "cache", "worker", "build", "ci", "proxy", "ldap", "mail", "mon", "log", "k8s", "etcd", "vdi", "app", "api"]
const DESCRIPTIONS = [
  "Production web front end", "Nightly build runner", "PostgreSQL replica", "Kubernetes control plane node",
  "Monitoring & alerting (Prometheus)", "Windows desktop for <finance> team", "LDAP directory server",
  "Löschbarer Testrechner – Team München", "", "", "Mail relay", "CI agent, ephemeral"
]
const OPERATING_SYSTEMS: ReadonlyArray<readonly [type: string, distribution: string, family: "Linux" | "Windows"]> = [
  ["other", "Other", "Linux"],
  ["rhel_8x64", "Red Hat Enterprise Linux", "Linux"],
  ["rhel_9x64", "Red Hat Enterprise Linux", "Linux"],
  ["rhel_7x64", "Red Hat Enterprise Linux Server", "Linux"],
  ["ubuntu_22_04", "Ubuntu", "Linux"],
  ["debian_12", "Debian GNU/Linux", "Linux"],
  ["windows_2019x64", "Microsoft Windows Server 2019", "Windows"],
  ["windows_2022", "Microsoft Windows Server 2022", "Windows"],
  ["windows_10x64", "Microsoft Windows 10", "Windows"]
]

/** The shared pools of a setup: few clusters, hosts and templates for many VMs. */
class Setup {
  readonly clusters: ReadonlyArray<{ id: string; cpuProfile: string }>
  readonly quotas: ReadonlyArray<string>
  readonly hosts: ReadonlyArray<{ id: string; name: string; ip: string }>
  readonly templates: ReadonlyArray<string>
  readonly storageDomains: ReadonlyArray<string>
  readonly icons: ReadonlyArray<string>
  constructor(readonly random: Random) {
    const r = random
    this.clusters = Array.from({ length: 4 }, () => ({ id: r.uuid(), cpuProfile: r.uuid() }))
    this.quotas = Array.from({ length: 3 }, () => r.uuid())
    this.hosts = Array.from({ length: 32 }, (_, i) => ({
      id: r.uuid(),
      name: `host${String(i + 1).padStart(2, "0")}.example.com`,
      ip: `10.0.${1 + (i >> 4)}.${10 + (i & 15)}`
    }))
    this.templates = ["00000000-0000-0000-0000-000000000000", ...Array.from({ length: 11 }, () => r.uuid())]
    this.storageDomains = Array.from({ length: 5 }, () => r.uuid())
    this.icons = Array.from({ length: 24 }, () => r.uuid())
  }
}

const reference = (tag: string, collection: string, id: string): El => el(tag, undefined, { href: `${API}/${collection}/${id}`, id })

/** The VM number `n` (1-based) of the setup. */
const makeVm = (setup: Setup, n: number): El => {
  const r = setup.random
  const id = r.uuid()
  const self = `${API}/vms/${id}`
  const roll = r.next()
  const status = roll < 0.6 ? "up" : roll < 0.93 ? "down" : roll < 0.97 ? "suspended" : r.oneOf(["paused", "powering_up", "migrating", "not_responding"])
  const running = status !== "down" && status !== "suspended"
  const host = r.oneOf(setup.hosts)
  const [osType, distribution, family] = r.oneOf(OPERATING_SYSTEMS)
  const windows = family === "Windows"
  const memory = r.oneOf([512, 1024, 2048, 4096, 4096, 8192, 16384, 32768]) * 1048576
  const cluster = r.oneOf(setup.clusters)
  const template = r.oneOf(setup.templates)
  const ha = r.chance(0.2)
  const name = `${r.oneOf(NAME_WORDS)}-${r.oneOf(NAME_WORDS)}-${String(n).padStart(5, "0")}`
  const vmType = r.oneOf(["server", "server", "server", "desktop", "high_performance"])
  const displayType = windows ? "spice" : r.oneOf(["vnc", "spice", "vnc"])
  const topology = el("topology", [val("cores", r.oneOf([1, 1, 2, 2, 4, 8])), val("sockets", r.oneOf([1, 1, 1, 2, 2, 4])), val("threads", r.oneOf([1, 1, 1, 2]))])

  const display: Array<El> = []
  if (running) display.push(val("address", host.ip))
  display.push(val("allow_override", r.chance(0.3)))
  if (running) display.push(el("certificate", [val("organization", "example.com"), val("subject", `O=example.com,CN=${host.name}`)]))
  display.push(val("copy_paste_enabled", true), val("disconnect_action", "LOCK_SCREEN"), val("file_transfer_enabled", true), val("monitors", r.oneOf([1, 1, 1, 2])))
  if (running) {
    const port = 5900 + 2 * r.between(0, 60)
    display.push(val("port", port))
    if (displayType === "spice") display.push(val("secure_port", port + 1))
  }
  display.push(val("single_qxl_pci", false), val("smartcard_enabled", false), val("type", displayType))

  let initialization: El | undefined
  if (windows) {
    initialization = el("initialization", [
      val("host_name", name.toUpperCase().slice(0, 15)), val("input_locale", "en-US"), val("regenerate_ids", false),
      val("system_locale", "en-US"), val("timezone", "GMT Standard Time"), val("ui_language", "en-US"),
      val("user_locale", "en-US"), val("user_name", "Administrator")
    ])
  } else if (r.chance(0.5)) {
    initialization = el("initialization", [
      val("authorized_ssh_keys", `ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI${r.base64(43)} admin${r.between(1, 40)}@example.com`),
      val("cloud_init_network_protocol", "openstack_metadata"),
      val("custom_script", "#cloud-config\npackage_upgrade: true\nruncmd:\n  - [ systemctl, enable, --now, qemu-guest-agent ]\n"),
      val("host_name", `${name}.example.com`),
      el("nic_configurations", [
        el("nic_configuration", [
          val("boot_protocol", "static"),
          el("ip", [val("address", `10.${r.between(10, 20)}.${r.between(0, 255)}.${r.between(2, 254)}`), val("gateway", "10.10.0.1"), val("netmask", "255.255.0.0"), val("version", "v4")]),
          val("name", "eth0"),
          val("on_boot", true)
        ])
      ]),
      val("regenerate_ssh_keys", false),
      val("user_name", "cloud-user")
    ])
  }

  const bootDevices = [val("device", "hd")]
  if (r.chance(0.2)) bootDevices.push(val("device", "cdrom"))
  if (r.chance(0.05)) bootDevices.push(val("device", "network"))
  const pinned = r.chance(0.1)
  const placement = [val("affinity", pinned ? "pinned" : r.oneOf(["migratable", "migratable", "user_migratable"]))]
  if (pinned) placement.push(el("hosts", [reference("host", "hosts", host.id)]))

  const body: Array<El> = [
    el("actions", VM_ACTIONS.map((a) => el("link", undefined, { href: `${self}/${a}`, rel: a }))),
    val("name", name),
    val("description", r.oneOf(DESCRIPTIONS)),
    val("comment", r.chance(0.2) ? `owner: user${r.between(1, 400)}@example.com; ticket OPS-${r.between(1000, 99999)}` : ""),
    ...VM_LINKS.map((l) => el("link", undefined, { href: `${self}/${l}`, rel: l })),
    el("bios", [el("boot_menu", [val("enabled", r.chance(0.1))]), val("type", r.oneOf(["q35_sea_bios", "q35_ovmf", "q35_secure_boot", "i440fx_sea_bios"]))]),
    el("cpu", vmType === "high_performance" ? [val("architecture", "x86_64"), val("mode", "host_passthrough"), topology] : [val("architecture", "x86_64"), topology]),
    val("cpu_shares", r.oneOf([0, 0, 0, 512, 1024])),
    val("creation_time", r.dateTime(2019, 2024)),
    val("delete_protected", r.chance(0.15)),
    el("display", display),
    el("high_availability", [val("enabled", ha), val("priority", ha ? r.oneOf([1, 50, 100]) : 0)]),
    ...(initialization ? [initialization] : []),
    el("io", [val("threads", r.oneOf([0, 0, 1, 2]))]),
    reference("large_icon", "icons", r.oneOf(setup.icons)),
    ...(ha ? [el("lease", [reference("storage_domain", "storagedomains", r.oneOf(setup.storageDomains))])] : []),
    val("memory", memory),
    el("memory_policy", [val("ballooning", !windows && r.chance(0.7)), val("guaranteed", r.chance(0.5) ? memory : memory * 0.75), val("max", memory * 4)]),
    el("migration", [val("auto_converge", "inherit"), val("compressed", "inherit"), val("encrypted", "inherit")]),
    val("migration_downtime", -1),
    val("multi_queues_enabled", true),
    val("origin", r.oneOf(["ovirt", "ovirt", "ovirt", "vmware", "kvm"])),
    el("os", [el("boot", [el("devices", bootDevices)]), val("type", osType)]),
    el("placement_policy", placement),
    el("serial_number", [val("policy", "vm")]),
    reference("small_icon", "icons", r.oneOf(setup.icons)),
    el("sso", [el("methods", [el("method", undefined, { id: "guest_agent" })])]),
    val("start_paused", false),
    val("stateless", r.chance(0.05)),
    val("storage_error_resume_behaviour", ha ? "kill" : "auto_resume"),
    el("time_zone", [val("name", windows ? "GMT Standard Time" : "Etc/GMT")]),
    val("tpm_enabled", windows),
    val("type", vmType),
    el("usb", [val("enabled", r.chance(0.1))]),
    val("virtio_scsi_multi_queues_enabled", true),
    reference("cluster", "clusters", cluster.id),
    reference("cpu_profile", "cpuprofiles", cluster.cpuProfile),
    el("quota", undefined, { id: r.oneOf(setup.quotas) }),
    el("console", [val("enabled", r.chance(0.3))])
  ]
  if (r.chance(0.25)) {
    const properties = [el("custom_property", [val("name", "hugepages"), val("value", r.oneOf([2048, 1048576]))])]
    if (r.chance(0.5)) properties.push(el("custom_property", [val("name", "viodiskcache"), val("value", "writeback")]))
    body.push(el("custom_properties", properties))
  }
  body.push(
    el("rng_device", [el("rate", [val("bytes", 1024), val("period", 1000)]), val("source", "urandom")]),
    val("soundcard_enabled", windows || r.chance(0.1)),
    el("virtio_scsi", [val("enabled", true)]),
    val("cpu_pinning_policy", "none")
  )
  if (running) {
    const minor = r.between(0, 4)
    body.push(
      val("fqdn", `${name}.example.com`),
      el("guest_operating_system", [
        val("architecture", "x86_64"),
        val("codename", windows ? "" : r.oneOf(["Ootpa", "Plow", "bookworm", "jammy"])),
        val("distribution", distribution),
        val("family", family),
        el("kernel", [
          el("version", [
            val("build", 0),
            val("full_version", windows ? "10.0.17763" : `5.14.0-${r.between(70, 430)}.el9.x86_64`),
            val("major", windows ? 10 : 5),
            val("minor", windows ? 0 : 14),
            val("revision", r.between(0, 430))
          ])
        ]),
        el("version", [val("full_version", windows ? "2019" : `9.${minor}`), val("major", windows ? 2019 : 9), val("minor", minor)])
      ]),
      el("guest_time_zone", [val("name", windows ? "GMT Standard Time" : "UTC"), val("utc_offset", "+00:00")])
    )
  }
  body.push(val("has_illegal_images", false), val("next_run_configuration_exists", r.chance(0.08)), val("numa_tune_mode", "interleave"))
  if (running) body.push(val("run_once", false), val("start_time", r.dateTime(2024, 2025)))
  body.push(val("status", status), val("stop_reason", ""))
  if (!running) body.push(val("stop_time", r.dateTime(2023, 2025)))
  if (running) body.push(reference("host", "hosts", host.id))
  body.push(reference("original_template", "templates", template), reference("template", "templates", template))
  return el("vm", body, { href: self, id })
}

const escapeText = (s: string): string => (/[&<>]/.test(s) ? s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;") : s)
const escapeAttr = (s: string): string => (/[&<>"]/.test(s) ? escapeText(s).replace(/"/g, "&quot;") : s)

/** The element as the engine indents it (4 spaces a level, one element per line). */
export const toXml = (node: El, depth: number): string => {
  const indent = INDENTS[depth] ?? "    ".repeat(depth)
  let open = `${indent}<${node.tag}`
  if (node.attrs) for (const k in node.attrs) open += ` ${k}="${escapeAttr(node.attrs[k])}"`
  const body = node.body
  if (body === undefined || body === "") return `${open}/>\n`
  if (typeof body === "string") return `${open}>${escapeText(body)}</${node.tag}>\n`
  let out = `${open}>\n`
  for (const child of body) out += toXml(child, depth + 1)
  return `${out}${indent}</${node.tag}>\n`
}
const INDENTS = Array.from({ length: 12 }, (_, i) => "    ".repeat(i))

/** Tags that may repeat inside their parent: arrays in the engine's JSON form. */
const REPEATED = new Set(["link", "device", "method", "custom_property", "host", "nic_configuration"])

/** The element in the engine's JSON form. */
export const toJsonValue = (node: El): unknown => {
  if (typeof node.body === "string") return node.body
  const out: Record<string, unknown> = {}
  for (const child of node.body ?? []) {
    const value = toJsonValue(child)
    if (REPEATED.has(child.tag)) ((out[child.tag] ??= []) as Array<unknown>).push(value)
    else out[child.tag] = value
  }
  if (node.attrs) Object.assign(out, node.attrs)
  return out
}

export const XML_HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<vms>\n'
export const XML_TAIL = "</vms>\n"

/** The VMs of a document one at a time (deterministic for a seed). */
export function* vms(count: number, seed = 1): Generator<El> {
  const setup = new Setup(new Random(seed))
  for (let n = 1; n <= count; n++) yield makeVm(setup, n)
}

/** The whole XML document of `count` VMs. */
export const vmsXml = (count: number, seed = 1): string => {
  const parts = [XML_HEAD]
  for (const vm of vms(count, seed)) parts.push(toXml(vm, 1))
  parts.push(XML_TAIL)
  return parts.join("")
}

/** The same data in the engine's JSON form: `{"vm":[...]}`. */
export const vmsJson = (count: number, seed = 1): string => {
  const parts: Array<string> = []
  for (const vm of vms(count, seed)) parts.push(JSON.stringify(toJsonValue(vm), null, 2))
  return `{\n  "vm" : [ ${parts.join(", ")} ]\n}\n`
}

/**
 * The bytes of a `count`-VM document in chunks of about `size` bytes, made as they are pulled from
 * a pool of `pool` distinct VMs (encoded once): making the chunks costs a copy, so a streaming
 * measurement measures the decoder, and the whole document never exists at once.
 */
export function* vmsXmlChunks(count: number, size: number, pool = 1000, seed = 1): Generator<Uint8Array> {
  const encoder = new TextEncoder()
  const blocks = Array.from(vms(Math.min(pool, count), seed), (vm) => encoder.encode(toXml(vm, 1)))
  let chunk = new Uint8Array(size + 64 * 1024)
  let used = 0
  const put = (bytes: Uint8Array): void => {
    if (used + bytes.length > chunk.length) {
      const bigger = new Uint8Array(used + bytes.length)
      bigger.set(chunk.subarray(0, used))
      chunk = bigger
    }
    chunk.set(bytes, used)
    used += bytes.length
  }
  put(encoder.encode(XML_HEAD))
  for (let n = 0; n < count; n++) {
    put(blocks[n % blocks.length])
    if (used >= size) {
      yield chunk.slice(0, size)
      const rest = chunk.subarray(size, used)
      chunk.set(rest, 0)
      used = rest.length
    }
  }
  put(encoder.encode(XML_TAIL))
  while (used > 0) {
    const n = Math.min(size, used)
    yield chunk.slice(0, n)
    chunk.copyWithin(0, n, used)
    used -= n
  }
}
