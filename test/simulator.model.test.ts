/**
 * Every service of the model through the SDK against the simulator: the test walks the service
 * tree from the root (locators from the generated metadata, refs from `Connection.service(path)`),
 * lists every collection it reaches (141), adds an object to every collection that has `add` (92;
 * the body built from the mandatory members of the method and its signatures) and fetches it back,
 * and descends into the first object. Nothing here is written per service.
 */
import { Effect } from "effect"
import { describe, expect, it } from "@effect/vitest"
import type { StructMeta } from "../src/core/Metadata.js"
import type { MethodMeta, ServiceMeta } from "../src/services/runtime/Metadata.js"
import { Connection, type OvirtError } from "../src/index.js"
import { Simulator } from "../src/testing/index.js"
import { services } from "../src/services/generated/metadata.js"
import { enums, structs } from "../src/types/generated/metadata.js"
import { sharedSimulator } from "./support/simulator.js"

type Obj = { readonly id?: string; readonly name?: string; readonly [k: string]: unknown }
type Call<A> = (...args: ReadonlyArray<unknown>) => Effect.Effect<A, OvirtError, Connection.Connection>
interface AnyRef {
  readonly service: string
  readonly path: string
  readonly list?: Call<ReadonlyArray<Obj>>
  readonly add?: Call<Obj>
  readonly get?: Call<Obj>
}

const serviceByName = new Map(services.map((s) => [s.name, s]))
const structByName = new Map(structs.map((s) => [s.name, s]))
const enumByName = new Map(enums.map((e) => [e.name, e]))
const method = (s: ServiceMeta, kind: string): MethodMeta | undefined => s.methods.find((m) => m.kind === kind && m.signatureOf === undefined)
const memberService = (s: ServiceMeta): ServiceMeta | undefined => {
  const l = s.locators.find((x) => x.parameter !== null)
  return l === undefined ? undefined : serviceByName.get(l.service)
}

/** Root collections by struct type, to reference existing objects in mandatory `x.id` / `x.name` paths. */
const rootByStruct = new Map<string, string>()
for (const l of serviceByName.get("SystemService")!.locators) {
  const s = serviceByName.get(l.service)!
  const type = method(s, "list")?.responseType
  if (type && !rootByStruct.has(type)) rootByStruct.set(type, l.path)
}

/** A body holding every mandatory path of the method (and of its first signature), with plausible values. */
const bodyFor = (svc: ServiceMeta, add: MethodMeta, existing: Map<string, ReadonlyArray<Obj>>, n: number): Obj => {
  const paths: Array<string> = []
  const collect = (m: MethodMeta) => {
    paths.push(...(m.constraints?.mandatory ?? []))
    for (const g of m.constraints?.or ?? []) if (g.mandatory) paths.push(g.paths[0])
  }
  collect(add)
  for (const signature of svc.methods.filter((m) => m.signatureOf === add.name)) collect(signature)
  const struct = structByName.get(add.responseType!)!
  const body: Record<string, unknown> = {}
  if (struct.members.some((m) => m.name === "name")) body.name = `walk-${n}`
  for (const path of paths) {
    const steps = path.split(".").slice(1)
    if (steps.length > 0) set(body, struct, steps, existing)
  }
  return body
}

let unique = 0

const set = (target: Record<string, unknown>, struct: StructMeta, steps: ReadonlyArray<string>, existing: Map<string, ReadonlyArray<Obj>>): void => {
  const [first, ...rest] = steps
  const name = first.endsWith("[]") ? first.slice(0, -2) : first
  const member = struct.members.find((m) => m.name === name)
  if (member === undefined) return
  const list = member.list
  if (member.kind === "struct") {
    const inner = structByName.get(member.type)!
    // Prefer an object at rest (a VM that is down can be the source of a template, ...).
    const candidates = existing.get(member.type) ?? []
    const known = candidates.find((o) => o.status === "down") ?? candidates[0]
    // A reference to an existing object of that type when the path ends in its id or name.
    if (rest.length === 1 && (rest[0] === "id" || rest[0] === "name") && known !== undefined) {
      const ref = { [rest[0]]: known[rest[0]] }
      target[name] = list ? [ref] : ref
      return
    }
    const current = (list ? (target[name] as Array<Record<string, unknown>> | undefined)?.[0] : target[name]) as Record<string, unknown> | undefined
    const child = current ?? {}
    if (rest.length > 0) set(child, inner, rest, existing)
    target[name] = list ? [child] : child
    return
  }
  const value =
    member.kind === "enum"
      ? enumByName.get(member.type)!.values[0]
      : member.type === "Boolean"
        ? false
        : member.type === "Integer" || member.type === "Decimal"
          ? 1
          : member.type === "Date"
            ? new Date()
            : `walk-${name}-${++unique}`
  target[name] = list ? [value] : value
}

