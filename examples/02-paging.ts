/**
 * Page through a big list.
 *
 * Two ways: ask for one page at a time with `sortby ... page N` and `max` (the page size), or
 * stream the whole collection with `listStream`, which decodes VMs as the bytes arrive so that
 * even 50,000 VMs never sit in memory as one answer.
 *
 *   npx tsx examples/02-paging.ts
 */
import { Effect, Stream } from "effect"
import { system } from "../src/index.js"
import { isMain, runMain } from "./support.js"

const PAGE_SIZE = 10

export const program = Effect.gen(function* () {
  // 1. Page by page, until a page comes back short.
  const names: Array<string> = []
  for (let page = 1; ; page++) {
    const vms = yield* system.vms.list({ search: `sortby name asc page ${page}`, max: PAGE_SIZE })
    names.push(...vms.map((vm) => vm.name ?? "?"))
    console.log(`page ${page}: ${vms.length} VMs`)
    if (vms.length < PAGE_SIZE) break
  }

  // 2. As a stream: constant memory, whatever the size.
  const running = yield* system.vms.listStream().pipe(
    Stream.filter((vm) => vm.status === "up"),
    Stream.runCount
  )
  console.log(`${names.length} VMs in pages; ${running} running (counted from a stream)`)
  return { paged: names.length, running }
})

if (isMain(import.meta.url)) runMain(program)
