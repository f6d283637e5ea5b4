/**
 * The engine's search language, as its search backend reads it: `Vms: name=web* and status=up or
 * cluster=Default sortby name desc page 2`. Conditions are `<field><operator><value>` with `=`, `!=`,
 * `<`, `>`, `<=`, `>=`, `*` wildcards and quoted values; `and` binds tighter than `or` (conditions
 * side by side mean `and`); one bare word is free text. A query the engine would not parse is a
 * `SearchSyntaxError` carrying the engine's error code and where the fault is. What the fields mean
 * and how objects match is Search.ts.
 */

export type Op = "=" | "!=" | "<" | ">" | "<=" | ">="

/** Where a piece of the query is: [start, end) in the query text. */
export type Span = readonly [number, number]

export interface Condition {
  readonly field: string
  readonly op: Op
  readonly value: string
  readonly at: Span
}

export interface Query {
  /** Disjunction of conjunctions. */
  readonly clauses: ReadonlyArray<ReadonlyArray<Condition>>
  /** A bare word: objects whose name, description or comment contain it. */
  readonly freeText?: string
  readonly sortBy?: { readonly field: string; readonly descending: boolean; readonly at: Span }
  readonly page?: number
}

/** The engine's codes for search syntax errors (its `SyntaxError` enum, spelling included). */
export type SyntaxErrorCode =
  | "INVALID_SEARCH_OBJECT"
  | "INVALID_CONDITION_FILED_OR_SORTBY"
  | "INVALID_CONDITION_RELATION"
  | "INVALID_CONDITION_VALUE"
  | "INVALID_SORT_FIELD"
  | "INVALID_SORT_DIRECTION"
  | "NOTHING_COMES_AFTER_PAGE_VALUE"
  | "INVALID_POST_OR_AND_PHRASE"
  | "FREE_TEXT_ALLOWED_ONCE_PER_OBJ"
  | "INVALID_CHARECTER"
  | "INVALID_PAGE_FEILD"

export class SearchSyntaxError extends Error {
  constructor(
    readonly code: SyntaxErrorCode,
    readonly at: Span
  ) {
    super(code)
  }
}

interface Token {
  readonly kind: "word" | "op" | "quoted"
  readonly text: string
  readonly at: Span
}

const TOKEN = /\s*(?:"([^"]*)"|(!=|<=|>=|=|<|>)|([^\s=!<>"()]+))/y
const PREFIX = /^\s*([A-Za-z_]+)\s*:/

const tokenize = (src: string, from: number): Array<Token> => {
  const tokens: Array<Token> = []
  TOKEN.lastIndex = from
  while (TOKEN.lastIndex < src.length) {
    const start = TOKEN.lastIndex
    const m = TOKEN.exec(src)
    if (m === null || TOKEN.lastIndex === start) {
      if (src.slice(start).trim() === "") break
      const bad = start + (src.slice(start).length - src.slice(start).trimStart().length)
      throw new SearchSyntaxError("INVALID_CHARECTER", [bad, bad + 1])
    }
    const at: Span = [m.index + m[0].length - m[0].trimStart().length, TOKEN.lastIndex]
    if (m[1] !== undefined) tokens.push({ kind: "quoted", text: m[1], at })
    else if (m[2] !== undefined) tokens.push({ kind: "op", text: m[2], at })
    else tokens.push({ kind: "word", text: m[3], at })
  }
  return tokens
}

const keyword = (t: Token | undefined, word: string): boolean => t?.kind === "word" && t.text.toLowerCase() === word

/** Where reading stopped, with what was read. */
interface Read<A> {
  readonly value: A
  readonly next: number
}

/** Conditions joined by `and` / `or` (and one bare word of free text), up to `sortby` or `page`. */
const readConditions = (tokens: ReadonlyArray<Token>, from: number): Read<{ readonly clauses: Array<Array<Condition>>; readonly freeText?: string }> => {
  const clauses: Array<Array<Condition>> = [[]]
  let freeText: string | undefined
  let i = from
  while (i < tokens.length && !keyword(tokens[i], "sortby") && !keyword(tokens[i], "page")) {
    const t = tokens[i]
    if (keyword(t, "and") || keyword(t, "or")) {
      const next = tokens[i + 1]
      if (next === undefined || keyword(next, "and") || keyword(next, "or") || keyword(next, "sortby") || keyword(next, "page") || next.kind === "op") {
        throw new SearchSyntaxError("INVALID_POST_OR_AND_PHRASE", next?.at ?? t.at)
      }
      if (keyword(t, "or")) clauses.push([])
      i++
      continue
    }
    if (t.kind === "op") throw new SearchSyntaxError("INVALID_CONDITION_FILED_OR_SORTBY", t.at)
    const op = tokens[i + 1]
    if (op?.kind !== "op") {
      // A word on its own is free text, once per query.
      if (freeText !== undefined) throw new SearchSyntaxError("FREE_TEXT_ALLOWED_ONCE_PER_OBJ", t.at)
      freeText = t.text
      i++
      continue
    }
    const value = tokens[i + 2]
    if (value === undefined || value.kind === "op") throw new SearchSyntaxError("INVALID_CONDITION_VALUE", value?.at ?? op.at)
    clauses[clauses.length - 1].push({ field: t.text, op: op.text as Op, value: value.text, at: t.at })
    i += 3
  }
  return { value: { clauses, ...(freeText !== undefined ? { freeText } : {}) }, next: i }
}

