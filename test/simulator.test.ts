/**
 * The SDK against the simulator, end to end over HTTPS on loopback: lifecycle flows, search, max,
 * paging and follow, SSO (both error shapes, expiry recovered, revoke on close), the fault knobs
 * giving the right tagged errors, and many concurrent calls over a small pool.
 */
import { X509Certificate } from "node:crypto"
import * as fs from "node:fs"
import * as https from "node:https"
import { Chunk, Effect, Exit, Redacted, Stream } from "effect"
import { describe, expect, it, onTestFinished } from "@effect/vitest"
import { Connection, system, Types, Xml } from "../src/index.js"
import { Simulator } from "../src/testing/index.js"
import * as Testing from "../src/testing/index.js"
import { servedFingerprint } from "./support/tls.js"
import { sharedSimulator } from "./support/simulator.js"

type Sim = Simulator.RunningSimulator

const FAST = { vmStart: 60, vmStop: 30, lock: 30, host: 30 }

/** `program` over a fresh Connection to `sim` (closed, token revoked, at the end). */
const run = <A, E>(sim: Simulator.Simulator, program: Effect.Effect<A, E, Connection.Connection>, settings: Simulator.ConnectionSettings = {}) =>
  program.pipe(Effect.provide(Connection.layer(Simulator.connectionOptions(sim, settings))))

const runExit = <A, E>(sim: Simulator.Simulator, program: Effect.Effect<A, E, Connection.Connection>, settings: Simulator.ConnectionSettings = {}) =>
  Effect.exit(run(sim, program, settings))

/** Sets a knob of a shared simulator for the test's scope: put back however the test ends. */
const knob = (set: () => void, reset: () => void) => Effect.acquireRelease(Effect.sync(set), () => Effect.sync(reset))

/** Polls until `done` (the simulator's clock is real, its transitions take a few ms here). */
const until = <A, E, R>(get: Effect.Effect<A, E, R>, done: (a: A) => boolean): Effect.Effect<A, E, R> =>
  Effect.flatMap(get, (a) => (done(a) ? Effect.succeed(a) : Effect.zipRight(Effect.sleep("10 millis"), Effect.suspend(() => until(get, done)))))

/** A raw HTTPS request, for what the SDK hides (status, content type, body). */
const raw = (sim: Simulator.Simulator, path: string, init: { method?: string; headers?: Record<string, string>; body?: string } = {}) =>
  Effect.promise(() => new Promise<{ status: number; type: string; body: string }>((resolve, reject) => {
    const url = new URL(path, sim.url)
    const req = https.request(url, { method: init.method ?? "GET", headers: init.headers ?? {}, ca: sim.caPem, agent: false }, (res) => {
      let body = ""
      res.setEncoding("utf8")
      res.on("data", (c: string) => (body += c))
      res.on("end", () => resolve({ status: res.statusCode ?? 0, type: String(res.headers["content-type"] ?? ""), body }))
    })
    req.on("error", reject)
    req.end(init.body)
  }))

const token = (sim: Simulator.Simulator, password = sim.password) =>
  raw(sim, "/ovirt-engine/sso/oauth/token", {
    method: "POST",
    // The engine's SSO insists on exactly this Accept.
    headers: { "Content-Type": "application/x-www-form-urlencoded", Accept: "application/json" },
    body: new URLSearchParams({ grant_type: "password", scope: "ovirt-app-api", username: sim.username, password }).toString()
  })

