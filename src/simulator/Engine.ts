/**
 * The model-driven REST engine: a request (verb, path below the API root, query, body) in, a status
 * and an XML body out. URLs are resolved by walking the locators from the root service; what a verb
 * does follows from the method kinds the resolved service has. Behaviour particular to some types
 * (VMs starting, disks locked for a moment) lives in Behaviour.ts, behind the hooks below.
 */
import type { MemberMeta, MethodMeta, StructMeta } from "../core/Metadata.js"
import { signaturesOf, type Unmet, unmetSignatures } from "../core/request/Constraints.js"
import { decodeListSync, decodeStructSync, encodeStructSync } from "../core/Xml.js"
import { makeListLink } from "../types/ListLink.js"
import { isPlainObject, withDefaults } from "./Defaults.js"
import { badRequest, HttpFault, incomplete, notAllowed, notFound } from "./Faults.js"
import { type Journal, makeJournal } from "./Journal.js"
import type { Model, ServiceInfo } from "./Model.js"
import { checkFields, type MatchContext, matches, parseQuery, SearchSyntaxError, sortItems, syntaxErrorDetail } from "./Search.js"
import type { Obj, Store } from "./Store.js"

export const API_PREFIX = "/ovirt-engine/api"

export interface EngineRequest {
  readonly method: string
  /** Path below the API root, no leading slash, still URL-escaped: `vms/123/start`. */
  readonly path: string
  readonly query: URLSearchParams
  readonly headers: Readonly<Record<string, string | undefined>>
  readonly body: string
}

export interface EngineResponse {
  readonly status: number
  readonly body: string
}

/** A collection the URL names: where its objects live and how they relate to the parent. */
export interface CollectionTarget {
  readonly _tag: "Collection"
  readonly service: ServiceInfo
  /** The URL path (unescaped segments joined by `/`), used for hrefs. */
  readonly path: string
  /** The store bucket holding the objects. */
  readonly bucket: string
  readonly struct: StructMeta | undefined
  readonly parent: EntityTarget | undefined
  /**
   * Set when the objects are the root collection's, filtered by the member linking them to the
   * parent (`datacenters/<id>/clusters` are the clusters whose `dataCenter` is that one).
   */
  readonly view: { readonly member: MemberMeta; readonly parentId: string } | undefined
}

export interface EntityTarget {
  readonly _tag: "Entity"
  readonly service: ServiceInfo
  readonly path: string
  /** Where the object is stored (its bucket and id). */
  readonly bucket: string
  readonly obj: Obj
  readonly struct: StructMeta | undefined
  readonly collection: CollectionTarget | undefined
}

export type Target = CollectionTarget | EntityTarget

export interface ActionContext {
  readonly engine: Engine
  readonly target: EntityTarget
  readonly action: string
  readonly params: Obj
  readonly query: URLSearchParams
}

export interface AddContext {
  readonly engine: Engine
  readonly collection: CollectionTarget
  readonly obj: Obj
  readonly query: URLSearchParams
}

/** Behaviour particular to some types; every hook may throw an `HttpFault`. */
export interface Hooks {
  /** Fills defaults of a new object and makes its side effects; may replace the object. */
  readonly add: (ctx: AddContext) => Obj
  readonly update: (target: EntityTarget, changes: Obj) => void
  readonly remove: (target: EntityTarget, query: URLSearchParams) => void
  /** Runs an action; returns the `<action>` members to answer with (outputs, `job`). */
  readonly action: (ctx: ActionContext) => Obj
}

type FollowTree = Map<string, FollowTree>

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

const isTrue = (v: string | null | undefined): boolean => v === "" || v?.toLowerCase() === "true"

