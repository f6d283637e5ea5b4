/**
 * Searching a collection by a parsed query (SearchQuery.ts): the fields of a type are the engine's
 * search fields for it (`tag`, `datacenter`, `creationdate`, `os`, `correlation_id`, ...) plus every
 * member by its wire name; free text matches name, description or comment; `sortby` orders.
 */
import type { MemberMeta, StructMeta } from "../core/Metadata.js"
import { type Condition, type Query, SearchSyntaxError } from "./SearchQuery.js"
import type { Obj } from "./Store.js"

// ---------------------------------------------------------------------------------------------
// Fields

/** What a matcher needs from the engine: the objects references point to, and tags. */
export interface MatchContext {
  readonly struct: StructMeta
  readonly caseSensitive: boolean
  /** The stored object a reference of `type` points to (`Cluster`, {id}). */
  readonly deref: (type: string, ref: Obj) => Obj | undefined
  /** The names of the tags assigned to `obj`. */
  readonly tagsOf: (obj: Obj) => ReadonlyArray<string>
  /**
   * The correlation id a job was started with. The model's Job has no such member (the engine keeps it
   * in its database and searches it as `correlation_id`), so the simulator's journal keeps it beside the job.
   */
  readonly correlationOf: (obj: Obj) => string | undefined
}

type Value = string | number | Date
type Field = (ctx: MatchContext, obj: Obj) => ReadonlyArray<Value>

const squash = (s: string): string => s.replace(/_/g, "").toLowerCase()

export const findMember = (struct: StructMeta, field: string): MemberMeta | undefined => {
  const f = squash(field)
  return struct.members.find((m) => squash(m.xml) === f || m.name.toLowerCase() === f)
}

const refValues = (ctx: MatchContext, type: string, v: unknown): Array<string> =>
  ((Array.isArray(v) ? v : v === undefined || v === null ? [] : [v]) as ReadonlyArray<Obj>).flatMap((r) => {
    const name = r.name ?? ctx.deref(type, r)?.name
    return [r.id, name].filter((x): x is string => typeof x === "string")
  })

const plain = (v: unknown): Array<Value> =>
  (Array.isArray(v) ? v : v === undefined || v === null ? [] : [v]).map((x) =>
    x instanceof Date || typeof x === "number" ? x : typeof x === "object" ? JSON.stringify(x) : String(x)
  )

/** A member, by its name in the model (a reference gives the id and the name of what it names). */
const memberField = (m: MemberMeta): Field => (ctx, obj) => (m.kind === "struct" ? refValues(ctx, m.type, obj[m.name]) : plain(obj[m.name]))

/** A value below the object (`os.type`). */
const path = (...names: ReadonlyArray<string>): Field => (_ctx, obj) => {
  let v: unknown = obj
  for (const n of names) v = v !== null && typeof v === "object" ? (v as Obj)[n] : undefined
  return plain(v)
}

/** The reference held in member `name`, naming an object of `type`: its id and name. */
const ref = (name: string, type: string): Field => (ctx, obj) => refValues(ctx, type, obj[name])

/** The data center of the object's cluster (VMs, hosts, templates search it as `datacenter`). */
const dataCenterOfCluster: Field = (ctx, obj) => {
  const cluster = obj.cluster as Obj | undefined
  const stored = cluster === undefined ? undefined : ctx.deref("Cluster", cluster)
  return refValues(ctx, "DataCenter", stored?.dataCenter)
}

/** Memory in MiB: the engine searches `memory` on its `mem_size_mb` column. */
const memoryMiB: Field = (_ctx, obj) => (typeof obj.memory === "number" ? [Math.floor(obj.memory / 2 ** 20)] : [])

const tags: Field = (ctx, obj) => ctx.tagsOf(obj)

/**
 * The engine's search fields that are not plain members, per type (its ConditionFieldAutoCompleters:
 * Vm, VmTemplate, Vds, Cluster, StoragePool, StorageDomain, Disk, Network, AuditLog, Job, ...).
 */
