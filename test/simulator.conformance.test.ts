/**
 * The simulator as a client in another language sees it: raw HTTPS (node:https, not our SDK), the
 * answers' shapes checked against the members an engine 4.6 always sends for each main type, for a
 * seeded and for a newly added object of each; then discovery (welcome page, pki-resource, SSO's
 * strict Accept), jobs with correlation ids, events with `from`, and the engine's validations.
 */
import { X509Certificate } from "node:crypto"
import * as https from "node:https"
import { describe, expect, it } from "@effect/vitest"
import { Simulator } from "../src/testing/index.js"
import { sharedSimulator } from "./support/simulator.js"

type Sim = Simulator.RunningSimulator
interface Answer {
  readonly status: number
  readonly type: string
  readonly headers: Readonly<Record<string, string | Array<string> | undefined>>
  readonly body: string
}

const request = (sim: Sim, path: string, init: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<Answer> =>
  new Promise((resolve, reject) => {
    const url = new URL(path, sim.url)
    const req = https.request(url, { method: init.method ?? "GET", headers: init.headers ?? {}, ca: sim.caPem }, (res) => {
      let body = ""
      res.setEncoding("utf8")
      res.on("data", (c: string) => (body += c))
      res.on("end", () => resolve({ status: res.statusCode ?? 0, type: String(res.headers["content-type"] ?? ""), headers: res.headers, body }))
    })
    req.on("error", reject)
    req.end(init.body)
  })

const basic = (sim: Sim) => `Basic ${Buffer.from(`${sim.username}:${sim.password}`).toString("base64")}`

/** An API call with basic credentials, as curl or a foreign client would make it. */
const api = (sim: Sim, method: string, path: string, body?: string, headers: Record<string, string> = {}) =>
  request(sim, `/ovirt-engine/api/${path}`, {
    method,
    headers: { Authorization: basic(sim), Version: "4", Accept: "application/xml", ...(body ? { "Content-Type": "application/xml" } : {}), ...headers },
    ...(body ? { body } : {})
  })

/** The names of the direct children of the document's root element (a foreign client's reading). */
const childNames = (xml: string): Array<string> => {
  const names: Array<string> = []
  let depth = 0
  for (const m of xml.matchAll(/<(\/?)([a-z_0-9]+)[^>]*?(\/?)>/g)) {
    const [, closing, name, selfClosing] = m
    if (closing) depth--
    else {
      if (depth === 1) names.push(name)
      if (!selfClosing) depth++
    }
  }
  return names
}

/** The text of the first `<tag>` element, at any depth below the root. */
const textOf = (xml: string, tag: string): string | undefined => xml.match(new RegExp(`<${tag}>([^<]*)</${tag}>`))?.[1]
const idOf = (xml: string): string => xml.match(/^<[a-z_]+ [^>]*?id="([^"]+)"/)![1]

/** Members an engine 4.6 always sends, per type (its REST mappers; the model's member docs). */
const always: Record<string, ReadonlyArray<string>> = {
  vm: [
    "name", "comment", "description", "status", "memory", "memory_policy", "cpu", "type", "origin", "stateless", "high_availability",
    "placement_policy", "usb", "display", "os", "bios", "io", "sso", "time_zone", "delete_protected", "start_paused", "cpu_shares",
    "migration_downtime", "creation_time", "cluster", "template", "original_template"
  ],
  template: ["name", "comment", "description", "status", "memory", "memory_policy", "cpu", "os", "type", "display", "usb", "high_availability", "stateless", "bios", "creation_time", "version"],
  instance_type: ["name", "comment", "description", "status", "memory", "memory_policy", "cpu", "display", "os"],
  cluster: [
    "name", "comment", "description", "cpu", "data_center", "version", "memory_policy", "ballooning_enabled", "error_handling", "fencing_policy",
    "ha_reservation", "ksm", "migration", "threads_as_cores", "trusted_service", "tunnel_migration", "virt_service", "gluster_service",
    "bios_type", "firewall_type", "switch_type", "required_rng_sources"
  ],
  host: ["name", "comment", "description", "address", "status", "cluster", "port", "type", "protocol", "ksm", "se_linux", "power_management", "kdump_status", "external_status", "update_available"],
  disk: [
    "name", "comment", "description", "alias", "format", "sparse", "shareable", "status", "provisioned_size", "actual_size", "total_size",
    "storage_type", "content_type", "wipe_after_delete", "propagate_errors", "storage_domains", "image_id", "backup", "qcow_version"
  ],
  disk_attachment: ["active", "bootable", "interface", "pass_discard", "read_only", "uses_scsi_reservation", "disk", "vm"],
  nic: ["name", "comment", "description", "interface", "linked", "plugged", "mac", "vnic_profile", "vm", "synced"],
  storage_domain: [
    "name", "comment", "description", "type", "storage", "available", "used", "committed", "master", "storage_format", "backup", "block_size",
    "discard_after_delete", "wipe_after_delete", "warning_low_space_indicator", "critical_space_action_blocker", "external_status", "supports_discard"
  ],
  data_center: ["name", "comment", "description", "local", "quota_mode", "status", "storage_format", "version"],
  network: ["name", "comment", "description", "data_center", "mtu", "stp", "usages", "required"],
  vnic_profile: ["name", "comment", "description", "network", "pass_through", "port_mirroring", "migratable"],
  affinity_group: ["name", "comment", "description", "cluster", "enforcing", "positive", "priority", "vms_rule", "hosts_rule", "broken"],
  snapshot: ["description", "date", "persist_memorystate", "snapshot_status", "snapshot_type", "vm"],
  job: ["description", "comment", "status", "start_time", "last_updated", "auto_cleared", "external", "owner"],
  event: ["description", "comment", "code", "severity", "time", "origin", "custom_id", "flood_rate", "index"],
  tag: ["name", "comment", "description"]
}