describe("Simulator: inventory, search and links", () => {
  let sim: Sim
  sharedSimulator({ seed: "tests", timing: FAST }, (started) => (sim = started))

  it.scopedLive("serves the seeded inventory, deterministic for a seed", () =>
    Effect.gen(function* () {
      const [vms, hosts, clusters, templates, domains] = yield* run(
        sim,
        Effect.all([system.vms.list(), system.hosts.list(), system.clusters.list(), system.templates.list(), system.storageDomains.list()])
      )
      expect(vms.length).toBe(36)
      expect(hosts.map((h) => h.name)).toEqual(["host01", "host02", "host03"])
      expect(clusters.map((c) => c.name)).toEqual(["Default", "Production"])
      expect(templates.map((t) => t.name)).toContain("Blank")
      expect(domains.filter((d) => d.type === "data").length).toBe(2)
      const again = yield* Simulator.make({ seed: "tests" })
      const vms2 = yield* run(again, system.vms.list())
      expect(vms2.map((v) => [v.id, v.name, v.status])).toEqual(vms.map((v) => [v.id, v.name, v.status]))
    }))

  it.live("searches by name wildcard, status, id, and/or, case sensitivity; max; page", () =>
    Effect.gen(function* () {
      const all = yield* run(sim, system.vms.list())
      const web = yield* run(sim, system.vms.list({ search: "name=web*" }))
      expect(web.map((v) => v.name)).toEqual(all.filter((v) => v.name!.startsWith("web")).map((v) => v.name))
      const up = yield* run(sim, system.vms.list({ search: "status=up" }))
      expect(up.length).toBe(all.filter((v) => v.status === "up").length)
      const one = yield* run(sim, system.vms.list({ search: `id=${all[3].id}` }))
      expect(one.map((v) => v.id)).toEqual([all[3].id])
      const webUp = yield* run(sim, system.vms.list({ search: "name=web* and status=up" }))
      expect(webUp.every((v) => v.name!.startsWith("web") && v.status === "up")).toBe(true)
      const webOrDb = yield* run(sim, system.vms.list({ search: "name=web01 or name=db01" }))
      expect(webOrDb.map((v) => v.name).sort()).toEqual(["db01", "web01"])
      // as the engine: case ignored unless case_sensitive=true (absent is false, empty is true)
      expect((yield* run(sim, system.vms.list({ search: "name=WEB01" }))).map((v) => v.name)).toEqual(["web01"])
      expect((yield* run(sim, system.vms.list({ search: "name=WEB01", caseSensitive: false }))).map((v) => v.name)).toEqual(["web01"])
      expect(yield* run(sim, system.vms.list({ search: "name=WEB01", caseSensitive: true }))).toEqual([])
      expect((yield* run(sim, system.vms.list({ max: 5 }))).length).toBe(5)
      const pages = yield* run(
        sim,
        Effect.all([1, 2, 3, 4].map((n) => system.vms.list({ search: `sortby name asc page ${n}`, max: 10 })))
      )
      expect(pages.map((p) => p.length)).toEqual([10, 10, 10, 6])
      const names = pages.flat().map((v) => v.name!)
      expect(names).toEqual([...all.map((v) => v.name!)].sort())
      const byCluster = yield* run(sim, system.vms.list({ search: "cluster=Production" }))
      expect(byCluster.length).toBeGreaterThan(0)
    }))

  it.live("answers a search on an unknown field with a 400 <fault>, not an empty list", () =>
    Effect.gen(function* () {
      const out = yield* run(
        sim,
        Effect.all([
          Effect.flip(system.vms.list({ search: "colour=red" })),
          Effect.flip(system.vms.list({ search: "name=web* and colour=red or flavour=x" })),
          Effect.flip(system.vms.list({ search: "name=web* sortby colour" })),
          system.vms.list({ search: "name=nomatch*" })
        ])
      )
      // The engine's wording: the query with the faulty part between $ signs, or its error code when
      // the fault is at the very end.
      expect(out[0]).toMatchObject({ _tag: "FaultError", code: 400, fault: { reason: "Operation Failed", detail: "Vms: $colour$=red" } })
      expect(out[1]).toMatchObject({ code: 400, fault: { detail: "Vms: name=web* and $colour$=red or flavour=x" } })
      expect(out[2]).toMatchObject({ code: 400, fault: { detail: "INVALID_SORT_FIELD" } })
      // A known field that matches nothing is still an empty list.
      expect(out[3]).toEqual([])
    }))

  it.live("sends <link rel> for list links and inlines them with follow", () =>
    Effect.gen(function* () {
      const vm = (yield* run(sim, system.vms.list({ search: "name=web01" })))[0]
      expect(vm.diskAttachments?.href).toBe(`/ovirt-engine/api/vms/${vm.id}/diskattachments`)
      expect(vm.diskAttachments).toHaveLength(0)
      const full = yield* run(sim, system.vms.vm(vm.id!).get({ follow: "disk_attachments.disk,nics" }))
      expect(full.diskAttachments).toHaveLength(1)
      expect(full.diskAttachments![0].disk?.provisionedSize).toBeGreaterThan(0)
      expect(full.nics![0].mac?.address).toMatch(/^56:6f:/)
      const xml = yield* raw(sim, `/ovirt-engine/api/vms/${vm.id}`, { headers: { Authorization: `Basic ${Buffer.from(`${sim.username}:${sim.password}`).toString("base64")}` } })
      expect(xml.body).toContain(`<link href="/ovirt-engine/api/vms/${vm.id}/start" rel="start"/>`)
      expect(xml.body).toContain('rel="diskattachments"')
      // What the simulator writes is what the model knows (the server's <actions> aside).
      const strict = yield* Xml.decode(xml.body, { strict: true })
      expect(strict).toMatchObject({ id: vm.id, name: "web01" })
    }))

  it.live("answers unknown paths and ids with 404 faults (NotFoundError)", () =>
    Effect.gen(function* () {
      const exit = yield* runExit(sim, system.vms.vm("no-such-vm").get())
      expect(Exit.isFailure(exit) && exit.cause._tag === "Fail" && exit.cause.error._tag).toBe("NotFoundError")
      const t = JSON.parse((yield* token(sim)).body) as { access_token: string }
      const res = yield* raw(sim, "/ovirt-engine/api/nosuchcollection", { headers: { Authorization: `Bearer ${t.access_token}` } })
      expect(res.status).toBe(404)
      expect(res.body).toMatch(/^<fault><detail>.*<\/detail><reason>.*<\/reason><\/fault>$/)
    }))

  it.live("rejects a malformed body and missing mandatory members with 400 faults", () =>
    Effect.gen(function* () {
      const t = JSON.parse((yield* token(sim)).body) as { access_token: string }
      const headers = { Authorization: `Bearer ${t.access_token}`, "Content-Type": "application/xml", Version: "4" }
      const bad = yield* raw(sim, "/ovirt-engine/api/vms", { method: "POST", headers, body: "<vm><name>x</vm>" })
      expect(bad.status).toBe(400)
      expect(bad.body).toContain("<fault>")
      const noCluster = yield* raw(sim, "/ovirt-engine/api/vms", { method: "POST", headers, body: "<vm><name>x</name></vm>" })
      expect(noCluster.status).toBe(400)
      // the engine's wording; the closest signature (addFromScratch: the name is there) says what is missing
      expect(noCluster.body).toBe(
        "<fault><detail>Vm [cluster.id|name, template.id|name] required for add</detail><reason>Incomplete parameters</reason></fault>"
      )
      const disk = yield* raw(sim, "/ovirt-engine/api/disks", { method: "POST", headers, body: "<disk><name>d</name></disk>" })
      expect(disk.status).toBe(400)
      expect(disk.body).toBe("<fault><detail>Disk [format, provisionedSize] required for add</detail><reason>Incomplete parameters</reason></fault>")
      // an integer the engine's schema does not allow is a 400, as its XML binding answers, never stored
      const overflow = yield* raw(sim, "/ovirt-engine/api/vms", {
        method: "POST",
        headers,
        body: "<vm><name>x</name><cluster><name>Default</name></cluster><template><name>Blank</name></template><cpu_shares>3000000000</cpu_shares></vm>"
      })
      expect(overflow.status).toBe(400)
      expect(overflow.body).toContain("Integer value at /vm/cpu_shares is outside -2147483648..2147483647 (xs:int)")
      const v3 = yield* raw(sim, "/ovirt-engine/api/vms", { headers: { ...headers, Version: "3" } })
      expect(v3.status).toBe(400)
    }))

  it.live("accepts a body that satisfies any one signature of the add (issue 14, class 2)", () =>
    Effect.gen(function* () {
      const t = JSON.parse((yield* token(sim)).body) as { access_token: string }
      const headers = { Authorization: `Bearer ${t.access_token}`, "Content-Type": "application/xml", Version: "4" }
      const domains = yield* run(sim, system.storageDomains.list({ search: "type=data" }))
      const domain = domains[0]!
      // the add-on-storage-domain signature: no <interface> (it belongs to the disk attachment now)
      const body = `<disk><name>floating</name><format>cow</format><provisioned_size>1073741824</provisioned_size><storage_domains><storage_domain id="${domain.id}"/></storage_domains></disk>`
      const added = yield* raw(sim, "/ovirt-engine/api/disks", { method: "POST", headers, body })
      expect(added.status).toBe(201)
      const disk = yield* run(sim, Xml.decodeAs(Types.Disk)(added.body))
      expect(disk.name).toBe("floating")
      expect(disk.provisionedSize).toBe(1073741824)
      // a LUN disk without its storage type: one gap in either signature, the LUN one is closer
      const unit = '<logical_unit id="lu1"><address>10.0.0.1</address><port>3260</port><target>iqn.2017-01.com.example:1</target></logical_unit>'
      const lun = yield* raw(sim, "/ovirt-engine/api/disks", {
        method: "POST",
        headers,
        body: `<disk><format>raw</format><lun_storage><logical_units>${unit}</logical_units></lun_storage></disk>`
      })
      expect(lun.status).toBe(400)
      expect(lun.body).toBe("<fault><detail>Disk [lunStorage.type] required for add</detail><reason>Incomplete parameters</reason></fault>")
    }))
})

