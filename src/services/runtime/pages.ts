/**
 * Paging a searchable collection: `search=<search> page N` with `max=<page size>`, one request per
 * page, made only when the consumer pulls past the page before it, until a page comes back short.
 * Memory stays bounded by one page. The generated `listAll` of every collection whose `list` has
 * `search` and `max` calls this.
 */
import { Chunk, Effect, Option, Stream } from "effect"
import type { Connection } from "../../core/Connection.js"
import { InvalidInputError, type OvirtError } from "../../core/Errors.js"

/** Items per page when none is given (the engine's own default page size). */
export const DEFAULT_PAGE_SIZE = 100

/** The options of a paged list: those of its `list`, `max` replaced by `pageSize`. */
export type PagedOptions<O> = Omit<O, "max"> & {
  /** Items per request (`max`). Default 100. */
  readonly pageSize?: number
}

interface Searchable {
  readonly search?: string
  readonly max?: number
}

const pageWord = /(^|\s)page\s+\d+\s*$/i

/** The items of every page of `list`, as a Stream that fetches a page when the consumer needs it. */
export const pages = <A, O extends Searchable>(
  list: (options: O) => Effect.Effect<ReadonlyArray<A>, OvirtError, Connection>,
  options: PagedOptions<O> | undefined
): Stream.Stream<A, OvirtError, Connection> => {
  const { pageSize = DEFAULT_PAGE_SIZE, ...rest } = (options ?? {}) as PagedOptions<O>
  const search = (rest as Searchable).search?.trim() ?? ""
  if (!Number.isInteger(pageSize) || pageSize < 1) {
    return Stream.fail(new InvalidInputError({ message: `\`pageSize\` must be a whole number from 1 (got ${pageSize}).`, paths: ["pageSize"] }))
  }
  if (pageWord.test(search)) {
    return Stream.fail(new InvalidInputError({ message: "`search` of listAll must not say `page N`: listAll adds it for each page.", paths: ["search"] }))
  }
  return Stream.paginateChunkEffect(1, (page) =>
    Effect.map(
      list({ ...rest, search: search === "" ? `page ${page}` : `${search} page ${page}`, max: pageSize } as unknown as O),
      (items) => [Chunk.fromIterable(items), items.length < pageSize ? Option.none() : Option.some(page + 1)] as const
    ))
}
