/**
 * A useful subset of the engine's search language: `name=web*`, `status=up`, `id=...`,
 * `memory>1073741824`, `cluster=Default` (a reference matched by the referenced object's name or
 * id), `and` / `or` (and binds tighter; conditions side by side mean `and`), `!=`, `<`, `>`, `<=`,
 * `>=`, quoted values, `*` wildcards, `sortby <field> [asc|desc]` and `page N`. An optional
 * `Vms:` prefix is accepted. Fields are members' wire names, with or without underscores.
 */
import type { MemberMeta, StructMeta } from "../core/Metadata.js"
import type { Obj } from "./Store.js"

type Op = "=" | "!=" | "<" | ">" | "<=" | ">="

interface Condition {
  readonly field: string
  readonly op: Op
  readonly value: string
}

export interface Query {
  /** Disjunction of conjunctions. */
  readonly clauses: ReadonlyArray<ReadonlyArray<Condition>>
  readonly sortBy?: { readonly field: string; readonly descending: boolean }
  readonly page?: number
}

export class SearchSyntaxError extends Error {}

const TOKEN = /\s*(?:"([^"]*)"|([A-Za-z_][\w.\-]*\s*:(?!\S*=))|(!=|<=|>=|=|<|>)|([^\s=!<>"]+))/y

export const parseQuery = (text: string): Query => {
  const tokens: Array<{ kind: "word" | "op" | "quoted"; text: string }> = []
  TOKEN.lastIndex = 0
  const src = text.trim()
  while (TOKEN.lastIndex < src.length) {
    const start = TOKEN.lastIndex
    const m = TOKEN.exec(src)
    if (m === null || TOKEN.lastIndex === start) throw new SearchSyntaxError(`cannot read the search query at "${src.slice(start)}"`)
    if (m[1] !== undefined) tokens.push({ kind: "quoted", text: m[1] })
    else if (m[2] !== undefined) continue // `Vms:` prefix
    else if (m[3] !== undefined) tokens.push({ kind: "op", text: m[3] })
    else if (m[4] !== undefined) tokens.push({ kind: "word", text: m[4] })
  }
  const clauses: Array<Array<Condition>> = [[]]
  let sortBy: Query["sortBy"]
  let page: number | undefined
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]
    const lower = t.kind === "word" ? t.text.toLowerCase() : ""
    if (lower === "and") continue
    if (lower === "or") {
      clauses.push([])
      continue
    }
    if (lower === "sortby") {
      const field = tokens[++i]
      if (field === undefined) throw new SearchSyntaxError("sortby needs a field")
      const dir = tokens[i + 1]?.text.toLowerCase()
      const descending = dir === "desc"
      if (dir === "asc" || dir === "desc") i++
      sortBy = { field: field.text, descending }
      continue
    }
    if (lower === "page") {
      const n = Number(tokens[++i]?.text)
      if (!Number.isInteger(n) || n < 1) throw new SearchSyntaxError("page needs a number from 1")
      page = n
      continue
    }
    const op = tokens[i + 1]
    const value = tokens[i + 2]
    if (t.kind !== "word" || op?.kind !== "op" || value === undefined || value.kind === "op") {
      throw new SearchSyntaxError(`expected <field><operator><value> at "${t.text}"`)
    }
    clauses[clauses.length - 1].push({ field: t.text, op: op.text as Op, value: value.text })
    i += 2
  }
  return {
    clauses: clauses.filter((c) => c.length > 0),
    ...(sortBy ? { sortBy } : {}),
    ...(page !== undefined ? { page } : {})
  }
}

const squash = (s: string): string => s.replace(/_/g, "").toLowerCase()

export const findMember = (struct: StructMeta, field: string): MemberMeta | undefined => {
  const f = squash(field)
  return struct.members.find((m) => squash(m.xml) === f || m.name.toLowerCase() === f)
}

const wildcard = (pattern: string, caseSensitive: boolean): RegExp =>
  new RegExp(`^${pattern.split("*").map((p) => p.replace(/[.+?^${}()|[\]\\]/g, "\\$&")).join(".*")}$`, caseSensitive ? "" : "i")

export interface MatchContext {
  readonly struct: StructMeta
  readonly caseSensitive: boolean
  /** The name of a referenced object (`vm.cluster` -> the cluster's name). */
  readonly nameOf: (member: MemberMeta, ref: Obj) => string | undefined
}

const valuesOf = (ctx: MatchContext, obj: Obj, field: string): ReadonlyArray<string | number> | undefined => {
  const m = findMember(ctx.struct, field)
  if (m === undefined) return undefined
  const v = obj[m.name]
  if (v === undefined || v === null) return []
  if (m.kind === "struct") {
    const refs = (Array.isArray(v) ? v : [v]) as ReadonlyArray<Obj>
    return refs.flatMap((r) => [r.id, r.name ?? ctx.nameOf(m, r)].filter((x): x is string => typeof x === "string"))
  }
  const items = Array.isArray(v) ? v : [v]
  return items.map((x) => (x instanceof Date ? x.toISOString() : typeof x === "number" ? x : String(x)))
}

const test = (ctx: MatchContext, obj: Obj, c: Condition): boolean => {
  const values = valuesOf(ctx, obj, c.field)
  if (values === undefined) return false
  const numeric = Number(c.value)
  switch (c.op) {
    case "=": {
      const re = wildcard(c.value, ctx.caseSensitive)
      return values.some((v) => re.test(String(v)))
    }
    case "!=": {
      const re = wildcard(c.value, ctx.caseSensitive)
      return !values.some((v) => re.test(String(v)))
    }
    default:
      return values.some((v) => {
        const a = typeof v === "number" && !Number.isNaN(numeric) ? v : String(v)
        const b = typeof v === "number" && !Number.isNaN(numeric) ? numeric : c.value
        return c.op === "<" ? a < b : c.op === ">" ? a > b : c.op === "<=" ? a <= b : a >= b
      })
  }
}

/**
 * The fields of a query (conditions and `sortby`) that `struct` has no member for. The engine refuses
 * a search on a field it does not know (400) rather than matching nothing, so the simulator does too.
 */
export const unknownFields = (struct: StructMeta, query: Query): ReadonlyArray<string> => {
  const fields = query.clauses.flatMap((clause) => clause.map((c) => c.field))
  if (query.sortBy !== undefined) fields.push(query.sortBy.field)
  return Array.from(new Set(fields.filter((f) => findMember(struct, f) === undefined)))
}

export const matches = (ctx: MatchContext, query: Query, obj: Obj): boolean =>
  query.clauses.length === 0 || query.clauses.some((clause) => clause.every((c) => test(ctx, obj, c)))

export const sortItems = (ctx: MatchContext, query: Query, items: Array<Obj>): Array<Obj> => {
  const sortBy = query.sortBy
  if (sortBy === undefined) return items
  const key = (o: Obj): string | number => valuesOf(ctx, o, sortBy.field)?.[0] ?? ""
  const sign = sortBy.descending ? -1 : 1
  return items.sort((a, b) => {
    const x = key(a)
    const y = key(b)
    return (x < y ? -1 : x > y ? 1 : 0) * sign
  })
}