describe("Simulator: update, actions, remove", () => {
  let sim: Sim
  sharedSimulator({ seed: "crud", timing: FAST }, (started) => (sim = started))

  it.live("PUT merges: members sent replace, nested structs merge, the rest stays", () =>
    Effect.gen(function* () {
      const out = yield* run(
        sim,
        Effect.gen(function* () {
          const [before] = yield* system.vms.list({ search: "name=db01" })
          const vm = system.vms.vm(before.id!)
          const updated = yield* vm.update({ description: "resized", memory: 32 * 2 ** 30, cpu: { topology: { cores: 8 } } })
          const clash = yield* Effect.flip(vm.update({ name: "web01" }))
          return { before, updated, after: yield* vm.get(), clash }
        })
      )
      expect(out.updated.description).toBe("resized")
      expect(out.after.memory).toBe(32 * 2 ** 30)
      expect(out.after.cpu?.topology).toEqual({ ...out.before.cpu?.topology, cores: 8 })
      expect(out.after.name).toBe("db01")
      expect(out.after.cluster?.id).toBe(out.before.cluster?.id)
      expect(out.clash).toMatchObject({ _tag: "FaultError", code: 409 })
    }))

  it.live("answers actions with <action><status>complete</status>, and the outputs the model declares", () =>
    Effect.gen(function* () {
      const [vm] = yield* run(sim, system.vms.list({ search: "status=up", max: 1 }))
      const ticket = yield* run(sim, system.vms.vm(vm.id!).ticket())
      expect(ticket.value).toMatch(/^[0-9a-f]{12}$/)
      expect(ticket.expiry).toBe(7200)
      const t = JSON.parse((yield* token(sim)).body) as { access_token: string }
      const answer = yield* raw(sim, `/ovirt-engine/api/vms/${vm.id}/reboot`, {
        method: "POST",
        headers: { Authorization: `Bearer ${t.access_token}`, "Content-Type": "application/xml", "Accept-Encoding": "gzip" },
        body: "<action/>"
      })
      expect(answer.status).toBe(200)
      expect(answer.type).toContain("application/xml")
    }))

  it.live("gzips answers when asked", () =>
    Effect.gen(function* () {
      const t = JSON.parse((yield* token(sim)).body) as { access_token: string }
      const encoding = yield* Effect.promise(() => new Promise<string | undefined>((resolve, reject) => {
        https
          .get(new URL("vms", `${sim.url}/`), { ca: sim.caPem, agent: false, headers: { Authorization: `Bearer ${t.access_token}`, "Accept-Encoding": "gzip" } }, (res) => {
            res.resume()
            resolve(res.headers["content-encoding"])
          })
          .on("error", reject)
      }))
      expect(encoding).toBe("gzip")
    }))

  it.live("DELETE removes what hangs below the object", () =>
    Effect.gen(function* () {
      const out = yield* run(
        sim,
        Effect.gen(function* () {
          const [vm] = yield* system.vms.list({ search: "status=down", max: 1 })
          const nicsBefore = yield* system.vms.vm(vm.id!).nics.list()
          yield* system.vms.vm(vm.id!).remove()
          const nicsAfter = yield* Effect.flip(system.vms.vm(vm.id!).nics.list())
          return { nicsBefore: nicsBefore.length, nicsAfter: nicsAfter._tag, left: sim.objects(`vms/${vm.id}/nics`).length }
        })
      )
      expect(out).toEqual({ nicsBefore: 1, nicsAfter: "NotFoundError", left: 0 })
    }))
})

describe("Simulator: detach_only, read as the engine reads a boolean parameter", () => {
  let sim: Sim
  sharedSimulator({ seed: "detach-only", vms: 80, timing: FAST }, (started) => (sim = started))

  /** DELETE `path` with `query` as sent; the status. */
  const remove = (path: string, query: string) =>
    Effect.gen(function* () {
      const t = JSON.parse((yield* token(sim)).body) as { access_token: string }
      const answer = yield* raw(sim, `/ovirt-engine/api/${path}${query}`, { method: "DELETE", headers: { Authorization: `Bearer ${t.access_token}` } })
      return answer.status
    })

  /** Whether each disk of a down VM outlives removing the VM, per query. */
  const vmDisksKept = (queries: ReadonlyArray<string>) =>
    Effect.forEach(queries, (query) =>
      Effect.gen(function* () {
        const vm = sim.objects("vms").find((v) => v.status === "down" && sim.objects(`vms/${String(v.id)}/diskattachments`).length > 0)
        if (vm === undefined) throw new Error("the seed has no down VM with disks left")
        const disks = sim.objects(`vms/${String(vm.id)}/diskattachments`).map((a) => String((a.disk as { id: string }).id))
        expect(yield* remove(`vms/${String(vm.id)}`, query)).toBe(200)
        const left = new Set(sim.objects("disks").map((d) => String(d.id)))
        return [query, disks.every((id) => left.has(id))] as const
      }))

  /** Whether the disk outlives removing its attachment, per query. */
  const attachedDiskKept = (queries: ReadonlyArray<string>) =>
    Effect.forEach(queries, (query) =>
      Effect.gen(function* () {
        const vm = sim.objects("vms").find((v) => v.status === "down" && sim.objects(`vms/${String(v.id)}/diskattachments`).length > 0)
        if (vm === undefined) throw new Error("the seed has no down VM with disks left")
        const [attachment] = sim.objects(`vms/${String(vm.id)}/diskattachments`)
        expect(yield* remove(`vms/${String(vm.id)}/diskattachments/${String(attachment.id)}`, query)).toBe(200)
        return [query, sim.objects("disks").some((d) => d.id === (attachment.disk as { id: string }).id)] as const
      }))

  it.live("removing a VM removes its disks unless detach_only is true (empty, true, TRUE, yes, 1); a bad value counts as absent", () =>
    Effect.gen(function* () {
      const kept = yield* vmDisksKept(["", "?detach_only=false", "?detach_only=FALSE", "?detach_only=bogus", "?detach_only", "?detach_only=true", "?detach_only=TRUE", "?detach_only=yes", "?detach_only=1"])
      expect(kept).toEqual([
        ["", false], ["?detach_only=false", false], ["?detach_only=FALSE", false], ["?detach_only=bogus", false],
        ["?detach_only", true], ["?detach_only=true", true], ["?detach_only=TRUE", true], ["?detach_only=yes", true], ["?detach_only=1", true]
      ])
    }))

  it.live("removing a disk attachment keeps the disk unless detach_only is false (false, FALSE, no, 0); a bad value counts as absent", () =>
    Effect.gen(function* () {
      const kept = yield* attachedDiskKept(["", "?detach_only", "?detach_only=TRUE", "?detach_only=bogus", "?detach_only=false", "?detach_only=FALSE", "?detach_only=no", "?detach_only=0"])
      expect(kept).toEqual([
        ["", true], ["?detach_only", true], ["?detach_only=TRUE", true], ["?detach_only=bogus", true],
        ["?detach_only=false", false], ["?detach_only=FALSE", false], ["?detach_only=no", false], ["?detach_only=0", false]
      ])
    }))
})