describe("Simulator: every service of the model", () => {
  let sim: Simulator.RunningSimulator
  sharedSimulator({ seed: "walk", vms: 10, timing: { vmStart: 10, vmStop: 10, lock: 10, host: 10 } }, (started) => (sim = started))

  it.live("lists every collection, and fetches every added object back", () =>
    Effect.gen(function* () {
      const listed = new Set<string>()
      const fetched = new Set<string>()
      const failures: Array<string> = []
      const existing = new Map<string, ReadonlyArray<Obj>>()
      let n = 0

      const visit = (path: string, svc: ServiceMeta, depth: number): Effect.Effect<void, never, Connection.Connection> =>
        Effect.gen(function* () {
          const ref = (yield* Effect.orDie(Connection.service(path))) as unknown as AnyRef
          expect(ref.service).toBe(svc.name)
          const member = memberService(svc)
          const list = method(svc, "list")
          if (member === undefined && list === undefined && method(svc, "add") === undefined) {
            // A service of its own (no `{id}` below): get it when it can be fetched, then its locators.
            if (method(svc, "get") !== undefined && ref.get) {
              const got = yield* Effect.either(ref.get())
              if (got._tag === "Left") failures.push(`get ${path}: ${got.left._tag} ${got.left.message}`)
            }
            if (depth < 6) for (const l of svc.locators) yield* visit(`${path}/${l.path}`, serviceByName.get(l.service)!, depth + 1)
            return
          }
          let items: ReadonlyArray<Obj> = []
          if (list !== undefined && ref.list) {
            const answer = yield* Effect.either(ref.list())
            if (answer._tag === "Left") failures.push(`list ${path}: ${answer.left._tag} ${answer.left.message}`)
            else {
              listed.add(svc.name)
              items = answer.right
              if (list.responseType && items.length > 0 && !existing.has(list.responseType)) existing.set(list.responseType, items)
            }
          }
          const add = method(svc, "add")
          if (add !== undefined && ref.add) {
            const body = bodyFor(svc, add, existing, n++)
            const many = add.parameters.find((p) => p.name === add.body)?.list === true
            const type = add.responseType!
            // Collections that link existing objects (a VM to an affinity label) take a reference.
            const known = existing.get(type)?.[0]
            let added = yield* Effect.either(Effect.map(ref.add(many ? [body] : body), (a) => (many ? (a as unknown as ReadonlyArray<Obj>)[0] : a)))
            if (added._tag === "Left" && added.left._tag === "FaultError" && known?.id !== undefined) {
              added = yield* Effect.either(ref.add({ id: known.id }))
            }
            if (added._tag === "Left") failures.push(`add ${path}: ${added.left._tag} ${added.left.message}`)
            else if (member === undefined) {
              fetched.add(svc.name) // an add-only service (imports): nothing to fetch back
            } else {
              if (items.length === 0) items = [added.right]
              const entity = (yield* Effect.orDie(Connection.service(`${path}/${encodeURIComponent(added.right.id!)}`))) as unknown as AnyRef
              if (method(member, "get") === undefined && ref.list) {
                // No `get` on the entity (affinity group hosts, ...): it must show in the list.
                const again = yield* Effect.orElseSucceed(ref.list(), () => [] as ReadonlyArray<Obj>)
                if (again.some((o) => o.id === added.right.id)) fetched.add(svc.name)
                else failures.push(`list ${path} after add: ${added.right.id} missing`)
              } else if (entity.get) {
                const got = yield* Effect.either(entity.get())
                if (got._tag === "Left") failures.push(`get ${entity.path}: ${got.left._tag} ${got.left.message}`)
                else {
                  expect(got.right.id).toBe(added.right.id)
                  fetched.add(svc.name)
                }
              }
            }
          }
          if (items.length === 0 && depth < 6 && list !== undefined) {
            // Nothing to descend into and no way to add one through the API (the engine discovers
            // these: host NICs, checkpoints, ...): put one in the simulator's state directly.
            items = [sim.insert(path, { name: `walk-${n++}` }) as Obj]
          }
          if (items.length === 0 || depth >= 6 || items[0].id === undefined || member === undefined) return
          const entityPath = `${path}/${encodeURIComponent(items[0].id)}`
          for (const l of member.locators) {
            if (l.parameter !== null) continue
            yield* visit(`${entityPath}/${l.path}`, serviceByName.get(l.service)!, depth + 2)
          }
        })

      const root = serviceByName.get("SystemService")!
      yield* Effect.gen(function* () {
        // First what exists at the root, so that adds below can reference existing objects.
        for (const l of root.locators) {
          const type = method(serviceByName.get(l.service)!, "list")?.responseType
          const ref = (yield* Effect.orDie(Connection.service(l.path))) as unknown as AnyRef
          if (type && ref.list) {
            const items = yield* Effect.orElseSucceed(ref.list(), () => [] as ReadonlyArray<Obj>)
            if (items.length > 0 && !existing.has(type)) existing.set(type, items)
          }
        }
        for (const l of root.locators) yield* visit(l.path, serviceByName.get(l.service)!, 1)
      }).pipe(Effect.provide(Connection.layer(Simulator.connectionOptions(sim))))

      // Services no locator leads to (the model keeps two: TemplateDisksService, VmDisksService) cannot be reached.
      const reachable = new Set<string>(["SystemService"])
      for (let grew = true; grew; ) {
        grew = false
        for (const s of services) {
          if (!reachable.has(s.name)) continue
          for (const l of s.locators) if (!reachable.has(l.service)) grew = reachable.add(l.service) !== undefined
        }
      }
      const listable = services.filter((s) => reachable.has(s.name) && method(s, "list") !== undefined).map((s) => s.name)
      expect(listable.length).toBeGreaterThan(130)
      const notListed = listable.filter((s) => !listed.has(s))
      expect({ failures, notListed }).toEqual({ failures: [], notListed: [] })
      expect(listed.size).toBe(listable.length)
      const addable = services.filter((s) => reachable.has(s.name) && method(s, "add") !== undefined).map((s) => s.name)
      expect(addable.filter((s) => !fetched.has(s))).toEqual([])
    }))
})