const engineFields: Readonly<Record<string, Readonly<Record<string, Field>>>> = {
  Vm: {
    creationdate: path("creationTime"),
    os: path("os", "type"),
    memory: memoryMiB,
    datacenter: dataCenterOfCluster,
    tag: tags,
    pool: ref("vmPool", "VmPool"),
    architecture: path("cpu", "architecture"),
    loggedinuser: path("guestOperatingSystem", "user")
  },
  Template: {
    creationdate: path("creationTime"),
    os: path("os", "type"),
    memory: memoryMiB,
    datacenter: dataCenterOfCluster,
    tag: tags,
    architecture: path("cpu", "architecture")
  },
  Host: { datacenter: dataCenterOfCluster, tag: tags, architecture: path("cpu", "type", "architecture") },
  Cluster: { datacenter: ref("dataCenter", "DataCenter"), architecture: path("cpu", "architecture") },
  Disk: { storage: ref("storageDomains", "StorageDomain"), size: path("provisionedSize"), creationdate: path("creationTime") },
  StorageDomain: { datacenter: ref("dataCenters", "DataCenter"), size: path("available"), used: path("used") },
  Network: { datacenter: ref("dataCenter", "DataCenter"), vlanid: path("vlan", "id") },
  Event: {
    correlationid: path("correlationId"),
    type: path("code"),
    usr: ref("user", "User"),
    storage: ref("storageDomain", "StorageDomain"),
    datacenter: ref("dataCenter", "DataCenter")
  },
  Job: { correlationid: (ctx, obj) => { const id = ctx.correlationOf(obj); return id === undefined ? [] : [id] } },
  User: { usrname: path("userName") }
}

/** The search field `name` of `struct`: the engine's own first, then any member by its wire name. */
export const fieldOf = (struct: StructMeta, name: string): Field | undefined => {
  const own = engineFields[struct.name]?.[squash(name)]
  if (own !== undefined) return own
  const m = findMember(struct, name)
  return m === undefined ? undefined : memberField(m)
}

/** Fails for the first condition or `sortby` on a field the type does not have (the engine does too). */
export const checkFields = (struct: StructMeta, query: Query): void => {
  for (const clause of query.clauses) {
    for (const c of clause) {
      if (fieldOf(struct, c.field) === undefined) throw new SearchSyntaxError("INVALID_CONDITION_FILED_OR_SORTBY", c.at)
      // The engine compares tags for equality only.
      if (squash(c.field) === "tag" && c.op !== "=" && c.op !== "!=") throw new SearchSyntaxError("INVALID_CONDITION_RELATION", c.at)
    }
  }
  if (query.sortBy !== undefined && fieldOf(struct, query.sortBy.field) === undefined) {
    throw new SearchSyntaxError("INVALID_SORT_FIELD", query.sortBy.at)
  }
}

// ---------------------------------------------------------------------------------------------
// Matching

const wildcard = (pattern: string, caseSensitive: boolean): RegExp =>
  new RegExp(`^${pattern.split("*").map((p) => p.replace(/[.+?^${}()|[\]\\]/g, "\\$&")).join(".*")}$`, caseSensitive ? "" : "i")

const text = (v: Value): string => (v instanceof Date ? v.toISOString() : String(v))

/** Orders a value against the condition's: numbers as numbers, dates as times, the rest as text. */
const order = (v: Value, wanted: string): number | undefined => {
  if (typeof v === "number") {
    const n = Number(wanted)
    return Number.isNaN(n) ? undefined : v - n
  }
  if (v instanceof Date) {
    const t = Date.parse(wanted)
    return Number.isNaN(t) ? undefined : v.getTime() - t
  }
  return v < wanted ? -1 : v > wanted ? 1 : 0
}

const test = (ctx: MatchContext, obj: Obj, c: Condition): boolean => {
  const values = fieldOf(ctx.struct, c.field)?.(ctx, obj) ?? []
  switch (c.op) {
    case "=": {
      const re = wildcard(c.value, ctx.caseSensitive)
      return values.some((v) => re.test(text(v)))
    }
    case "!=": {
      const re = wildcard(c.value, ctx.caseSensitive)
      return !values.some((v) => re.test(text(v)))
    }
    default:
      return values.some((v) => {
        const d = order(v, c.value)
        if (d === undefined) return false
        return c.op === "<" ? d < 0 : c.op === ">" ? d > 0 : c.op === "<=" ? d <= 0 : d >= 0
      })
  }
}

const freeTextMatches = (ctx: MatchContext, obj: Obj, word: string): boolean => {
  const re = wildcard(`*${word}*`, false)
  return ["name", "description", "comment"].some((f) => typeof obj[f] === "string" && re.test(obj[f] as string))
}

export const matches = (ctx: MatchContext, query: Query, obj: Obj): boolean =>
  (query.freeText === undefined || freeTextMatches(ctx, obj, query.freeText)) &&
  (query.clauses.length === 0 || query.clauses.some((clause) => clause.every((c) => test(ctx, obj, c))))

export const sortItems = (ctx: MatchContext, query: Query, items: Array<Obj>): Array<Obj> => {
  const sortBy = query.sortBy
  if (sortBy === undefined) return items
  const field = fieldOf(ctx.struct, sortBy.field)
  const key = (o: Obj): string | number => {
    const v = field?.(ctx, o)[0]
    return v === undefined ? "" : v instanceof Date ? v.getTime() : v
  }
  const sign = sortBy.descending ? -1 : 1
  return items.sort((a, b) => {
    const x = key(a)
    const y = key(b)
    return (x < y ? -1 : x > y ? 1 : 0) * sign
  })
}