describe("Simulator: lifecycle", () => {
  let sim: Sim
  sharedSimulator({ seed: "lifecycle", timing: FAST }, (started) => (sim = started))

  /** Slows the given transitions for the scope, then restores them and settles what is pending. */
  const heldUntilSettled = (slow: Partial<typeof FAST>) =>
    knob(() => sim.setTiming(slow), () => {
      sim.setTiming(FAST)
      sim.settle()
    })

  it.live("creates a VM from a template, adds a disk and a NIC, starts, snapshots, stops and removes it", () =>
    Effect.gen(function* () {
      const result = yield* run(
        sim,
        Effect.gen(function* () {
          const added = yield* system.vms.add({ name: "lc1", cluster: { name: "Default" }, template: { name: "rhel-9" } })
          expect(added.status).toBe("image_locked")
          const vm = system.vms.vm(added.id!)
          yield* until(vm.get(), (v) => v.status === "down")
          // The new disk stays locked until settled, however long a busy machine takes to look at it.
          const { att, locked } = yield* Effect.scoped(Effect.gen(function* () {
            yield* heldUntilSettled({ lock: 600_000 })
            const att = yield* vm.diskAttachments.add({ disk: { name: "lc1_data", provisionedSize: 2 ** 30, format: "cow" }, interface: "virtio_scsi", bootable: false })
            return { att, locked: (yield* system.disks.disk(att.disk!.id!).get()).status }
          }))
          expect(locked).toBe("locked")
          yield* until(system.disks.disk(att.disk!.id!).get(), (d) => d.status === "ok")
          const nic = yield* vm.nics.add({ name: "nic2", interface: "virtio" })
          expect(nic.mac?.address).toMatch(/^56:6f:/)
          yield* vm.start()
          const seen = new Set<string>()
          const up = yield* until(vm.get(), (v) => {
            seen.add(v.status!)
            return v.status === "up"
          })
          expect(up.host?.id).toBeDefined()
          const again = yield* Effect.flip(vm.start())
          const removeRunning = yield* Effect.flip(vm.remove())
          const snap = yield* vm.snapshots.add({ description: "s1" })
          yield* until(vm.snapshots.snapshot(snap.id!).get(), (s) => s.snapshotStatus === "ok")
          yield* vm.stop()
          yield* until(vm.get(), (v) => v.status === "down")
          yield* vm.snapshots.snapshot(snap.id!).restore()
          yield* until(vm.get(), (v) => v.status === "down")
          const attachments = yield* vm.diskAttachments.list()
          yield* vm.remove()
          const gone = yield* Effect.flip(vm.get())
          const diskGone = yield* Effect.flip(system.disks.disk(att.disk!.id!).get())
          return { seen, again, removeRunning, attachments, gone, diskGone }
        })
      )
      expect(result.seen.has("up")).toBe(true)
      expect(result.again._tag).toBe("FaultError")
      expect(result.again).toMatchObject({ code: 409, fault: { detail: "[Cannot run VM. VM is running.]" } })
      expect(result.removeRunning).toMatchObject({ _tag: "FaultError", code: 409, fault: { detail: "[Cannot remove VM. VM is running.]" } })
      expect(result.attachments).toHaveLength(2)
      expect(result.gone._tag).toBe("NotFoundError")
      expect(result.diskGone._tag).toBe("NotFoundError")
    }))

  it.live("suspends, resumes, reboots and migrates a running VM", () =>
    Effect.gen(function* () {
      const statuses = yield* run(
        sim,
        Effect.gen(function* () {
          const all = yield* system.vms.list({ search: "status=up and cluster=Default" })
          const vm = system.vms.vm(all[0].id!)
          const from = all[0].host!.id
          yield* vm.migrate()
          const migrated = yield* until(vm.get(), (v) => v.status === "up")
          // The reboot is held until settled, however long a busy machine takes to look at it.
          const rebooting = yield* Effect.scoped(Effect.gen(function* () {
            yield* heldUntilSettled({ vmStop: 600_000 })
            yield* vm.reboot()
            return (yield* vm.get()).status
          }))
          yield* until(vm.get(), (v) => v.status === "up")
          yield* vm.suspend()
          yield* until(vm.get(), (v) => v.status === "suspended")
          const stopSuspended = yield* Effect.flip(vm.suspend())
          yield* vm.start()
          yield* until(vm.get(), (v) => v.status === "up")
          return { from, to: migrated.host!.id, rebooting, stopSuspended }
        })
      )
      expect(statuses.to).not.toBe(statuses.from)
      expect(statuses.rebooting).toBe("reboot_in_progress")
      expect(statuses.stopSuspended._tag).toBe("FaultError")
    }))

  it.live("makes a template from a VM, moves a host to maintenance and back, and lists async jobs", () =>
    Effect.gen(function* () {
      const out = yield* run(
        sim,
        Effect.gen(function* () {
          const down = (yield* system.vms.list({ search: "status=down" }))[0]
          const template = yield* system.templates.add({ name: "from-vm", vm: { id: down.id! } })
          expect(template.status).toBe("locked")
          yield* until(system.templates.template(template.id!).get(), (t) => t.status === "ok")
          const tplDisks = yield* system.templates.template(template.id!).diskAttachments.list()
          const host = (yield* system.hosts.list({ search: "name=host02" }))[0]
          yield* system.hosts.host(host.id!).deactivate()
          yield* until(system.hosts.host(host.id!).get(), (h) => h.status === "maintenance")
          const guests = (yield* system.vms.list()).filter((v) => v.host?.id === host.id && v.status === "up")
          yield* system.hosts.host(host.id!).activate()
          const back = yield* until(system.hosts.host(host.id!).get(), (h) => h.status === "up")
          const jobs = yield* system.jobs.list()
          return { tplDisks, guests, back, jobs }
        })
      )
      expect(out.tplDisks.length).toBe(1)
      expect(out.guests).toEqual([])
      expect(out.back.status).toBe("up")
      expect(out.jobs.length).toBeGreaterThan(3)
      expect(out.jobs.some((j) => j.status === "finished")).toBe(true)
    }))

  it.live("attaches a storage domain to a data center and activates it", () =>
    Effect.gen(function* () {
      const out = yield* run(
        sim,
        Effect.gen(function* () {
          const dc = (yield* system.dataCenters.list())[0]
          const added = yield* system.storageDomains.add({
            name: "data3",
            type: "data",
            storage: { type: "nfs", address: "nfs.example.com", path: "/data3" },
            host: { name: "host01" }
          })
          expect(added.status).toBe("unattached")
          const attached = system.dataCenters.dataCenter(dc.id!).storageDomains
          yield* attached.add({ id: added.id! })
          const active = yield* until(attached.storageDomain(added.id!).get(), (s) => s.status === "active")
          yield* attached.storageDomain(added.id!).deactivate()
          const maintenance = yield* until(attached.storageDomain(added.id!).get(), (s) => s.status === "maintenance")
          const inDc = (yield* attached.list()).map((s) => s.name)
          return { active, maintenance, inDc }
        })
      )
      expect(out.active.status).toBe("active")
      expect(out.maintenance.status).toBe("maintenance")
      expect(out.inDc).toContain("data3")
    }))
})

