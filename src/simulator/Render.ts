/**
 * How the REST core writes objects: each with its href, hrefs on references, a `<link rel>` for every
 * list link not followed, `<actions>`, the links `follow` asks for inlined, and without the members
 * the engine leaves out unless `all_content` is asked for; and the API root document.
 */
import { Either } from "effect"
import type { MemberMeta, StructMeta } from "../core/Metadata.js"
import type { MethodMeta } from "../services/runtime/Metadata.js"
import { encodeStructSync } from "../types/Xml.js"
import { makeListLink } from "../types/ListLink.js"
import { isPlainObject, withDefaults } from "./Defaults.js"
import { notAllowed } from "./Faults.js"
import type { Model } from "./Model.js"
import { isTrue } from "./Requests.js"
import type { Obj, Store } from "./Store.js"
import { API_PREFIX, type EngineRequest, type EntityTarget, type Resolver } from "./Targets.js"

/** The `follow` parameter as a tree of link names (`disk_attachments.disk`). */
export type FollowTree = Map<string, FollowTree>

export const parseFollow = (text: string | null): FollowTree => {
  const tree: FollowTree = new Map()
  if (!text) return tree
  for (const path of text.split(",")) {
    let node = tree
    for (const step of path.trim().split(".")) {
      if (step === "") continue
      let next = node.get(step)
      if (next === undefined) node.set(step, (next = new Map()))
      node = next
    }
  }
  return tree
}

/**
 * What the engine leaves out of objects unless `all_content=true` (or an `All-Content: true` header)
 * is sent, for the methods whose model has that parameter: member paths per struct, as the API
 * reference documents them (VmService.get / VmsService.list: console, initialization.configuration.data
 * (the OVF), rng_source, soundcard, virtio_scsi; HostsService.list / HostService.get: hosted_engine;
 * SnapshotsService.list: initialization.configuration.data). Other types the model gives the parameter
 * to (disks, host NICs) have no documented exclusions: nothing is left out of them.
 */
const heavyMembers: ReadonlyMap<string, ReadonlyArray<ReadonlyArray<string>>> = new Map([
  ["Vm", [["console"], ["initialization", "configuration", "data"], ["rngDevice"], ["soundcardEnabled"], ["virtioScsi"]]],
  ["Host", [["hostedEngine"]]],
  ["Snapshot", [["initialization", "configuration", "data"]]]
])

/** A copy of `obj` without the member at `path`, copying only the objects on the way. */
const without = (obj: Obj, path: ReadonlyArray<string>): Obj => {
  const [first, ...rest] = path
  if (!(first in obj)) return obj
  const out = { ...obj }
  if (rest.length === 0) delete out[first]
  else if (isPlainObject(out[first])) out[first] = without(out[first] as Obj, rest)
  return out
}

const light = (obj: Obj, omit: ReadonlyArray<ReadonlyArray<string>>): Obj => {
  let out = obj
  for (const path of omit) out = without(out, path)
  return out
}

/** The members to leave out of answers of `method` (get or list) on `struct`, per `all_content`. */
export const omitted = (method: MethodMeta, struct: StructMeta, req: EngineRequest): ReadonlyArray<ReadonlyArray<string>> => {
  if (!method.parameters.some((p) => p.name === "allContent")) return []
  if (isTrue(req.query.get("all_content")) || isTrue(req.headers["all-content"])) return []
  return heavyMembers.get(struct.name) ?? []
}

const escapePath = (path: string): string => path.split("/").map(encodeURIComponent).join("/")

interface Shape {
  readonly links: ReadonlyArray<MemberMeta>
  readonly hasId: boolean
}

export class Renderer {
  private readonly shapes = new Map<string, Shape>()

  constructor(
    private readonly model: Model,
    private readonly store: Store,
    private readonly resolver: Resolver
  ) {}

  renderEntity(target: EntityTarget, follow: FollowTree): string {
    const struct = target.struct
    if (struct === undefined) throw notAllowed("GET", target.path)
    return this.renderObject(target.obj, struct, target.path, target.service.name, follow, true)
  }

  /** One object with its href, `<link rel>`s for list links, hrefs on references, and `<actions>`. */
  renderObject(
    obj: Obj,
    struct: StructMeta,
    path: string,
    serviceName: string | undefined,
    follow: FollowTree,
    actions: boolean,
    omit: ReadonlyArray<ReadonlyArray<string>> = []
  ): string {
    const extra = { xml: "" }
    const value = this.expand(obj, struct, path, follow, extra, omit)
    const xml = Either.getOrThrowWith(encodeStructSync(struct.name, value, undefined, "document"), (e) => e)
    let links = extra.xml
    const service = actions && serviceName !== undefined ? this.model.services.get(serviceName) : undefined
    if (service !== undefined && service.actions.size > 0) {
      const href = `${API_PREFIX}/${escapePath(path)}`
      links += "<actions>"
      for (const name of service.actions.keys()) links += `<link href="${href}/${name}" rel="${name}"/>`
      links += "</actions>"
    }
    if (links === "") return xml
    return xml.endsWith("/>") ? `${xml.slice(0, -2)}>${links}</${struct.xml}>` : `${xml.slice(0, -(struct.xml.length + 3))}${links}</${struct.xml}>`
  }

