/**
 * Watch the engine's asynchronous jobs.
 *
 * Long operations (starting a VM, creating a disk, ...) show up under `/jobs` as `started` and
 * end `finished` (or `failed`). Here: start a VM and poll its job until it ends.
 *
 *   npx tsx examples/14-watch-jobs.ts
 */
import { Effect } from "effect"
import { system } from "../src/index.js"
import { isMain, runMain, waitFor } from "./support.js"

export const program = Effect.gen(function* () {
  const [vm] = yield* system.vms.list({ search: "status=down", max: 1 })
  const before = new Set((yield* system.jobs.list()).map((j) => j.id))

  yield* system.vms.vm(vm.id!).start()
  const jobs = (yield* system.jobs.list()).filter((j) => !before.has(j.id))
  for (const job of jobs) console.log(`job: ${job.description} (${job.status})`)

  const done = yield* waitFor(system.jobs.job(jobs[0].id!).get(), (j) => j.status !== "started")
  console.log(`"${done.description}" ${done.status}`)
  yield* system.vms.vm(vm.id!).stop()
  return { status: done.status }
})

if (isMain(import.meta.url)) runMain(program)