describe("Simulator: transitions", () => {
  // The simulator runs on a clock the tests move: a step of 5 ms between two polls is 5 ms for the
  // simulator however long the poll took, so no step of a transition (>= 150 ms) can be missed on a
  // busy machine, and waiting "900 ms" takes no time.
  const SLOW = { vmStart: 600, vmStop: 400, lock: 200, host: 300 }
  let now = Date.now()
  const advance = (ms: number) => Effect.sync(() => void (now += ms))
  let sim: Sim
  sharedSimulator({ seed: "transitions", timing: SLOW, clock: () => now }, (started) => (sim = started))

  /** The distinct statuses `get` shows, in order, polled every 5 ms of the clock until `last` (a sequence, not "seen once"). */
  const statuses = <E, R>(get: Effect.Effect<{ readonly status?: string }, E, R>, last: string) =>
    Effect.gen(function* () {
      const seen: Array<string> = []
      for (;;) {
        const status = (yield* get).status!
        if (seen[seen.length - 1] !== status) seen.push(status)
        if (status === last) return seen
        yield* advance(5)
      }
    })

  const firstVm = (search: string) => Effect.map(system.vms.list({ search, max: 1 }), (vms) => system.vms.vm(vms[0].id!))

  it.live("a VM stopped right after start stays down: the start's pending steps are cancelled", () =>
    Effect.gen(function* () {
      const out = yield* run(
        sim,
        Effect.gen(function* () {
          const vm = yield* firstVm("status=down")
          yield* vm.start()
          yield* vm.stop()
          const stopping = (yield* vm.get()).status
          // Well past the start's powering_up (180 ms) and up (600 ms) steps.
          yield* advance(900)
          const later = yield* vm.get()
          yield* advance(300)
          return { stopping, later: later.status, host: later.host, still: (yield* vm.get()).status }
        })
      )
      expect(out).toEqual({ stopping: "powering_down", later: "down", host: undefined, still: "down" })
    }))

  it.live("stop wins over a reboot or a migration in progress, and settle() ends in the last state asked for", () =>
    Effect.gen(function* () {
      const out = yield* run(
        sim,
        Effect.gen(function* () {
          const [a, b] = yield* system.vms.list({ search: "status=up and cluster=Default", max: 2 })
          const rebooted = system.vms.vm(a.id!)
          const migrated = system.vms.vm(b.id!)
          yield* rebooted.reboot()
          yield* rebooted.stop()
          yield* migrated.migrate()
          yield* migrated.stop()
          yield* advance(700)
          const waited = [(yield* rebooted.get()).status, (yield* migrated.get()).status]
          // The same through settle(): a start then a stop, finished at once, ends down.
          const c = yield* firstVm("status=down")
          yield* c.start()
          yield* c.stop()
          sim.settle()
          const settled = yield* c.get()
          return { waited, settled: settled.status, host: settled.host }
        })
      )
      expect(out).toEqual({ waited: ["down", "down"], settled: "down", host: undefined })
    }))

  it.live("start goes wait_for_launch -> powering_up -> up; stop and shutdown go powering_down -> down", () =>
    Effect.gen(function* () {
      const out = yield* run(
        sim,
        Effect.gen(function* () {
          const vm = yield* firstVm("status=down")
          yield* vm.start()
          const start = yield* statuses(vm.get(), "up")
          yield* vm.stop()
          const stop = yield* statuses(vm.get(), "down")
          yield* vm.start()
          yield* statuses(vm.get(), "up")
          yield* vm.shutdown()
          const shutdown = yield* statuses(vm.get(), "down")
          return { start, stop, shutdown }
        })
      )
      expect(out).toEqual({
        start: ["wait_for_launch", "powering_up", "up"],
        stop: ["powering_down", "down"],
        shutdown: ["powering_down", "down"]
      })
    }))

  it.scopedLive("a locked disk or snapshot cannot be removed, nor a locked snapshot restored: 409 until unlocked", () =>
    Effect.gen(function* () {
      yield* knob(
        () => sim.setTiming({ lock: 60_000 }),
        () => {
          sim.setTiming({ lock: SLOW.lock })
          sim.settle()
        }
      )
      const out = yield* run(
        sim,
        Effect.gen(function* () {
          const vm = yield* firstVm("status=down")
          const att = yield* vm.diskAttachments.add({ disk: { name: "locked1", provisionedSize: 2 ** 30, format: "cow" }, interface: "virtio_scsi", bootable: false })
          const disk = yield* system.disks.disk(att.disk!.id!).get()
          const removeDisk = yield* Effect.flip(system.disks.disk(disk.id!).remove())
          const snap = yield* vm.snapshots.add({ description: "locked" })
          const ref = vm.snapshots.snapshot(snap.id!)
          const removeSnap = yield* Effect.flip(ref.remove())
          const restore = yield* Effect.flip(ref.restore())
          sim.settle()
          const unlocked = [(yield* system.disks.disk(disk.id!).get()).status, (yield* ref.get()).snapshotStatus]
          yield* ref.restore()
          // The restore locks the VM; its disks can be removed once it is down again.
          sim.settle()
          yield* system.disks.disk(disk.id!).remove()
          return { disk: disk.status, snap: snap.snapshotStatus, removeDisk, removeSnap, restore, unlocked }
        })
      )
      expect(out.disk).toBe("locked")
      expect(out.snap).toBe("locked")
      expect(out.removeDisk).toMatchObject({ _tag: "FaultError", code: 409, fault: { detail: expect.stringContaining("Cannot remove Virtual Disk") } })
      expect(out.removeSnap).toMatchObject({ _tag: "FaultError", code: 409, fault: { detail: "[Cannot remove Snapshot. Snapshot is currently being created.]" } })
      expect(out.restore).toMatchObject({ _tag: "FaultError", code: 409, fault: { detail: expect.stringMatching(/^\[Cannot revert to Snapshot\. Snapshot is currently being created/) } })
      expect(out.unlocked).toEqual(["ok", "ok"])
    }))

  it.live("activates a storage domain in maintenance: activating -> active, and a second activate is a 409", () =>
    Effect.gen(function* () {
      const out = yield* run(
        sim,
        Effect.gen(function* () {
          const dc = (yield* system.dataCenters.list())[0]
          const attached = system.dataCenters.dataCenter(dc.id!).storageDomains
          const added = yield* system.storageDomains.add({
            name: "data9",
            type: "data",
            storage: { type: "nfs", address: "nfs.example.com", path: "/data9" },
            host: { name: "host01" }
          })
          yield* attached.add({ id: added.id! })
          const ref = attached.storageDomain(added.id!)
          const attach = yield* statuses(ref.get(), "active")
          yield* ref.deactivate()
          const deactivate = yield* statuses(ref.get(), "maintenance")
          yield* ref.activate()
          const activate = yield* statuses(ref.get(), "active")
          const again = yield* Effect.flip(ref.activate())
          return { attach, deactivate, activate, again }
        })
      )
      expect(out.attach).toEqual(["locked", "maintenance", "active"])
      expect(out.deactivate).toEqual(["preparing_for_maintenance", "maintenance"])
      expect(out.activate).toEqual(["activating", "active"])
      expect(out.again).toMatchObject({ _tag: "FaultError", code: 409, fault: { detail: "[Cannot activate Storage. The Storage Domain is already active.]" } })
    }))
})

describe("Simulator: all_content and async", () => {
  let sim: Sim
  sharedSimulator({ seed: "content", timing: FAST }, (started) => (sim = started))

  const bearer = () => Effect.map(token(sim), (t) => `Bearer ${(JSON.parse(t.body) as { access_token: string }).access_token}`)

  it.live("leaves console, the OVF, rng, soundcard and virtio-scsi out of VMs (and hosted_engine out of hosts) unless all_content", () =>
    Effect.gen(function* () {
      const out = yield* run(
        sim,
        Effect.gen(function* () {
          const [light] = yield* system.vms.list({ search: "name=web01" })
          const [full] = yield* system.vms.list({ search: "name=web01", allContent: true })
          const one = yield* system.vms.vm(light.id!).get()
          const oneFull = yield* system.vms.vm(light.id!).get({ allContent: true })
          const host = (yield* system.hosts.list())[0]
          const hostFull = yield* system.hosts.host(host.id!).get({ allContent: true })
          return { light, full, one, oneFull, host, hostFull }
        })
      )
      const heavy = (vm: typeof out.light) => [vm.console, vm.rngDevice, vm.soundcardEnabled, vm.virtioScsi, vm.initialization?.configuration?.data]
      expect(heavy(out.light)).toEqual([undefined, undefined, undefined, undefined, undefined])
      expect(heavy(out.one)).toEqual([undefined, undefined, undefined, undefined, undefined])
      // What is not heavy stays: the OVF's type, the VM's name and memory.
      expect(out.light.initialization?.configuration?.type).toBe("ovf")
      expect(out.light.memory).toBe(out.full.memory)
      for (const vm of [out.full, out.oneFull]) {
        expect(heavy(vm).slice(0, 4)).toEqual([{ enabled: false }, { source: "urandom" }, false, { enabled: true }])
        expect(vm.initialization?.configuration?.data).toContain("<ovf:Envelope")
      }
      expect(out.host.hostedEngine).toBeUndefined()
      expect(out.hostFull.hostedEngine?.configured).toBe(false)
      // The engine also honours an All-Content header.
      const res = yield* raw(sim, `/ovirt-engine/api/vms/${out.light.id}`, { headers: { Authorization: yield* bearer(), "All-Content": "true" } })
      expect(res.body).toContain("<soundcard_enabled>false</soundcard_enabled>")
      // Other types keep everything: a cluster's answer is the same with and without the parameter.
      const cluster = yield* raw(sim, "/ovirt-engine/api/clusters?all_content=true", { headers: { Authorization: yield* bearer() } })
      const plain = yield* raw(sim, "/ovirt-engine/api/clusters", { headers: { Authorization: yield* bearer() } })
      expect(cluster.body).toBe(plain.body)
    }))

  it.live("an async action answers 202 with the action pending and its job; without async, 200 complete", () =>
    Effect.gen(function* () {
      // Starts that take minutes: the jobs are still running when looked at, however slow the machine.
      sim.setTiming({ vmStart: 600_000 })
      onTestFinished(() => {
        sim.setTiming({ vmStart: FAST.vmStart })
        sim.settle()
      })
      const auth = yield* bearer()
      const headers = { Authorization: auth, "Content-Type": "application/xml" }
      const [a, b, c] = yield* run(sim, system.vms.list({ search: "status=down", max: 3 }))
      const sync = yield* raw(sim, `/ovirt-engine/api/vms/${a.id}/start`, { method: "POST", headers, body: "<action/>" })
      const async = yield* raw(sim, `/ovirt-engine/api/vms/${b.id}/start`, { method: "POST", headers, body: "<action><async>true</async></action>" })
      const expect202 = yield* raw(sim, `/ovirt-engine/api/vms/${c.id}/start`, { method: "POST", headers: { ...headers, Expect: "202-accepted" }, body: "<action/>" })
      expect(sync.status).toBe(200)
      expect(sync.body).toMatch(/<status>complete<\/status>/)
      const syncJob = /<job id="([^"]+)" href="([^"]+)"\/>/.exec(sync.body)
      expect(syncJob?.[2]).toBe(`/ovirt-engine/api/jobs/${syncJob?.[1]}`)
      for (const answer of [async, expect202]) {
        expect(answer.status).toBe(202)
        expect(answer.body).toMatch(/<status>pending<\/status>/)
        expect(answer.body).toContain("<async>true</async>")
        const jobId = /<job id="([^"]+)"/.exec(answer.body)?.[1]
        expect(sim.objects("jobs").find((j) => j.id === jobId)?.status).toBe("started")
      }
      // The SDK takes the 202 like any success.
      const [d] = yield* run(sim, system.vms.list({ search: "status=down", max: 1 }))
      yield* run(sim, system.vms.vm(d.id!).start({ async: true }))
      expect(sim.objects("vms").find((v) => v.id === d.id)?.status).toBe("wait_for_launch")
    }))

  it.live("DELETE with Expect: 202-accepted answers 202 with no body; with async=true the 200 every remove gets", () =>
    Effect.gen(function* () {
      const auth = yield* bearer()
      const [a, b, c] = yield* run(sim, system.vms.list({ search: "status=down", max: 3 }))
      const accepted = yield* raw(sim, `/ovirt-engine/api/vms/${a.id}`, { method: "DELETE", headers: { Authorization: auth, Expect: "202-accepted" } })
      const async = yield* raw(sim, `/ovirt-engine/api/vms/${b.id}?async=true`, { method: "DELETE", headers: { Authorization: auth } })
      expect([accepted.status, accepted.body, async.status]).toEqual([202, "", 200])
      // and the SDK's remove with async succeeds
      yield* run(sim, system.vms.vm(c.id!).remove({ async: true }))
      expect(sim.objects("vms").some((v) => v.id === a.id || v.id === b.id || v.id === c.id)).toBe(false)
    }))
})

