/**
 * The model-driven REST core: a request (verb, path below the API root, query, body) in, a status
 * and an XML body out. What a URL names is resolved by walking the locators from the root service
 * (Targets.ts); what a verb does follows from the method kinds the resolved service has; requests are
 * read as the engine reads them (Input.ts) and objects written as it writes them (Render.ts).
 * Behaviour particular to some types (VMs starting, disks locked for a moment) lives in
 * behaviour/, behind the hooks.
 */
import { Either } from "effect"
import type { MethodMeta } from "../services/runtime/Metadata.js"
import { decodeListSync, encodeStructSync } from "../types/Xml.js"
import { withDefaults } from "./Defaults.js"
import { badRequest, HttpFault, notAllowed, notFound } from "./Faults.js"
import { bodyParameter, checkConstraints, decodeBody, decodeSegment, expectsNonBlocking, intParam, maxParam, mergeInto } from "./Input.js"
import { type Journal, makeJournal } from "./Journal.js"
import type { Model } from "./Model.js"
import { omitted, parseFollow, Renderer } from "./Render.js"
import { checkFields, type MatchContext, matches, sortItems } from "./Search.js"
import { parseQuery, SearchSyntaxError, syntaxErrorDetail } from "./SearchQuery.js"
import { isTrue } from "./Requests.js"
import type { Obj, Store } from "./Store.js"
import {
  API_PREFIX,
  type CollectionTarget,
  type EngineRequest,
  type EngineResponse,
  type EntityTarget,
  type Hooks,
  Resolver
} from "./Targets.js"

/** The hooks the engine takes (defined with the targets they act on). */
export type { Hooks } from "./Targets.js"

export class Engine {
  hooks: Hooks | undefined
  /** Jobs and events of what the simulator does. */
  readonly journal: Journal

  private readonly resolver: Resolver
  private readonly renderer: Renderer

