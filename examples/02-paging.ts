/**
 * Page through a big list.
 *
 * Two ways: `listAll`, a Stream that asks for one page at a time (`search=... page N` with
 * `max` = the page size) as the consumer pulls, or `listStream`, one request whose answer is
 * decoded as the bytes arrive. Either way even 50,000 VMs never sit in memory at once.
 *
 *   npx tsx examples/02-paging.ts
 */
import { Effect, Stream } from "effect"
import { system } from "../src/index.js"
import { isMain, runMain } from "./support.js"

const PAGE_SIZE = 10

export const program = Effect.gen(function* () {
  // 1. Page by page (a request per PAGE_SIZE VMs, until a page comes back short); sortby keeps
  //    the pages stable while VMs come and go.
  const names: Array<string> = []
  yield* system.vms.listAll({ search: "sortby name asc", pageSize: PAGE_SIZE }).pipe(
    Stream.runForEach((vm) => Effect.sync(() => {
      names.push(vm.name ?? "?")
      if (names.length % PAGE_SIZE === 0) console.log(`${names.length} VMs so far`)
    }))
  )

  // 2. As a stream: constant memory, whatever the size.
  const running = yield* system.vms.listStream().pipe(
    Stream.filter((vm) => vm.status === "up"),
    Stream.runCount
  )
  console.log(`${names.length} VMs in pages; ${running} running (counted from a stream)`)
  return { paged: names.length, running }
})

if (isMain(import.meta.url)) runMain(program)