describe("Simulator: certificates and start failures", () => {
  it.scopedLive("serves certificates given in the options, and gives their CA as caPem and caFile", () =>
    Effect.gen(function* () {
      const certs = Simulator.makeCertificates({ hosts: ["127.0.0.1"] })
      const sim = yield* Simulator.make({ seed: "certs", certPem: certs.certPem, keyPem: Redacted.make(certs.keyPem), caPem: certs.caPem })
      expect(sim.caPem).toBe(certs.caPem)
      expect(fs.readFileSync(sim.caFile, "utf8")).toBe(certs.caPem)
      expect(yield* Effect.promise(() => servedFingerprint(sim.url, certs.caPem))).toBe(new X509Certificate(certs.certPem).fingerprint256)
      expect((yield* run(sim, system.hosts.list())).length).toBe(3)
    }))

  it.scopedLive("a port in use, or a certificate without its key, is a typed SimulatorError of make and layer (not a defect)", () =>
    Effect.gen(function* () {
      const first = yield* Simulator.make({ seed: "busy" })
      const port = Number(new URL(first.url).port)
      const busy = yield* Effect.flip(Effect.scoped(Simulator.make({ port })))
      expect(busy).toMatchObject({ _tag: "SimulatorError", reason: "EADDRINUSE" })
      expect(busy.message).toContain("The simulator cannot start")
      const viaLayer = yield* Effect.flip(system.hosts.list().pipe(Effect.provide(Simulator.layer({ port }))))
      expect(viaLayer._tag).toBe("SimulatorError")
      const noKey = yield* Effect.flip(Effect.scoped(Simulator.make({ certPem: first.caPem })))
      expect(noKey).toMatchObject({ _tag: "SimulatorError", message: expect.stringContaining("certPem and keyPem are given together") })
      // The error class is offered by effect-ovirt/testing too, for catchTag in users' tests.
      expect(busy).toBeInstanceOf(Testing.Simulator.SimulatorError)
    }))
})

