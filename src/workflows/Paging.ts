/**
 * Walking a big collection page by page: `Paging.listAll(system.vms, { search: "status=up" })` is a
 * Stream of VMs that asks the engine for `search=status=up page 1` with `max=100`, then page 2 when
 * the consumer has used page 1, and so on until a short page. Memory stays bounded by one page, and
 * every request is a normal call. The same is generated as `listAll` on each collection whose `list`
 * takes `search` and `max` (`system.vms.listAll(...)`).
 *
 * Pages follow the engine's order for the search; give a `sortby` (`"sortby name asc"`) when objects
 * may be added or removed while paging, so that pages do not shift under the walk.
 */
import type { Effect, Stream } from "effect"
import type { Connection } from "../core/Connection.js"
import type { OvirtError } from "../core/Errors.js"
import { DEFAULT_PAGE_SIZE, pages, type PagedOptions } from "../services/runtime/pages.js"

export { DEFAULT_PAGE_SIZE, type PagedOptions }

/** A collection ref whose `list` pages: it takes `search` and `max`. */
export interface Pageable<A, O extends { readonly search?: string; readonly max?: number }> {
  list(options?: O): Effect.Effect<ReadonlyArray<A>, OvirtError, Connection>
}

/** Every item of the collection, page by page (`pageSize` items per request, default 100). */
export const listAll = <A, O extends { readonly search?: string; readonly max?: number }>(
  ref: Pageable<A, O>,
  options?: PagedOptions<O>
): Stream.Stream<A, OvirtError, Connection> => pages((o: O) => ref.list(o), options)