/** `sortby <field> [asc|desc]` at `i`, if there. */
const readSortBy = (tokens: ReadonlyArray<Token>, from: number): Read<Query["sortBy"]> => {
  let i = from
  if (!keyword(tokens[i], "sortby")) return { value: undefined, next: i }
  const field = tokens[i + 1]
  if (field === undefined || field.kind !== "word" || keyword(field, "page")) throw new SearchSyntaxError("INVALID_SORT_FIELD", field?.at ?? tokens[i].at)
  i += 2
  let descending = false
  if (keyword(tokens[i], "asc") || keyword(tokens[i], "desc")) {
    descending = keyword(tokens[i], "desc")
    i++
  } else if (tokens[i] !== undefined && !keyword(tokens[i], "page")) {
    throw new SearchSyntaxError("INVALID_SORT_DIRECTION", tokens[i].at)
  }
  return { value: { field: field.text, descending, at: field.at }, next: i }
}

/** `page <n>` at `i`, if there: nothing may follow it. */
const readPage = (tokens: ReadonlyArray<Token>, from: number): Read<number | undefined> => {
  const i = from
  if (!keyword(tokens[i], "page")) return { value: undefined, next: i }
  const n = tokens[i + 1]
  if (n === undefined || !/^[1-9]\d*$/.test(n.text)) throw new SearchSyntaxError("INVALID_PAGE_FEILD", n?.at ?? tokens[i].at)
  if (tokens[i + 2] !== undefined) throw new SearchSyntaxError("NOTHING_COMES_AFTER_PAGE_VALUE", tokens[i + 2].at)
  return { value: Number(n.text), next: i + 2 }
}

/**
 * Reads a query for the collection whose search object is `plural` (`vms`): an optional `Vms:`
 * prefix must name it, as the engine's search objects do.
 */
export const parseQuery = (text: string, plural?: string): Query => {
  const prefix = PREFIX.exec(text)
  if (prefix !== null && plural !== undefined && prefix[1].toLowerCase() !== plural.toLowerCase()) {
    const start = text.indexOf(prefix[1])
    throw new SearchSyntaxError("INVALID_SEARCH_OBJECT", [start, start + prefix[1].length])
  }
  const tokens = tokenize(text, prefix === null ? 0 : prefix[0].length)
  const last = tokens[tokens.length - 1]?.at ?? ([text.length, text.length] as Span)
  const conditions = readConditions(tokens, 0)
  const sortBy = readSortBy(tokens, conditions.next)
  const page = readPage(tokens, sortBy.next)
  if (page.next < tokens.length) throw new SearchSyntaxError("INVALID_CONDITION_FILED_OR_SORTBY", tokens[page.next]?.at ?? last)
  return {
    clauses: conditions.value.clauses.filter((c) => c.length > 0),
    ...(conditions.value.freeText !== undefined ? { freeText: conditions.value.freeText } : {}),
    ...(sortBy.value ? { sortBy: sortBy.value } : {}),
    ...(page.value !== undefined ? { page: page.value } : {})
  }
}

/**
 * The fault detail the engine gives for a search it cannot parse: the query (after the search object
 * it prefixes, `Vms: `) with the faulty part between `$` signs, or the bare error code when the fault
 * is at the very end (SearchQuery's exception string, answered 400 by the REST layer).
 */
export const syntaxErrorDetail = (text: string, plural: string, e: SearchSyntaxError): string => {
  const hasPrefix = PREFIX.test(text)
  const head = hasPrefix ? "" : `${plural.charAt(0).toUpperCase()}${plural.slice(1)}: `
  const [start, end] = e.at
  if (end >= text.trimEnd().length) return e.code
  return `${head}${text.slice(0, start)}$${text.slice(start, end)}$${text.slice(end)}`
}