describe("Simulator: SSO", () => {
  it.live("answers bad credentials with either JSON error shape, as AuthError", () =>
    Effect.gen(function* () {
      for (const shape of ["sso", "oauth"] as const) {
        // one simulator per shape, closed before the next
        yield* Effect.scoped(
          Effect.gen(function* () {
            const sim = yield* Simulator.make({ ssoErrorShape: shape })
            const answer = JSON.parse((yield* token(sim, "wrong")).body) as Record<string, string>
            expect(shape === "sso" ? answer.error_code : answer.error).toBe("access_denied")
            const exit = yield* Effect.exit(
              system.vms.list().pipe(Effect.provide(Connection.layer({ ...Simulator.connectionOptions(sim), password: "wrong" })))
            )
            expect(Exit.isFailure(exit) && exit.cause._tag === "Fail" && exit.cause.error._tag).toBe("AuthError")
          })
        )
      }
    }))

  it.scopedLive("answers a missing or expired token with 401 and an HTML body", () =>
    Effect.gen(function* () {
      const sim = yield* Simulator.make({ tokenLifetimeSeconds: 0 })
      const none = yield* raw(sim, "/ovirt-engine/api/vms")
      expect(none.status).toBe(401)
      expect(none.type).toContain("text/html")
      const t = JSON.parse((yield* token(sim)).body) as { access_token: string }
      const expired = yield* raw(sim, "/ovirt-engine/api/vms", { headers: { Authorization: `Bearer ${t.access_token}` } })
      expect(expired.status).toBe(401)
      expect(expired.body).toContain("<html>")
    }))

  it.scopedLive("recovers transparently when every token expires mid-run, and revokes the token on close", () =>
    Effect.gen(function* () {
      const sim = yield* Simulator.make({ seed: "sso" })
      const counts = yield* run(
        sim,
        Effect.gen(function* () {
          const before = (yield* system.vms.list()).length
          sim.expireTokens()
          const after = (yield* system.vms.list()).length
          sim.expireTokens()
          const concurrent = yield* Effect.all(Array.from({ length: 20 }, () => system.hosts.list()), { concurrency: 20 })
          return { before, after, concurrent: concurrent.length }
        })
      )
      expect(counts).toEqual({ before: 36, after: 36, concurrent: 20 })
      const stats = sim.stats()
      expect(stats.tokensIssued).toBe(3)
      expect(stats.tokensActive).toBe(0)
      expect(stats.tokensRevoked).toBe(1)
    }))
})