const parseFollow = (text: string | null): FollowTree => {
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

/** An integer query parameter as the engine reads one (ParametersHelper): anything else is absent. */
const intParam = (text: string | null): number | undefined =>
  text === null || !/^\s*[+-]?\d+\s*$/.test(text) ? undefined : Number(text)

/**
 * The `max` parameter as the engine reads it (ParametersHelper.getIntegerParameter): absent, empty or
 * not an integer (or past 2^31-1) is no limit: the engine logs it and goes on; -1 is no limit. A
 * limit below -1 is passed on by the engine to its search as the row limit, which the database
 * refuses: a 400 here, saying why.
 */
const maxParam = (text: string | null): number | undefined => {
  const n = intParam(text)
  if (n === undefined) return undefined
  if (n === -1 || n > 2 ** 31 - 1) return undefined
  if (n < -1) throw badRequest(`Value '${text}' of parameter 'max' is negative: give a number of results from 0, or -1 for no limit`)
  return n
}

const decodeSegment = (s: string): string => {
  try {
    return decodeURIComponent(s)
  } catch {
    throw badRequest(`malformed URL segment: ${s}`)
  }
}

export class Engine {
  hooks: Hooks | undefined
  /** Jobs and events of what the simulator does. */
  readonly journal: Journal

  constructor(
    readonly model: Model,
    readonly store: Store
  ) {
    this.journal = makeJournal(store)
  }

  /** Answers one API request; faults become `<fault>` documents. */
  handle(req: EngineRequest): EngineResponse {
    this.store.tick()
    // The engine takes the correlation id from the `correlation_id` query parameter or the
    // `Correlation-Id` header (an action's `<correlation_id>` overrides it, see runAction).
    this.journal.correlationId = req.query.get("correlation_id") ?? req.headers["correlation-id"] ?? undefined
    try {
      return this.dispatch(req)
    } catch (e) {
      if (e instanceof HttpFault) return { status: e.status, body: e.xml() }
      throw e
    } finally {
      this.journal.correlationId = undefined
    }
  }

  private dispatch(req: EngineRequest): EngineResponse {
    // Segments as sent: an empty one (`vms//123`) names nothing (404), a dot segment where an id
    // goes is a malformed id (see `entityIn`); only a trailing slash is forgiven.
    const segments = (req.path.endsWith("/") ? req.path.slice(0, -1) : req.path).split("/").map(decodeSegment)
    if (segments.length === 1 && segments[0] === "") segments.length = 0
    if (segments.length === 0) {
      if (req.method !== "GET" && req.method !== "HEAD") throw notAllowed(req.method, "")
      return { status: 200, body: this.apiDocument() }
    }
    const { target, action } = this.resolve(segments)
    if (action !== undefined) {
      if (req.method !== "POST") throw notAllowed(req.method, req.path)
      if (target._tag !== "Entity") throw notFound(req.path)
      return this.runAction(target, action, req)
    }
    if (target._tag === "Collection") {
      if (req.method === "GET" || req.method === "HEAD") return this.list(target, req)
      if (req.method === "POST") return this.add(target, req)
      throw notAllowed(req.method, req.path)
    }
    switch (req.method) {
      case "GET":
      case "HEAD":
      {
        const get = target.service.byKind.get("get")
        if (get === undefined || target.struct === undefined) throw notAllowed(req.method, req.path)
        const omit = this.omitted(get, target.struct, req)
        return { status: 200, body: this.renderObject(target.obj, target.struct, target.path, target.service.name, parseFollow(req.query.get("follow")), true, omit) }
      }
      case "PUT":
        return this.update(target, req)
      case "DELETE":
        return this.remove(target, req)
      default:
        throw notAllowed(req.method, req.path)
    }
  }

  // -------------------------------------------------------------------------------------------
  // Resolution

  /** Walks the locators from the root service; the last segment may name an action. */
  resolve(segments: ReadonlyArray<string>): { target: Target; action?: MethodMeta } {
    let service = this.model.root
    let current: Target | undefined
    for (let i = 0; i < segments.length; i++) {
      const seg = segments[i]
      if (current?._tag === "Collection") {
        current = this.entityIn(current, seg)
        service = current.service
        continue
      }
      const next = service.fixed.get(seg)
      if (next !== undefined) {
        service = this.model.service(next)
        current = this.collectionOrSingleton(service, current, seg)
        continue
      }
      const action = service.actions.get(seg)
      if (action !== undefined && i === segments.length - 1 && current !== undefined) return { target: current, action }
      throw notFound(segments.slice(0, i + 1).join("/"))
    }
    return { target: current! }
  }

  /** Resolves a path below the API root to what it names (for hrefs in follow and behaviour). */
  lookup(path: string): Target | undefined {
    try {
      return this.resolve(path.split("/").filter((s) => s !== "")).target
    } catch (e) {
      if (e instanceof HttpFault) return undefined
      throw e
    }
  }

  private collectionOrSingleton(service: ServiceInfo, parent: EntityTarget | undefined, seg: string): Target {
    const path = parent === undefined ? seg : `${parent.path}/${seg}`
    const ownBucket = parent === undefined ? seg : `${parent.bucket}/${parent.obj.id as string}/${seg}`
    const isCollection = service.member !== undefined || service.byKind.has("list") || service.byKind.has("add")
    if (!isCollection) {
      // A service reached by a fixed segment without an `{id}` below: one object of its own.
      const struct = service.struct === undefined ? undefined : this.model.structs.get(service.struct)
      const obj = this.store.singleton(ownBucket)
      return { _tag: "Entity", service, path, bucket: ownBucket, obj, struct, collection: undefined }
    }
    const structName = service.struct ?? (service.member === undefined ? undefined : this.model.service(service.member).struct)
    const struct = structName === undefined ? undefined : this.model.structs.get(structName)
    let bucket = ownBucket
    let view: CollectionTarget["view"]
    if (parent !== undefined && struct !== undefined && parent.struct !== undefined) {
      const root = this.model.rootCollectionOf.get(struct.name)
      const parentType = parent.struct.name
      const member = struct.members.find((m) => m.kind === "struct" && m.type === parentType && m.link === true)
      if (root !== undefined && member !== undefined) {
        bucket = root
        view = { member, parentId: parent.obj.id as string }
      }
    }
    return { _tag: "Collection", service, path, bucket, struct, parent, view }
  }

  private entityIn(collection: CollectionTarget, key: string): EntityTarget {
    // The engine's REST layer matches `{id}` against the segment as sent (WildFly canonicalises the
    // path only to pick the servlet), so `..` or `%2e%2e` is taken as an id, which no id parses as:
    // 400 "Operation failed" as its MalformedIdExceptionMapper answers; never the parent object.
    if (key === "." || key === "..") throw new HttpFault(400, "Operation failed", `Invalid UUID string: ${key}`)
    const obj = collection.service.member === undefined ? undefined : this.store.find(collection.bucket, key)
    if (obj === undefined || !this.inView(collection, obj)) throw notFound(`${collection.path}/${key}`)
    const service = this.model.service(collection.service.member!)
    const structName = service.struct
    const struct = (structName === undefined ? undefined : this.model.structs.get(structName)) ?? collection.struct
    return { _tag: "Entity", service, path: `${collection.path}/${obj.id as string}`, bucket: collection.bucket, obj, struct, collection }
  }

  private inView(collection: CollectionTarget, obj: Obj): boolean {
    const view = collection.view
    if (view === undefined) return true
    const v = obj[view.member.name]
    if (Array.isArray(v)) return v.some((r: Obj) => r?.id === view.parentId)
    return (v as Obj | undefined)?.id === view.parentId
  }

  items(collection: CollectionTarget): Array<Obj> {
    const all = this.store.list(collection.bucket)
    return collection.view === undefined ? all.slice() : all.filter((o) => this.inView(collection, o))
  }

  // -------------------------------------------------------------------------------------------
  // Methods

  private list(target: CollectionTarget, req: EngineRequest): EngineResponse {
    const method = target.service.byKind.get("list")
    if (method === undefined || target.struct === undefined || target.struct.plural === null) {
      throw notAllowed(req.method, req.path)
    }
    let items = this.items(target)
    if (target.struct.name === "Event") items = this.eventsFrom(items, req.query)
    const search = req.query.get("search")
    const max = maxParam(req.query.get("max"))
    if (search !== null && search.trim() !== "") {
      const plural = target.struct.plural
      let query
      try {
        query = parseQuery(search, plural)
        checkFields(target.struct, query)
      } catch (e) {
        // The engine's search backend refuses what it cannot parse; its REST layer answers 400.
        if (e instanceof SearchSyntaxError) throw badRequest(syntaxErrorDetail(search, plural, e))
        throw e
      }
      const ctx = this.matchContext(target, req.query.get("case_sensitive") !== "false")
      items = sortItems(ctx, query, items.filter((o) => matches(ctx, query, o)))
      if (query.page !== undefined) {
        const size = max ?? 100
        items = items.slice((query.page - 1) * size, query.page * size)
      }
    }
    if (max !== undefined) items = items.slice(0, max)
    const follow = parseFollow(req.query.get("follow"))
    const omit = this.omitted(method, target.struct, req)
    let body = `<${target.struct.plural}>`
    for (const o of items) {
      body += this.renderObject(o, target.struct, `${target.path}/${o.id as string}`, target.service.member, follow, true, omit)
    }
    body += `</${target.struct.plural}>`
    return { status: 200, body }
  }

  /**
   * Events as the engine lists them: newest first (by index); with `from`, only those whose index
   * is above it, which is how a client follows the log.
   */
  private eventsFrom(items: Array<Obj>, query: URLSearchParams): Array<Obj> {
    const from = intParam(query.get("from"))
    const index = (o: Obj) => (typeof o.index === "number" ? o.index : 0)
    const kept = from === undefined ? items : items.filter((o) => index(o) > from)
    return kept.sort((a, b) => index(b) - index(a))
  }

  private add(target: CollectionTarget, req: EngineRequest): EngineResponse {
    const method = target.service.byKind.get("add")
    const struct = target.struct
    if (method === undefined || struct === undefined) throw notAllowed(req.method, req.path)
    const tag = method.requestTag ?? struct.xml
    const bodyParam = this.bodyParameter(method)
    if (method.parameters.find((p) => p.name === bodyParam)?.list === true) return this.addMany(target, method, req)
    const body = this.decodeBody(struct.name, req.body, tag)
    this.checkConstraints(target.service, method, { [bodyParam]: body }, struct.name, "add", bodyParam)
    const existing = typeof body.id === "string" ? this.store.get(target.bucket, body.id) : undefined
    if (existing !== undefined && target.view !== undefined) {
      // Adding an existing object to a view links it to the parent (attach a storage domain, ...).
      this.link(existing, target)
      const hooked = this.hooks ? this.hooks.add({ engine: this, collection: target, obj: existing, query: req.query }) : existing
      return { status: 201, body: this.renderObject(hooked, struct, `${target.path}/${hooked.id as string}`, target.service.member, new Map(), true) }
    }
    let obj: Obj = { ...body, id: typeof body.id === "string" && existing === undefined ? body.id : this.store.newId() }
    delete obj.href
    if (target.view !== undefined) this.link(obj, target)
    if (this.hooks) obj = this.hooks.add({ engine: this, collection: target, obj, query: req.query })
    this.store.put(target.bucket, obj)
    return {
      status: 201,
      body: this.renderObject(obj, struct, `${target.path}/${obj.id as string}`, target.service.member, new Map(), true)
    }
  }

  /** An add whose body is a list (`<bricks>`): each item is added, the answer lists them. */
  private addMany(target: CollectionTarget, method: MethodMeta, req: EngineRequest): EngineResponse {
    const struct = target.struct!
    const tag = method.requestTag ?? struct.plural ?? struct.xml
    if (req.body.trim() === "") throw badRequest(`Request syntactically incorrect: the body must be a <${tag}> document`)
    let items: ReadonlyArray<Obj>
    try {
      items = decodeListSync(struct.name, req.body, { tag }) as ReadonlyArray<Obj>
    } catch (e) {
      throw badRequest(`Request syntactically incorrect: ${e instanceof Error ? e.message : String(e)}`)
    }
    let body = `<${tag}>`
    for (const item of items) {
      const obj = this.insert(target.path, { ...item, id: this.store.newId() })
      body += this.renderObject(obj, struct, `${target.path}/${obj.id as string}`, target.service.member, new Map(), false)
    }
    return { status: 201, body: `${body}</${tag}>` }
  }

  /**
   * Puts an object straight into the collection at `path` (linked to the parent in views), without
   * behaviour: for tests that need objects the API cannot create. Gives the stored object.
   */
  insert(path: string, obj: Obj): Obj {
    const target = this.lookup(path)
    if (target?._tag !== "Collection") throw new Error(`simulator: ${path} is not a collection`)
    const stored: Obj = { ...obj, id: typeof obj.id === "string" ? obj.id : this.store.newId() }
    if (target.view !== undefined) this.link(stored, target)
    return this.store.put(target.bucket, stored)
  }

  private link(obj: Obj, target: CollectionTarget): void {
    const view = target.view!
    const ref = { id: view.parentId }
    if (view.member.list) {
      const current = (obj[view.member.name] as Array<Obj> | undefined) ?? []
      if (!current.some((r) => r.id === view.parentId)) obj[view.member.name] = [...current, ref]
    } else obj[view.member.name] = ref
  }

  private update(target: EntityTarget, req: EngineRequest): EngineResponse {
    const method = target.service.byKind.get("update")
    const struct = target.struct
    if (method === undefined || struct === undefined) throw notAllowed(req.method, req.path)
    const changes = this.decodeBody(struct.name, req.body, method.requestTag ?? struct.xml)
    delete changes.id
    delete changes.href
    this.hooks?.update(target, changes)
    mergeInto(target.obj, changes)
    return { status: 200, body: this.renderEntity(target, new Map()) }
  }

  private remove(target: EntityTarget, req: EngineRequest): EngineResponse {
    if (!target.service.byKind.has("remove")) throw notAllowed(req.method, req.path)
    this.hooks?.remove(target, req.query)
    const view = target.collection?.view
    if (view !== undefined && view.member.list) {
      // Removing from a view unlinks (detach a storage domain from a data center).
      const refs = target.obj[view.member.name] as Array<Obj>
      target.obj[view.member.name] = refs.filter((r) => r.id !== view.parentId)
    } else this.store.remove(target.bucket, target.obj.id as string)
    // `Expect: 202-accepted` asks the engine not to block: 202 Accepted with no body. `async=true`
    // only says not to wait for the command's tasks; the answer is the 200 the model's wire
    // conventions give every remove (and the SDKs, ours included, expect). The simulator's removal
    // itself is immediate either way.
    if (this.expectsNonBlocking(req)) return { status: 202, body: "" }
    return { status: 200, body: "" }
  }

  private runAction(target: EntityTarget, method: MethodMeta, req: EngineRequest): EngineResponse {
    const params = req.body.trim() === "" ? {} : this.decodeBody("Action", req.body, "action")
    if (typeof params.correlationId === "string" && params.correlationId !== "") this.journal.correlationId = params.correlationId
    this.checkConstraints(target.service, method, params, "Action", method.path ?? method.name)
    const result = this.hooks ? this.hooks.action({ engine: this, target, action: method.path!, params, query: req.query }) : {}
    const out: Obj = { status: "complete", ...result }
    // The job's link carries its href, as the engine's does.
    const jobRef = out.job as Obj | undefined
    if (typeof jobRef?.id === "string") out.job = { ...jobRef, href: `${API_PREFIX}/jobs/${jobRef.id}` }
    const resultMember = method.actionResult
    if (resultMember && out[resultMember] === undefined) out[resultMember] = this.sampleOutput(resultMember)
    // An `async` action that started a job still in progress answers 202 Accepted with the action
    // `pending` (and the job's link), as the engine does; a synchronous one waits for nothing and
    // says `complete` at once, the job going on in the background.
    if ((params.async === true || this.expectsNonBlocking(req)) && method.parameters.some((p) => p.name === "async")) {
      const job = out.job as Obj | undefined
      const running = job !== undefined && this.store.get("jobs", job.id as string)?.status === "started"
      if (running) return { status: 202, body: encodeStructSync("Action", { ...out, async: true, status: "pending" }, undefined, "document") }
      return { status: 200, body: encodeStructSync("Action", { ...out, async: true }, undefined, "document") }
    }
    return { status: 200, body: encodeStructSync("Action", out, undefined, "document") }
  }

  /** The members to leave out of answers of `method` (get or list) on `struct`, per `all_content`. */
  private omitted(method: MethodMeta, struct: StructMeta, req: EngineRequest): ReadonlyArray<ReadonlyArray<string>> {
    if (!method.parameters.some((p) => p.name === "allContent")) return []
    if (isTrue(req.query.get("all_content")) || isTrue(req.headers["all-content"])) return []
    return heavyMembers.get(struct.name) ?? []
  }

  private light(obj: Obj, omit: ReadonlyArray<ReadonlyArray<string>>): Obj {
    let out = obj
    for (const path of omit) out = without(out, path)
    return out
  }

  private expectsNonBlocking(req: EngineRequest): boolean {
    return /\b202-accepted\b/i.test(req.headers["expect"] ?? "")
  }

  // -------------------------------------------------------------------------------------------
  // Input

  private decodeBody(structName: string, text: string, tag: string): Obj {
    if (text.trim() === "") throw badRequest(`Request syntactically incorrect: the body must be a <${tag}> document`)
    try {
      return decodeStructSync(structName, text, { tag }) as Obj
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e)
      throw badRequest(`Request syntactically incorrect: ${message}`)
    }
  }

  private bodyParameter(method: MethodMeta): string {
    return method.body ?? method.parameters.find((p) => p.in && p.out)?.name ?? "body"
  }

  /**
   * The input must satisfy one of the method's signatures, by the rule the SDK checks before sending
   * (src/core/request/Constraints.ts): `POST /disks` with `storage_domains` and a size is an add on a
   * storage domain and needs no `interface`. A refusal names what the closest signature misses, as the
   * engine's `validateParameters` words it: `Disk [format, provisionedSize] required for add`.
   */
  private checkConstraints(service: ServiceInfo, method: MethodMeta, input: Obj, structName: string, verb: string, body?: string): void {
    const unmet = unmetSignatures(signaturesOf(service.methods, method), (name) => input[name])
    if (unmet !== undefined) throw incomplete(structName, engineWording((unmet[0] as Unmet).missing, body), verb)
  }

  private sampleOutput(memberName: string): unknown {
    const m = this.model.structs.get("Action")?.members.find((x) => x.name === memberName)
    if (m === undefined) return undefined
    if (m.list) return []
    switch (m.kind) {
      case "struct": {
        const s = this.model.structs.get(m.type)
        return s?.members.some((x) => x.name === "id") ? { id: this.store.newId() } : {}
      }
      case "enum":
        return undefined
      default:
        return m.type === "Boolean" ? true : m.type === "Integer" ? 0 : m.type === "Date" ? new Date(this.store.now()) : this.store.random.hex(16)
    }
  }

  matchContext(collection: CollectionTarget, caseSensitive: boolean): MatchContext {
    const deref = (type: string, ref: Obj): Obj | undefined => {
      const root = this.model.rootCollectionOf.get(type)
      return root === undefined || typeof ref.id !== "string" ? undefined : this.store.get(root, ref.id)
    }
    const tagsOf = (obj: Obj): ReadonlyArray<string> => {
      // The tags assigned to an object are its `tags` subcollection, wherever the model keeps them.
      const tags = typeof obj.id === "string" ? this.lookup(`${collection.path}/${obj.id}/tags`) : undefined
      if (tags?._tag !== "Collection") return []
      return this.items(tags).flatMap((t) => [t.name ?? deref("Tag", t)?.name].filter((n): n is string => typeof n === "string"))
    }
    const correlationOf = (obj: Obj): string | undefined => (typeof obj.id === "string" ? this.journal.correlations.get(obj.id) : undefined)
    return { struct: collection.struct!, caseSensitive, deref, tagsOf, correlationOf }
  }

  // -------------------------------------------------------------------------------------------
  // Output

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
    const xml = encodeStructSync(struct.name, value, undefined, "document")
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
    const out: Obj = { ...this.light(withDefaults(struct, obj), omit), href }
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

  private readonly shapes = new Map<string, { readonly links: ReadonlyArray<MemberMeta>; readonly hasId: boolean }>()

  /** Per struct, once: its link members and whether it has an id. */
  private shapeOf(struct: StructMeta): { readonly links: ReadonlyArray<MemberMeta>; readonly hasId: boolean } {
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
    const target = this.lookup(`${path}/${segment}`)
    if (target?._tag === "Collection" && struct !== undefined) {
      return this.items(target).map((o) => this.expand(o, target.struct ?? struct, `${target.path}/${o.id as string}`, follow))
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
    const xml = encodeStructSync("Api", api, undefined, "document")
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

const escapePath = (path: string): string => path.split("/").map(encodeURIComponent).join("/")


/** PUT semantics: members sent replace the stored ones; nested structs merge member by member. */
export const mergeInto = (target: Obj, changes: Obj): void => {
  for (const [k, v] of Object.entries(changes)) {
    if (v === undefined) continue
    const current = target[k]
    if (isPlainObject(v) && isPlainObject(current)) {
      const copy = { ...current }
      mergeInto(copy, v)
      target[k] = copy
    } else target[k] = v
  }
}

/**
 * Missing inputs (`disk.provisionedSize`, `vm.cluster.id or vm.cluster.name`, `disk.storageDomains[0].id`)
 * as the engine names them: below the body's object, without list indexes, alternatives joined by `|`
 * after their common part (`cluster.id|name`).
 */
const engineWording = (missing: ReadonlyArray<string>, body: string | undefined): Array<string> =>
  missing.map((item) => {
    const alternatives = item.split(" or ").map((path) => {
      const steps = path.replace(/\[[0-9]*\]/g, "").split(".")
      return steps.length > 1 && steps[0] === body ? steps.slice(1) : steps
    })
    const first = alternatives[0] as Array<string>
    let common = 0
    while (common < first.length - 1 && alternatives.every((a) => a.length > common + 1 && a[common] === first[common])) common++
    const prefix = first.slice(0, common).join(".")
    const rests = alternatives.map((a) => a.slice(common).join(".")).join("|")
    return prefix === "" ? rests : `${prefix}.${rests}`
  })