  /**
   * The object as it is sent: href, hrefs on references, followed links inlined, and a link for
   * every list link not inlined: as a `ListLink` value, or (top level, faster) appended to `extra`.
   */
  private expand(
    obj: Obj,
    struct: StructMeta,
    path: string,
    follow: FollowTree,
    extra?: { xml: string },
    omit: ReadonlyArray<ReadonlyArray<string>> = []
  ): Obj {
    const href = `${API_PREFIX}/${escapePath(path)}`
    // What the engine always sends is filled first; what `all_content` leaves out is dropped after.
    const out: Obj = { ...light(withDefaults(struct, obj), omit), href }
    const { links, hasId } = this.shapeOf(struct)
    // The store keys every object by id; types without one (imports, ...) do not show it.
    if (!hasId) delete out.id
    for (const m of links) {
      const sub = follow.size === 0 ? undefined : follow.get(m.xml)
      const v = obj[m.name]
      if (m.list) {
        if (sub !== undefined) out[m.name] = this.followList(m, v, path, sub)
        else if (v === undefined && m.rel !== undefined) {
          if (extra !== undefined) extra.xml += `<link href="${href}/${m.rel}" rel="${m.rel}"/>`
          else out[m.name] = makeListLink([], `${href}/${m.rel}`)
        }
        else if (Array.isArray(v)) out[m.name] = v.map((r: Obj) => this.withHref(m, r))
      } else if (v !== undefined && v !== null) {
        const ref = v as Obj
        if (sub !== undefined) out[m.name] = this.followOne(m, ref, sub)
        else out[m.name] = this.withHref(m, ref)
      }
    }
    return out
  }

  /** Per struct, once: its link members and whether it has an id. */
  private shapeOf(struct: StructMeta): Shape {
    let shape = this.shapes.get(struct.name)
    if (shape === undefined) {
      shape = {
        links: struct.members.filter((m) => m.kind === "struct" && m.link === true),
        hasId: struct.members.some((m) => m.name === "id")
      }
      this.shapes.set(struct.name, shape)
    }
    return shape
  }

  private withHref(m: MemberMeta, ref: Obj): Obj {
    if (typeof ref.id !== "string" || ref.href !== undefined) return ref
    const root = this.model.rootCollectionOf.get(m.type)
    return root === undefined ? ref : { ...ref, href: `${API_PREFIX}/${root}/${ref.id}` }
  }

  private followOne(m: MemberMeta, ref: Obj, follow: FollowTree): Obj {
    const root = this.model.rootCollectionOf.get(m.type)
    const struct = this.model.structs.get(m.type)
    const found = root === undefined || typeof ref.id !== "string" ? undefined : this.store.get(root, ref.id)
    if (found === undefined || struct === undefined) return this.withHref(m, ref)
    return this.expand(found, struct, `${root}/${found.id as string}`, follow)
  }

  private followList(m: MemberMeta, value: unknown, path: string, follow: FollowTree): ReadonlyArray<Obj> {
    const struct = this.model.structs.get(m.type)
    const segment = m.rel ?? m.xml.replace(/_/g, "")
    const target = this.resolver.lookup(`${path}/${segment}`)
    if (target?._tag === "Collection" && struct !== undefined) {
      return this.resolver.items(target).map((o) => this.expand(o, target.struct ?? struct, `${target.path}/${o.id as string}`, follow))
    }
    if (Array.isArray(value) && struct !== undefined) return value.map((r: Obj) => this.followOne(m, r, follow))
    return []
  }

  /** The root document: product info, a summary, and one `<link rel>` per root collection. */
  apiDocument(): string {
    const count = (bucket: string, pred?: (o: Obj) => boolean) => {
      const all = this.store.list(bucket)
      return pred === undefined ? all.length : all.filter(pred).length
    }
    const api: Obj = {
      productInfo: {
        name: "oVirt Engine (effect-ovirt simulator)",
        vendor: "ovirt.org",
        version: { major: 4, minor: 6, build: 1, revision: 0, fullVersion: "4.6.1-simulator" }
      },
      summary: {
        vms: { total: count("vms"), active: count("vms", (o) => o.status === "up") },
        hosts: { total: count("hosts"), active: count("hosts", (o) => o.status === "up") },
        users: { total: count("users"), active: count("users") },
        storageDomains: { total: count("storagedomains"), active: count("storagedomains", (o) => o.status === "active") }
      },
      time: new Date(this.store.now())
    }
    const xml = Either.getOrThrowWith(encodeStructSync("Api", api, undefined, "document"), (e) => e)
    let links = ""
    for (const [segment, name] of this.model.root.fixed) {
      links += `<link href="${API_PREFIX}/${segment}" rel="${segment}"/>`
      const list = this.model.service(name).byKind.get("list")
      if (list?.parameters.some((p) => p.name === "search")) {
        links += `<link href="${API_PREFIX}/${segment}?search={query}" rel="${segment}/search"/>`
      }
    }
    return `${xml.slice(0, -"</api>".length)}${links}</api>`
  }
}
