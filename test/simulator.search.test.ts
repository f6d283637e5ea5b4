/**
 * The simulator searches as the engine does, seen by any client over raw HTTPS: the engine's fields
 * per type (tag, datacenter, creationdate, memory in MiB, os, correlation_id, ...), its operators,
 * free text, sortby and page; a query it cannot parse is a 400 <fault> in the engine's wording; `max`
 * read as the engine reads it.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Either } from "effect"
import * as https from "node:https"
import { Simulator } from "../src/testing/index.js"
import { decodeListSync } from "../src/types/Xml.js"

const STRUCTS: Readonly<Record<string, string>> = { vms: "Vm", hosts: "Host", jobs: "Job", events: "Event" }

const unescape = (s: string | undefined) => s?.replace(/&gt;/g, ">").replace(/&lt;/g, "<").replace(/&quot;/g, '"').replace(/&amp;/g, "&")

type Sim = Simulator.Simulator

const request = (sim: Sim, path: string, init: { method?: string; headers?: Record<string, string>; body?: string } = {}) =>
  Effect.async<{ status: number; body: string }, Error>((resume) => {
    const url = new URL(sim.url)
    const req = https.request(
      { host: url.hostname, port: url.port, path, method: init.method ?? "GET", headers: init.headers ?? {}, ca: sim.caPem, agent: false },
      (res) => {
        let body = ""
        res.setEncoding("utf8")
        res.on("data", (c: string) => (body += c))
        res.on("end", () => resume(Effect.succeed({ status: res.statusCode ?? 0, body })))
      }
    )
    req.on("error", (e) => resume(Effect.fail(e)))
    req.end(init.body)
    return Effect.sync(() => req.destroy())
  })

/** A client of the API with basic credentials (the engine takes them as well as SSO tokens). */
const api = (sim: Sim) => {
  const auth = { Authorization: `Basic ${Buffer.from(`${sim.username}:${sim.password}`).toString("base64")}`, "Content-Type": "application/xml" }
  const call = (path: string, init: { method?: string; body?: string } = {}) => request(sim, `/ovirt-engine/api/${path}`, { ...init, headers: auth })
  /** The names (or ids) of what a search answers, in order; fails the test on anything but 200. */
  const search = (collection: string, query: string, extra = "") =>
    Effect.map(call(`${collection}?search=${encodeURIComponent(query)}${extra}`), (a) => {
      expect({ query, status: a.status }).toEqual({ query, status: 200 })
      const items = Either.getOrThrow(decodeListSync(STRUCTS[collection], a.body)) as ReadonlyArray<{ readonly id?: string; readonly name?: string }>
      return items.map((o) => o.name ?? o.id ?? "")
    })
  const fault = (path: string) =>
    Effect.map(call(path), (a) => ({
      status: a.status,
      reason: /<reason>([^<]*)<\/reason>/.exec(a.body)?.[1],
      detail: unescape(/<detail>([^<]*)<\/detail>/.exec(a.body)?.[1])
    }))
  return { call, headers: auth, search, fault }
}

const names = (sim: Sim, path: string, keep: (o: Record<string, unknown>) => boolean) =>
  sim
    .objects(path)
    .filter(keep)
    .map((o) => String(o.name))

describe("Simulator search: the engine's syntax errors", () => {
  it.scoped("a query the engine cannot parse is a 400 <fault> with the faulty part marked, never an empty 200", () =>
    Effect.gen(function* () {
      const sim = yield* Simulator.make({ seed: "search" })
      const { fault } = api(sim)
      const cases: ReadonlyArray<readonly [string, string]> = [
        ["status==up))", "Vms: status==up$)$)"],
        ["Hosts: name=web01", "$Hosts$: name=web01"],
        ["name=web* and", "INVALID_POST_OR_AND_PHRASE"],
        ["name=", "INVALID_CONDITION_VALUE"],
        ["name=web* sortby name sideways page 1", "Vms: name=web* sortby name $sideways$ page 1"],
        ["sortby name page two", "INVALID_PAGE_FEILD"],
        ["sortby name page 2 more", "NOTHING_COMES_AFTER_PAGE_VALUE"],
        ["web01 db01", "FREE_TEXT_ALLOWED_ONCE_PER_OBJ"],
        ["tag>production", "Vms: $tag$>production"],
        ["colour=red", "Vms: $colour$=red"]
      ]
      for (const [query, detail] of cases) {
        const answer = yield* fault(`vms?search=${encodeURIComponent(query)}`)
        expect({ query, ...answer }).toEqual({ query, status: 400, reason: "Operation Failed", detail })
      }
    })
  )
})