const missingIn = (xml: string, type: string): Array<string> => {
  const have = new Set(childNames(xml))
  return always[type].filter((m) => !have.has(m))
}

/** The first object of a list answer, as its own document. */
const firstOf = (list: string, tag: string): string => {
  const start = list.indexOf(`<${tag} `)
  let depth = 0
  for (const m of list.slice(start).matchAll(new RegExp(`<(/?)${tag}[ >/]`, "g"))) {
    depth += m[1] ? -1 : 1
    if (depth === 0) return list.slice(start, start + m.index! + tag.length + 3)
  }
  throw new Error(`no <${tag}> in the list`)
}

describe("Simulator conformance: answers shaped as an engine's, read over raw HTTPS", () => {
  let sim: Sim
  sharedSimulator({ seed: "conformance", timing: { vmStart: 40, vmStop: 20, lock: 20, host: 20 } }, (started) => (sim = started))

  it("every seeded object of the main types carries what the engine always sends", async () => {
    const lists: Record<string, string> = {
      vm: "vms?all_content=true", template: "templates", instance_type: "instancetypes", cluster: "clusters", host: "hosts", disk: "disks",
      storage_domain: "storagedomains", data_center: "datacenters", network: "networks", vnic_profile: "vnicprofiles", event: "events", tag: "tags"
    }
    const missing: Record<string, Array<string>> = {}
    for (const [type, path] of Object.entries(lists)) {
      const answer = await api(sim, "GET", path)
      expect(answer.status, path).toBe(200)
      missing[type] = missingIn(firstOf(answer.body, type), type)
    }
    const vmId = sim.objects("vms")[0].id as string
    missing.disk_attachment = missingIn(firstOf((await api(sim, "GET", `vms/${vmId}/diskattachments`)).body, "disk_attachment"), "disk_attachment")
    missing.nic = missingIn(firstOf((await api(sim, "GET", `vms/${vmId}/nics`)).body, "nic"), "nic")
    expect(missing).toEqual(Object.fromEntries(Object.keys(missing).map((k) => [k, []])))
    // A fresh engine's instance types and the root tag are there.
    const types = (await api(sim, "GET", "instancetypes")).body
    expect(types.split("<instance_type ").slice(1).map((t) => textOf(`<instance_type ${t}`, "name"))).toEqual(["Tiny", "Small", "Medium", "Large", "XLarge"])
    expect((await api(sim, "GET", "tags/00000000-0000-0000-0000-000000000000")).body).toContain("<name>root</name>")
  })

  it("every added object carries the same, a new VM what it inherits from its template and cluster", async () => {
    const cluster = sim.objects("clusters").find((c) => c.name === "Default")!
    const dc = sim.objects("datacenters")[0]
    const sd = sim.objects("storagedomains").find((s) => s.type === "data")!
    const profile = sim.objects("vnicprofiles")[0]
    const added: Record<string, string> = {}
    const add = async (type: string, path: string, body: string) => {
      const answer = await api(sim, "POST", path, body)
      expect(answer.status, `${path}: ${answer.body}`).toBe(201)
      added[type] = answer.body
      return idOf(answer.body)
    }
    const vm = await add("vm", "vms", `<vm><name>conf-vm</name><cluster><name>Default</name></cluster><template><name>Blank</name></template></vm>`)
    await add("disk", "disks", `<disk><alias>conf-disk</alias><provisioned_size>1073741824</provisioned_size><format>cow</format><interface>virtio_scsi</interface><storage_domains><storage_domain id="${sd.id as string}"/></storage_domains></disk>`)
    await add("disk_attachment", `vms/${vm}/diskattachments`, `<disk_attachment><bootable>true</bootable><interface>virtio_scsi</interface><disk><name>conf-boot</name><provisioned_size>1073741824</provisioned_size><format>cow</format><storage_domains><storage_domain id="${sd.id as string}"/></storage_domains></disk></disk_attachment>`)
    await add("nic", `vms/${vm}/nics`, `<nic><name>nic1</name><vnic_profile id="${profile.id as string}"/></nic>`)
    await add("affinity_group", `clusters/${cluster.id as string}/affinitygroups`, `<affinity_group><name>conf-ag</name></affinity_group>`)
    sim.settle()
    await add("snapshot", `vms/${vm}/snapshots`, `<snapshot><description>conf-snap</description></snapshot>`)
    await add("tag", "tags", `<tag><name>conf-tag</name></tag>`)
    const dcNew = await add("data_center", "datacenters", `<data_center><name>conf-dc</name><local>false</local></data_center>`)
    await add("cluster", "clusters", `<cluster><name>conf-cluster</name><cpu><type>Intel Cascadelake Server Family</type></cpu><data_center id="${dcNew}"/></cluster>`)
    const net = await add("network", "networks", `<network><name>conf-net</name><data_center id="${dc.id as string}"/></network>`)
    await add("vnic_profile", "vnicprofiles", `<vnic_profile><name>conf-profile</name><network id="${net}"/></vnic_profile>`)
    await add("instance_type", "instancetypes", `<instance_type><name>conf-type</name></instance_type>`)
    await add("host", "hosts", `<host><name>conf-host</name><address>conf-host.example.com</address><root_password>secret</root_password><cluster id="${cluster.id as string}"/></host>`)
    await add("storage_domain", "storagedomains", `<storage_domain><name>conf-sd</name><type>data</type><storage><type>nfs</type><address>nfs.example.com</address><path>/exports/conf</path></storage><host><name>host01</name></host></storage_domain>`)
    sim.settle()
    await add("template", "templates", `<template><name>conf-tpl</name><vm id="${vm}"/></template>`)
    const missing = Object.fromEntries(Object.entries(added).map(([type, xml]) => [type, missingIn(xml, type)]))
    expect(missing).toEqual(Object.fromEntries(Object.keys(added).map((k) => [k, []])))
    // Inherited: the cluster's architecture and CPU profile, the template's memory and its policy.
    const got = (await api(sim, "GET", `vms/${vm}?all_content=true`)).body
    expect(textOf(got, "architecture")).toBe("x86_64")
    expect(textOf(got, "guaranteed")).toBe(String(1024 ** 3))
    expect(childNames(got)).toEqual(expect.arrayContaining(["cpu_profile", "soundcard_enabled"]))
    expect(textOf(added.affinity_group, "enforcing")).toBe("false")
    expect(added.affinity_group).toContain(`<cluster id="${cluster.id as string}"`)
    // The VM's graphics console, as the template's graphics device gives it.
    expect((await api(sim, "GET", `vms/${vm}/graphicsconsoles`)).body).toContain("<protocol>vnc</protocol>")
    // Secrets sent in an add are not kept nor echoed.
    expect(added.host).not.toContain("secret")
  })

  it("jobs carry the request's correlation id (query or header), with steps, and end finished; events follow with 'from'", async () => {
    const vm = sim.objects("vms").find((v) => v.status === "down")!.id as string
    const before = Number(idOf(firstOf((await api(sim, "GET", "events")).body, "event")))
    const started = await api(sim, "POST", `vms/${vm}/start?correlation_id=conf-corr-1`, "<action/>")
    expect(started.status).toBe(200)
    const jobId = started.body.match(/<job [^>]*id="([^"]+)"/)![1]
    const stopped = await api(sim, "POST", `vms/${vm}/stop`, "<action/>", { "Correlation-Id": "conf-corr-2" })
    expect(stopped.status).toBe(200)
    sim.settle()
    const job = (await api(sim, "GET", `jobs/${jobId}`)).body
    expect(missingIn(job, "job")).toEqual([])
    expect(textOf(job, "status")).toBe("finished")
    expect(textOf(job, "description")).toMatch(/^Launching VM /)
    const steps = (await api(sim, "GET", `jobs/${jobId}/steps`)).body
    expect([...steps.matchAll(/<type>([^<]+)<\/type>/g)].map((m) => m[1]).sort()).toEqual(["executing", "validating"])
    const events = (await api(sim, "GET", `events?from=${before}`)).body
    // Jobs of the earlier adds may end meanwhile and log too: only this VM's events are compared.
    const ofVm = events.split("<event ").slice(1).filter((e) => e.includes(`<vm id="${vm}"`))
    const codes = ofVm.map((e) => [Number(textOf(e, "code")), textOf(e, "correlation_id")])
    // Newest first: USER_STARTED_VM (153) under the first id, USER_STOP_VM (33) under the second,
    // then VM_DOWN (61), which the engine's monitoring logs, not the request.
    expect(codes).toEqual([[61, undefined], [33, "conf-corr-2"], [153, "conf-corr-1"]])
    const indexes = [...events.matchAll(/<index>(\d+)<\/index>/g)].map((m) => Number(m[1]))
    expect(indexes.length).toBeGreaterThanOrEqual(3)
    expect(indexes.every((index, i) => index > before && (i === 0 || index < indexes[i - 1]))).toBe(true)
    expect(missingIn(firstOf(events, "event"), "event")).toEqual([])
  })

  it("validates as the engine: stop of a down VM is a no-op, duplicate names and removals in use are 409", async () => {
    const down = sim.objects("vms").find((v) => v.status === "down" && v.name !== "conf-vm")!
    const noop = await api(sim, "POST", `vms/${down.id as string}/stop`, "<action/>")
    expect([noop.status, textOf(noop.body, "status")]).toEqual([200, "complete"])
    expect(sim.objects("vms").find((v) => v.id === down.id)?.status).toBe("down")
    const nicName = sim.objects(`vms/${down.id as string}/nics`)[0].name as string
    const dupNic = await api(sim, "POST", `vms/${down.id as string}/nics`, `<nic><name>${nicName}</name></nic>`)
    expect([dupNic.status, textOf(dupNic.body, "detail")]).toEqual([409, "[Cannot add Interface. The VM Network Interface name is already in use.]"])
    const dupVm = await api(sim, "POST", "vms", `<vm><name>${down.name as string}</name><cluster><name>Default</name></cluster><template><name>Blank</name></template></vm>`)
    expect(dupVm.status).toBe(409)
    const tpl = sim.objects("templates").find((t) => t.name === "rhel-9")!
    const usedTpl = await api(sim, "DELETE", `templates/${tpl.id as string}`)
    expect([usedTpl.status, textOf(usedTpl.body, "detail")]).toEqual([409, expect.stringMatching(/^\[Cannot delete Template\. Template is being used by the following VMs: /)])
    const up = sim.objects("vms").find((v) => v.status === "up")!
    const diskOfUp = sim.objects(`vms/${up.id as string}/diskattachments`)[0].id as string
    const busyDisk = await api(sim, "DELETE", `disks/${diskOfUp}`)
    expect(busyDisk.status).toBe(409)
    const activeSd = sim.objects("storagedomains").find((s) => s.status === "active")!
    const busySd = await api(sim, "DELETE", `storagedomains/${activeSd.id as string}`)
    expect([busySd.status, textOf(busySd.body, "detail")]).toEqual([409, "[Cannot remove Storage. The relevant Storage Domain's status is Active.]"])
    // Nothing was removed by the refusals.
    expect(sim.objects("disks").some((d) => d.id === diskOfUp)).toBe(true)
    expect(sim.objects("storagedomains").some((s) => s.id === activeSd.id)).toBe(true)
  })

  it("stop, shutdown and remove answer in every VM state what the engine's commands answer", async () => {
    const cluster = { id: sim.objects("clusters")[0].id }
    // Per state: stop, shutdown, remove (status, and the fault's detail when refused).
    const cases: ReadonlyArray<readonly [string, number, number, number]> = [
      ["down", 200, 200, 200],
      ["up", 200, 200, 409],
      ["wait_for_launch", 200, 200, 409],
      ["powering_up", 200, 200, 409],
      ["powering_down", 200, 200, 409],
      ["paused", 200, 200, 409],
      ["suspended", 200, 200, 200],
      ["image_locked", 409, 409, 409],
      ["saving_state", 409, 409, 409],
      ["restoring_state", 409, 409, 409]
    ]
    const seen: Array<readonly [string, number, number, number]> = []
    for (const [state] of cases) {
      const answers: Array<number> = []
      for (const op of ["stop", "shutdown", "remove"]) {
        const vm = sim.insert("vms", { name: `state-${state}-${op}`, status: state, cluster })
        const answer = op === "remove" ? await api(sim, "DELETE", `vms/${vm.id as string}`) : await api(sim, "POST", `vms/${vm.id as string}/${op}`, "<action/>")
        answers.push(answer.status)
        if (answer.status === 409) expect(textOf(answer.body, "detail")).toMatch(/^\[Cannot (stop|shutdown|remove) VM\. /)
        // A refusal changes nothing.
        if (answer.status === 409) expect(sim.objects("vms").find((v) => v.id === vm.id)?.status).toBe(state)
      }
      seen.push([state, answers[0], answers[1], answers[2]])
    }
    expect(seen).toEqual(cases)
  })

  it("SSO compares Accept as a whole string: the exact value gets a token, a list gets the 400 JSON error", async () => {
    const form = new URLSearchParams({ grant_type: "password", scope: "ovirt-app-api", username: sim.username, password: sim.password }).toString()
    const ask = (accept: string) =>
      request(sim, "/ovirt-engine/sso/oauth/token", { method: "POST", headers: { "Content-Type": "application/x-www-form-urlencoded", Accept: accept }, body: form })
    const good = await ask("application/json")
    expect(good.status).toBe(200)
    expect(JSON.parse(good.body)).toMatchObject({ token_type: "bearer", access_token: expect.any(String) })
    const browserLike = await ask("application/json, text/plain, */*")
    expect(browserLike.status).toBe(400)
    expect(JSON.parse(browserLike.body)).toEqual({ error_code: "invalid_request", error: "Missing parameter: 'Accept Header'" })
    // The refusal does not echo the password.
    expect(browserLike.body).not.toContain(sim.password)
  })

  it("answers the API root without credentials, for GET and HEAD, as the engine's EnforceAuthFilter does", async () => {
    for (const method of ["GET", "HEAD"]) {
      for (const path of ["/ovirt-engine/api", "/ovirt-engine/api/"]) {
        const answer = await request(sim, path, { method, headers: { Version: "4", Prefer: "persistent-auth" } })
        expect([method, path, answer.status, answer.headers["www-authenticate"]]).toEqual([method, path, 401, 'Basic realm="RESTAPI"'])
        if (method === "HEAD") expect(answer.body).toBe("")
      }
    }
    // With credentials the root answers, GET and HEAD alike (HEAD without a body).
    const head = await api(sim, "HEAD", "")
    expect([head.status, head.body]).toEqual([200, ""])
    expect(childNames((await api(sim, "GET", "")).body)).toEqual(expect.arrayContaining(["product_info", "summary", "time", "link"]))
  })

  it("serves the welcome page, the CA in the PKI servlet's formats, and refuses unknown ones", async () => {
    const redirect = await request(sim, "/ovirt-engine")
    expect([redirect.status, redirect.headers.location]).toEqual([302, "/ovirt-engine/"])
    const welcome = await request(sim, "/ovirt-engine/")
    expect([welcome.status, welcome.type]).toEqual([200, "text/html;charset=UTF-8"])
    expect(welcome.body).toContain("<title>oVirt Engine</title>")
    const pki = (query: string) => request(sim, `/ovirt-engine/services/pki-resource?${query}`)
    const ca = await pki("resource=ca-certificate&format=X509-PEM-CA")
    expect([ca.status, ca.type]).toEqual([200, "application/x-x509-ca-cert"])
    expect(new X509Certificate(ca.body).fingerprint256).toBe(new X509Certificate(sim.caPem).fingerprint256)
    expect(ca.body.split("\n").every((line) => line.length <= 76)).toBe(true)
    const engineCert = await pki("resource=engine-certificate")
    expect(engineCert.type).toBe("application/x-x509-cert")
    expect(new X509Certificate(engineCert.body).checkIssued(new X509Certificate(sim.caPem))).toBe(true)
    const ssh = await pki("resource=ca-certificate&format=OPENSSH-PUBKEY")
    expect([ssh.status, ssh.type]).toEqual([200, "text/plain"])
    expect(ssh.body).toMatch(/^(ssh-rsa|ecdsa-sha2-nistp\d+) [A-Za-z0-9+/=]+\n$/)
    expect((await pki("resource=ca-certificate&format=DER")).status).toBe(400)
    expect((await pki("resource=private-key")).status).toBe(400)
    expect((await pki("")).status).toBe(400)
  })
})
