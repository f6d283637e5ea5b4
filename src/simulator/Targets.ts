/**
 * What a URL below the API root names, found by walking the locators from the root service: a
 * collection (its store bucket, and for views the member linking its objects to the parent), an
 * entity, or an entity's action. Also the request and answer shapes of the REST core and the hooks
 * the resource families' behaviour plugs into it.
 */
import type { MemberMeta, StructMeta } from "../core/Metadata.js"
import type { MethodMeta } from "../services/runtime/Metadata.js"
import { HttpFault, notFound } from "./Faults.js"
import type { Model, ServiceInfo } from "./Model.js"
import type { Obj, Store } from "./Store.js"

/** Where the API lives on the engine's server. */
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
  readonly target: EntityTarget
  readonly action: string
  readonly params: Obj
  readonly query: URLSearchParams
}

export interface AddContext {
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

/** Resolves URL paths against the model and the store. */
export class Resolver {
  constructor(
    readonly model: Model,
    readonly store: Store
  ) {}

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

  /** The objects of a collection (for views, those linked to the parent). */
  items(collection: CollectionTarget): Array<Obj> {
    const all = this.store.list(collection.bucket)
    return collection.view === undefined ? all.slice() : all.filter((o) => this.inView(collection, o))
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
}