  constructor(
    readonly model: Model,
    readonly store: Store
  ) {
    this.journal = makeJournal(store)
    this.resolver = new Resolver(model, store)
    this.renderer = new Renderer(model, store, this.resolver)
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
    // goes is a malformed id (see `entityIn` in Targets.ts); only a trailing slash is forgiven.
    const segments = (req.path.endsWith("/") ? req.path.slice(0, -1) : req.path).split("/").map(decodeSegment)
    if (segments.length === 1 && segments[0] === "") segments.length = 0
    if (segments.length === 0) {
      if (req.method !== "GET" && req.method !== "HEAD") throw notAllowed(req.method, "")
      return { status: 200, body: this.renderer.apiDocument() }
    }
    const { target, action } = this.resolver.resolve(segments)
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
        const omit = omitted(get, target.struct, req)
        return { status: 200, body: this.renderer.renderObject(target.obj, target.struct, target.path, target.service.name, parseFollow(req.query.get("follow")), true, omit) }
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
  // Methods

  private list(target: CollectionTarget, req: EngineRequest): EngineResponse {
    const method = target.service.byKind.get("list")
    if (method === undefined || target.struct === undefined || target.struct.plural === null) {
      throw notAllowed(req.method, req.path)
    }
    let items = this.resolver.items(target)
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
      // the engine's REST layer reads `case_sensitive` as a boolean parameter, empty true and absent
      // false (AbstractBackendCollectionResource): a search ignores case unless asked not to, whatever
      // the model's documentation says
      const ctx = this.matchContext(target, isTrue(req.query.get("case_sensitive")))
      // searched and sorted as answered: with the defaults the engine shows, which are not stored
      const struct = target.struct
      const stored = new Map(items.map((o) => [withDefaults(struct, o), o]))
      items = sortItems(ctx, query, [...stored.keys()].filter((o) => matches(ctx, query, o))).map((o) => stored.get(o)!)
      if (query.page !== undefined) {
        const size = max ?? 100
        items = items.slice((query.page - 1) * size, query.page * size)
      }
    }
    if (max !== undefined) items = items.slice(0, max)
    const follow = parseFollow(req.query.get("follow"))
    const omit = omitted(method, target.struct, req)
    let body = `<${target.struct.plural}>`
    for (const o of items) {
      body += this.renderer.renderObject(o, target.struct, `${target.path}/${o.id as string}`, target.service.member, follow, true, omit)
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
    const bodyParam = bodyParameter(method)
    if (method.parameters.find((p) => p.name === bodyParam)?.list === true) return this.addMany(target, method, req)
    const body = decodeBody(struct.name, req.body, tag)
    checkConstraints(target.service, method, { [bodyParam]: body }, struct.name, "add", bodyParam)
    const existing = typeof body.id === "string" ? this.store.get(target.bucket, body.id) : undefined
    if (existing !== undefined && target.view !== undefined) {
      // Adding an existing object to a view links it to the parent (attach a storage domain, ...).
      this.link(existing, target)
      const hooked = this.hooks ? this.hooks.add({ collection: target, obj: existing, query: req.query }) : existing
      return { status: 201, body: this.renderer.renderObject(hooked, struct, `${target.path}/${hooked.id as string}`, target.service.member, new Map(), true) }
    }
    let obj: Obj = { ...body, id: typeof body.id === "string" && existing === undefined ? body.id : this.store.newId() }
    delete obj.href
    if (target.view !== undefined) this.link(obj, target)
    if (this.hooks) obj = this.hooks.add({ collection: target, obj, query: req.query })
    this.store.put(target.bucket, obj)
    return {
      status: 201,
      body: this.renderer.renderObject(obj, struct, `${target.path}/${obj.id as string}`, target.service.member, new Map(), true)
    }
  }

  /** An add whose body is a list (`<bricks>`): each item is added, the answer lists them. */
  private addMany(target: CollectionTarget, method: MethodMeta, req: EngineRequest): EngineResponse {
    const struct = target.struct!
    const tag = method.requestTag ?? struct.plural ?? struct.xml
    if (req.body.trim() === "") throw badRequest(`Request syntactically incorrect: the body must be a <${tag}> document`)
    const items = Either.getOrThrowWith(decodeListSync(struct.name, req.body, { tag }), (e) =>
      badRequest(`Request syntactically incorrect: ${e.message}`)) as ReadonlyArray<Obj>
    let body = `<${tag}>`
    for (const item of items) {
      const obj = this.insert(target.path, { ...item, id: this.store.newId() })
      body += this.renderer.renderObject(obj, struct, `${target.path}/${obj.id as string}`, target.service.member, new Map(), false)
    }
    return { status: 201, body: `${body}</${tag}>` }
  }

  /**
   * Puts an object straight into the collection at `path` (linked to the parent in views), without
   * behaviour: for tests that need objects the API cannot create. Gives the stored object.
   */
  insert(path: string, obj: Obj): Obj {
    const target = this.resolver.lookup(path)
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
    const changes = decodeBody(struct.name, req.body, method.requestTag ?? struct.xml)
    delete changes.id
    delete changes.href
    this.hooks?.update(target, changes)
    mergeInto(target.obj, changes)
    return { status: 200, body: this.renderer.renderEntity(target, new Map()) }
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
    if (expectsNonBlocking(req)) return { status: 202, body: "" }
    return { status: 200, body: "" }
  }

  private runAction(target: EntityTarget, method: MethodMeta, req: EngineRequest): EngineResponse {
    const params = req.body.trim() === "" ? {} : decodeBody("Action", req.body, "action")
    if (typeof params.correlationId === "string" && params.correlationId !== "") this.journal.correlationId = params.correlationId
    checkConstraints(target.service, method, params, "Action", method.path ?? method.name)
    const result = this.hooks ? this.hooks.action({ target, action: method.path!, params, query: req.query }) : {}
    const out: Obj = { status: "complete", ...result }
    // The job's link carries its href, as the engine's does.
    const jobRef = out.job as Obj | undefined
    if (typeof jobRef?.id === "string") out.job = { ...jobRef, href: `${API_PREFIX}/jobs/${jobRef.id}` }
    const resultMember = method.actionResult
    if (resultMember && out[resultMember] === undefined) out[resultMember] = this.sampleOutput(resultMember)
    // An `async` action that started a job still in progress answers 202 Accepted with the action
    // `pending` (and the job's link), as the engine does; a synchronous one waits for nothing and
    // says `complete` at once, the job going on in the background.
    if ((params.async === true || expectsNonBlocking(req)) && method.parameters.some((p) => p.name === "async")) {
      const job = out.job as Obj | undefined
      const running = job !== undefined && this.store.get("jobs", job.id as string)?.status === "started"
      if (running) return { status: 202, body: actionDocument({ ...out, async: true, status: "pending" }) }
      return { status: 200, body: actionDocument({ ...out, async: true }) }
    }
    return { status: 200, body: actionDocument(out) }
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
      const tags = typeof obj.id === "string" ? this.resolver.lookup(`${collection.path}/${obj.id}/tags`) : undefined
      if (tags?._tag !== "Collection") return []
      return this.resolver.items(tags).flatMap((t) => [t.name ?? deref("Tag", t)?.name].filter((n): n is string => typeof n === "string"))
    }
    const correlationOf = (obj: Obj): string | undefined => (typeof obj.id === "string" ? this.journal.correlations.get(obj.id) : undefined)
    return { struct: collection.struct!, caseSensitive, deref, tagsOf, correlationOf }
  }
}

/** An `<action>` answer as the engine writes it; a value it cannot write is a defect of the simulator. */
const actionDocument = (value: Readonly<Record<string, unknown>>): string =>
  Either.getOrThrowWith(encodeStructSync("Action", value, undefined, "document"), (e) => e)