describe("Simulator search: max as the engine reads it", () => {
  it.scoped("not a number or empty is no limit (the engine ignores it), -1 is no limit, below -1 a 400", () =>
    Effect.gen(function* () {
      const sim = yield* Simulator.make({ seed: "search", vms: 12 })
      const { search, fault } = api(sim)
      const all = yield* search("vms", "name=*")
      expect(all).toHaveLength(sim.objects("vms").length)
      for (const max of ["abc", "", "-1", "1.5", "99999999999"]) {
        expect({ max, n: (yield* search("vms", "name=*", `&max=${max}`)).length }).toEqual({ max, n: all.length })
      }
      expect(yield* search("vms", "name=*", "&max=3")).toEqual(all.slice(0, 3))
      expect(yield* search("vms", "name=*", "&max=0")).toEqual([])
      const negative = yield* fault("vms?max=-5")
      expect(negative.status).toBe(400)
      expect(negative.detail).toContain("'-5'")
    })
  )
})

describe("Simulator search: the engine's fields and operators", () => {
  it.scoped("tag, datacenter, cluster, host, template, os, memory (MiB), creationdate, description, comment, !=, <, >=", () =>
    Effect.gen(function* () {
      const sim = yield* Simulator.make({ seed: "search" })
      const { call, search } = api(sim)
      const vms = sim.objects("vms")
      const [first, second] = vms
      // Tag a VM through the API, as a client does.
      const tag = sim.objects("tags").find((t) => t.name === "production")!
      const added = yield* call(`vms/${String(first.id)}/tags`, { method: "POST", body: `<tag id="${String(tag.id)}"/>` })
      expect(added.status).toBe(201)
      expect(yield* search("vms", "tag=production")).toEqual([String(first.name)])
      expect(yield* search("vms", "tag=prod*")).toEqual([String(first.name)])
      expect((yield* search("vms", "tag!=production")).length).toBe(vms.length - 1)
      expect(yield* search("vms", "tag=nosuchtag")).toEqual([])
      expect(second).toBeDefined()

      const cluster = sim.objects("clusters").find((c) => c.id === (first.cluster as { id: string }).id)!
      const dc = sim.objects("datacenters").find((d) => d.id === (cluster.dataCenter as { id: string }).id)!
      const inDc = names(sim, "vms", (v) => sim.objects("clusters").some((c) => c.id === (v.cluster as { id: string }).id && (c.dataCenter as { id: string }).id === dc.id))
      expect(yield* search("vms", `datacenter=${String(dc.name)} sortby name`)).toEqual(inDc.sort())
      expect(yield* search("vms", `cluster=${String(cluster.name)} sortby name`)).toEqual(
        names(sim, "vms", (v) => (v.cluster as { id: string }).id === cluster.id).sort()
      )
      const host = sim.objects("hosts")[0]
      expect(yield* search("vms", `host=${String(host.name)} sortby name`)).toEqual(
        names(sim, "vms", (v) => (v.host as { id: string } | undefined)?.id === host.id).sort()
      )
      expect(yield* search("hosts", `datacenter=${String(dc.name)} sortby name`)).toEqual(
        names(sim, "hosts", (h) => sim.objects("clusters").some((c) => c.id === (h.cluster as { id: string }).id && (c.dataCenter as { id: string }).id === dc.id)).sort()
      )
      const template = first.template as { id: string }
      expect((yield* search("vms", `template=${template.id}`)).length).toBe(vms.filter((v) => (v.template as { id: string }).id === template.id).length)
      const os = String((first.os as { type: string }).type)
      expect(yield* search("vms", `os=${os} sortby name`)).toEqual(names(sim, "vms", (v) => (v.os as { type?: string } | undefined)?.type === os).sort())
      // memory is in MiB, as the engine's column.
      const mib = Math.floor(Number(first.memory) / 2 ** 20)
      expect(yield* search("vms", `memory>=${mib} sortby name`)).toEqual(names(sim, "vms", (v) => Number(v.memory) >= Number(first.memory)).sort())
      expect(yield* search("vms", `memory<${mib} sortby name`)).toEqual(names(sim, "vms", (v) => Number(v.memory) < Number(first.memory)).sort())
      // creationdate compares as a time.
      const created = new Date(first.creationTime as Date)
      expect(yield* search("vms", `creationdate>${created.toISOString()} sortby name`)).toEqual(
        names(sim, "vms", (v) => new Date(v.creationTime as Date).getTime() > created.getTime()).sort()
      )
      const description = String(first.description)
      expect(yield* search("vms", `description="${description}"`)).toContain(String(first.name))
      expect(yield* search("vms", `name!=${String(first.name)} sortby name`)).toEqual(names(sim, "vms", (v) => v.name !== first.name).sort())
    })
  )

  it.scoped("search and sortby see an object as it is answered: a member the engine fills by default matches, though not stored", () =>
    Effect.gen(function* () {
      const sim = yield* Simulator.make({ seed: "search" })
      const { call, search } = api(sim)
      // stored without a severity: answered (and so searched and sorted) as the engine's `normal`
      const plain = sim.insert("events", { description: "plain", code: 1, correlationId: "defaults-1", time: new Date() })
      const alert = sim.insert("events", { description: "alert", code: 2, severity: "alert", correlationId: "defaults-1", time: new Date() })
      expect(sim.objects("events").find((e) => e.id === plain.id)?.severity).toBeUndefined()
      expect(yield* search("events", "correlation_id=defaults-1 and severity=normal")).toEqual([String(plain.id)])
      expect(yield* search("events", "correlation_id=defaults-1 sortby severity")).toEqual([String(alert.id), String(plain.id)])
      expect(yield* search("events", "correlation_id=defaults-1 sortby severity desc")).toEqual([String(plain.id), String(alert.id)])
      // the journal's own jobs store no defaults either, and are found by them
      const vm = sim.objects("vms").find((v) => v.status === "down")!
      const started = yield* call(`vms/${String(vm.id)}/start`, { method: "POST", body: "<action/>" })
      const job = sim.objects("jobs").find((j) => j.id === /<job id="([^"]+)"/.exec(started.body)?.[1])!
      expect(job.autoCleared).toBeUndefined()
      expect(yield* search("jobs", `id=${String(job.id)} and auto_cleared=true and external=false`)).toEqual([String(job.id)])
    })
  )

  it.scoped("jobs by correlation_id, free text, the Vms: prefix, sortby desc and page", () =>
    Effect.gen(function* () {
      const sim = yield* Simulator.make({ seed: "search" })
      const { call, headers, search } = api(sim)
      const jobOf = (body: string) => /<job id="([^"]+)"/.exec(body)?.[1]
      const [first, second, down, other2] = sim.objects("vms").filter((v) => v.status === "down")
      const started42 = yield* call(`vms/${String(first.id)}/start?correlation_id=deploy-42`, { method: "POST", body: "<action/>" })
      const started43 = yield* call(`vms/${String(second.id)}/start?correlation_id=deploy-43`, { method: "POST", body: "<action/>" })
      expect(yield* search("jobs", "correlation_id=deploy-42")).toEqual([jobOf(started42.body)])
      expect((yield* search("jobs", "correlation_id=deploy-*")).sort()).toEqual([jobOf(started42.body), jobOf(started43.body)].sort())
      // A request carrying a correlation id (query parameter or header) marks the jobs it makes.
      const byQuery = yield* call(`vms/${String(down.id)}/start?correlation_id=deploy-44`, { method: "POST", body: "<action/>" })
      expect(byQuery.status).toBe(200)
      const byHeader = yield* request(sim, `/ovirt-engine/api/vms/${String(other2.id)}/start`, {
        method: "POST",
        headers: { ...headers, "Correlation-Id": "deploy-45" },
        body: "<action/>"
      })
      expect(byHeader.status).toBe(200)
      expect(yield* search("jobs", "correlation_id=deploy-44")).toEqual([jobOf(byQuery.body)])
      expect(yield* search("jobs", "correlation_id=deploy-45")).toEqual([jobOf(byHeader.body)])
      const event = sim.insert("events", { description: "VM started", severity: "normal", code: 153, correlationId: "audit-7", time: new Date() })
      expect(yield* search("events", "correlation_id=audit-7")).toEqual([String(event.id)])
      const web = names(sim, "vms", (v) => String(v.name).includes("web")).sort()
      expect(yield* search("vms", "web sortby name")).toEqual(web)
      expect(yield* search("vms", "Vms: name=web* sortby name desc")).toEqual([...web].reverse())
      const all = names(sim, "vms", () => true).sort()
      expect(yield* search("vms", "sortby name page 2", "&max=5")).toEqual(all.slice(5, 10))
      expect(yield* search("vms", "name=web* or name=db* sortby name")).toEqual(all.filter((n) => n.startsWith("web") || n.startsWith("db")))
    })
  )
})
