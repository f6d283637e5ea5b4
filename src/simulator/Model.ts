/**
 * The simulator's view of the API model: services, methods and locators (from the generated
 * services metadata) joined with the struct metadata, as lookup tables the router needs.
 * Nothing here is written per service; every route comes from the model.
 */
import type { StructMeta } from "../core/Metadata.js"
import type { MethodMeta } from "../services/runtime/Metadata.js"
import { root as rootServiceName, services as serviceList } from "../services/generated/metadata.js"
import { structs as structList } from "../types/generated/metadata.js"

export interface ServiceInfo {
  readonly name: string
  readonly methods: ReadonlyArray<MethodMeta>
  /** Fixed-segment locators by segment (`vms`, `diskattachments`). */
  readonly fixed: ReadonlyMap<string, string>
  /** The service reached by the locator with a parameter (`{id}`), if any: this is a collection. */
  readonly member: string | undefined
  /** Action methods by URL segment. */
  readonly actions: ReadonlyMap<string, MethodMeta>
  /** Base method of each kind (get, list, add, update, remove). */
  readonly byKind: ReadonlyMap<string, MethodMeta>
  /** The struct of this service's objects (from get/list/add/update), if any. */
  readonly struct: string | undefined
}

export interface Model {
  readonly root: ServiceInfo
  readonly services: ReadonlyMap<string, ServiceInfo>
  readonly structs: ReadonlyMap<string, StructMeta>
  readonly structByTag: ReadonlyMap<string, StructMeta>
  readonly structByPlural: ReadonlyMap<string, StructMeta>
  /** Struct name -> the root collection segment holding objects of that type (`Vm` -> `vms`). */
  readonly rootCollectionOf: ReadonlyMap<string, string>
  service(name: string): ServiceInfo
}

const buildModel = (): Model => {
  const services = serviceList
  const rootName = rootServiceName
  const structs = new Map(structList.map((s) => [s.name, s] as const))
  const structByTag = new Map<string, StructMeta>()
  const structByPlural = new Map<string, StructMeta>()
  for (const s of structList) {
    if (!structByTag.has(s.xml)) structByTag.set(s.xml, s)
    if (s.plural !== null && !structByPlural.has(s.plural)) structByPlural.set(s.plural, s)
  }
  const structOf = (methods: ReadonlyArray<MethodMeta>): string | undefined =>
    methods.find((m) => m.kind !== "action" && m.responseType !== null)?.responseType ?? undefined
  const infos = new Map<string, ServiceInfo>()
  for (const s of services) {
    const fixed = new Map<string, string>()
    let member: string | undefined
    for (const l of s.locators) {
      if (l.path.startsWith("{")) member = l.service
      else fixed.set(l.path, l.service)
    }
    const actions = new Map<string, MethodMeta>()
    const byKind = new Map<string, MethodMeta>()
    for (const m of s.methods) {
      // Alternative signatures are sent exactly like their base method: routing needs the base only.
      if (m.signatureOf) continue
      if (m.kind === "action" && m.path) actions.set(m.path, m)
      else if (!byKind.has(m.kind)) byKind.set(m.kind, m)
    }
    infos.set(s.name, {
      name: s.name,
      methods: s.methods,
      fixed,
      member,
      actions,
      byKind,
      struct: structOf(s.methods)
    })
  }
  const service = (name: string): ServiceInfo => {
    const info = infos.get(name)
    if (info === undefined) throw new Error(`simulator: no service ${name} in the metadata`)
    return info
  }
  const root = service(rootName)
  const rootCollectionOf = new Map<string, string>()
  for (const [segment, name] of root.fixed) {
    const info = service(name)
    if (info.member === undefined) continue
    const struct = info.struct ?? service(info.member).struct
    if (struct !== undefined && !rootCollectionOf.has(struct)) rootCollectionOf.set(struct, segment)
  }
  return { root, services: infos, structs, structByTag, structByPlural, rootCollectionOf, service }
}

let built: Model | undefined

/** The model of the generated metadata, built on first use and shared by every simulator. */
export const model = (): Model => (built ??= buildModel())