describe("Simulator: fault knobs", () => {
  let sim: Sim
  sharedSimulator({ seed: "faults" }, (started) => (sim = started))

  const failure = <A, E>(program: Effect.Effect<A, E, Connection.Connection>, settings: Simulator.ConnectionSettings = {}) =>
    Effect.map(runExit(sim, program, { retry: false, ...settings }), (exit) => {
      if (Exit.isSuccess(exit) || exit.cause._tag !== "Fail") throw new Error(`expected a failure, got ${String(exit)}`)
      return exit.cause.error as { _tag: string; code?: number }
    })

  it.scopedLive("a failure rate per path gives FaultError with the 5xx status, other paths unaffected", () =>
    Effect.gen(function* () {
      yield* knob(() => { sim.knobs.failures = [{ path: "vms", rate: 1, status: 503 }] }, () => { sim.knobs.failures = [] })
      expect(yield* failure(system.vms.list())).toMatchObject({ _tag: "FaultError", code: 503 })
      expect((yield* run(sim, system.hosts.list(), { retry: false })).length).toBe(3)
    }))

  it.scopedLive("dropped connections give ConnectionError", () =>
    Effect.gen(function* () {
      yield* knob(() => { sim.knobs.dropRate = 1 }, () => { sim.knobs.dropRate = 0 })
      expect((yield* failure(system.hosts.list()))._tag).toBe("ConnectionError")
    }))

  it.scopedLive("added latency beyond the call's timeout gives TimeoutError", () =>
    Effect.gen(function* () {
      yield* knob(() => { sim.knobs.latencyMs = 400 }, () => { sim.knobs.latencyMs = 0 })
      // logged in first: the timeout bounds the second call only
      const error = yield* failure(Effect.zipRight(system.hosts.list(), system.hosts.list({ timeout: "100 millis" })))
      expect(error._tag).toBe("TimeoutError")
    }))

  it.scopedLive("a slow body still decodes (and with a short timeout fails as TimeoutError)", () =>
    Effect.gen(function* () {
      yield* knob(() => { sim.knobs.slowBodyMs = 15 }, () => { sim.knobs.slowBodyMs = 0 })
      expect((yield* run(sim, system.vms.list(), { retry: false })).length).toBe(36)
      // logged in first: the timeout bounds the second call only
      const error = yield* failure(Effect.zipRight(system.hosts.list(), system.vms.list({ timeout: "60 millis" })))
      expect(error._tag).toBe("TimeoutError")
    }))

  it.live("gzip when asked: compressed answers decode the same", () =>
    Effect.gen(function* () {
      const plain = yield* run(sim, system.vms.list())
      const compressed = yield* run(sim, system.vms.list(), { compress: true })
      expect(compressed).toEqual(plain)
    }))
})

describe("Simulator: scale and sockets", () => {
  it.scopedLive("serves 1,000 concurrent calls over connections: 4 and leaves no socket open after the scope", () =>
    Effect.gen(function* () {
      const sim = yield* Simulator.make({ seed: "load" })
      const results = yield* run(
        sim,
        Effect.all(Array.from({ length: 1000 }, (_, i) => (i % 2 === 0 ? system.hosts.list() : system.clusters.list())), { concurrency: "unbounded" }),
        { connections: 4 }
      )
      expect(results.length).toBe(1000)
      expect(results.every((r) => r.length >= 2)).toBe(true)
      // The pool's sockets are closed when the scope closes; wait (up to 30 s on a busy machine) for the server to see the FINs.
      for (let i = 0; i < 1500 && sim.stats().openConnections > 0; i++) yield* Effect.sleep("20 millis")
      expect(sim.stats().openConnections).toBe(0)
      expect(sim.stats().tokensRevoked).toBe(1)
    }))

  it.scopedLive("interrupting a listStream aborts its request and frees the socket; the next call works", () =>
    Effect.gen(function* () {
      const sim = yield* Simulator.make({ seed: "stream", vms: 20_000 })
      const waitForSockets = async (n: number) => {
        // Until the server has seen the sockets close: up to 30 s on a busy machine, at once on an idle one.
        for (let i = 0; i < 3000 && sim.stats().openConnections !== n; i++) await new Promise((r) => setTimeout(r, 10))
        return sim.stats().openConnections
      }
      const out = yield* run(
        sim,
        Effect.gen(function* () {
          // The answer is tens of MB; five VMs are enough, the rest must not be read.
          const first = yield* system.vms.listStream({ allContent: true }).pipe(Stream.take(5), Stream.runCollect)
          const socketsAfter = yield* Effect.promise(() => waitForSockets(0))
          const hosts = yield* system.hosts.list()
          return { names: Chunk.toReadonlyArray(first).map((vm) => vm.name), socketsAfter, hosts: hosts.length }
        }),
        { connections: 1 }
      )
      const names = sim.objects("vms").slice(0, 5).map((vm) => vm.name)
      expect(out.names).toEqual(names)
      // The aborted request's socket is closed (not left to drain in the pool) ...
      expect(out.socketsAfter).toBe(0)
      // ... and the one-connection pool serves the next call.
      expect(out.hosts).toBe(3)
      expect(yield* Effect.promise(() => waitForSockets(0))).toBe(0)
    }))

  it.scopedLive("builds a 10,000-VM inventory and lists it", () =>
    Effect.gen(function* () {
      const sim = yield* Simulator.make({ seed: "big", vms: 10_000 })
      const vms = yield* run(sim, system.vms.list())
      expect(vms.length).toBe(10_000)
      expect(new Set(vms.map((v) => v.name)).size).toBe(10_000)
    }))

  it.live("Simulator.layer provides a Connection and the simulator for the scope", () =>
    Effect.gen(function* () {
      const out = yield* Effect.gen(function* () {
        const sim = yield* Simulator.SimulatorTag
        const connection = yield* Connection.Connection
        const vms = yield* system.vms.list({ max: 3 })
        return { url: connection.url, simUrl: sim.url, count: vms.length }
      }).pipe(Effect.provide(Simulator.layer({ seed: "layer" })))
      expect(out.url).toBe(out.simUrl)
      expect(out.count).toBe(3)
      // `effect-ovirt/testing` offers the same namespace.
      expect(Testing.Simulator.layer).toBe(Simulator.layer)
      expect(Testing.Simulator.make).toBe(Simulator.make)
    }))
})
