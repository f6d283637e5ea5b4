/**
 * listAll over 10,000 simulated VMs: pages of `max` items with `search=... page N`, each fetched only
 * when the consumer pulls past the one before, ending at the short last page.
 */
import { describe, expect, it } from "@effect/vitest"
import { Chunk, Effect, Exit, Layer, Stream } from "effect"
import { Connection, Paging, system } from "../src/index.js"
import { Simulator } from "../src/testing/index.js"

/** The list requests the SDK sent for `vms`, as `search=...&max=...`. */
const requestsOf = (sent: ReadonlyArray<Connection.ApiRequest>) =>
  sent.filter((r) => r.path === "vms").map((r) => new URLSearchParams(r.query?.map(([k, v]): [string, string] => [k, v])).toString())

/** The simulator's Connection, recording every request it is asked to send. */
const recording = (sent: Array<Connection.ApiRequest>) =>
  Layer.effect(Connection.Connection, Effect.map(Connection.Connection, (connection) => ({
    ...connection,
    send: (request: Connection.ApiRequest) => Effect.zipRight(Effect.sync(() => sent.push(request)), connection.send(request))
  })))

describe("listAll", () => {
  const lines: Array<Connection.ApiRequest> = []
  const Big = Layer.provideMerge(recording(lines), Simulator.layer({ seed: "paging", vms: 10_000 }))

  it.effect("pulls page by page: a request per page, only as far as the consumer goes", () =>
    Effect.gen(function* () {
      lines.length = 0
      const first = yield* system.vms.listAll({ pageSize: 100 }).pipe(Stream.take(150), Stream.runCollect)
      expect(Chunk.size(first)).toBe(150)
      const requests = requestsOf(lines)
      expect(requests).toHaveLength(2)
      expect(requests[0]).toContain("search=page+1")
      expect(requests[1]).toContain("search=page+2")
      expect(requests.every((line) => line.includes("max=100"))).toBe(true)
    }).pipe(Effect.provide(Big)), { timeout: 120_000 })

  it.effect("walks all 10,000 VMs once each, holding one page at a time", () =>
    Effect.gen(function* () {
      lines.length = 0
      const ids = new Set<string>()
      let mostAhead = 0
      yield* Paging.listAll(system.vms, { pageSize: 500, search: "sortby name asc" }).pipe(
        Stream.runForEach((vm) => Effect.sync(() => {
          ids.add(vm.id!)
          // pages requested so far, against pages the consumer has reached: never more than one ahead
          mostAhead = Math.max(mostAhead, requestsOf(lines).length - Math.ceil(ids.size / 500))
        }))
      )
      expect(ids.size).toBe(10_000)
      expect(mostAhead).toBe(0)
      expect(requestsOf(lines)).toHaveLength(21) // 20 full pages, then an empty one says it was the last
      expect(requestsOf(lines)[3]).toContain("search=sortby+name+asc+page+4")
    }).pipe(Effect.provide(Big)), { timeout: 120_000 })

  it.effect("a search that already pages, or a page size below 1, is refused before anything is sent", () =>
    Effect.gen(function* () {
      lines.length = 0
      const paged = yield* Effect.exit(Stream.runDrain(system.vms.listAll({ search: "name=a* page 3" })))
      const zero = yield* Effect.exit(Stream.runDrain(system.vms.listAll({ pageSize: 0 })))
      for (const exit of [paged, zero]) {
        expect(Exit.isFailure(exit) && exit.cause._tag === "Fail" && exit.cause.error._tag).toBe("InvalidInputError")
      }
      expect(requestsOf(lines)).toHaveLength(0)
    }).pipe(Effect.provide(Big)), { timeout: 120_000 })
})
