/**
 * Watch the engine's asynchronous jobs.
 *
 * Long operations (starting a VM, creating a disk, ...) show up under `/jobs` as `started` and
 * end `finished` (or `failed`). Here: start a VM and wait for its job with `Wait.forJob`, which
 * fails with a `FaultError` if the job `failed` or was `aborted`.
 *
 *   npx tsx examples/14-watch-jobs.ts
 */
import { Effect } from "effect"
import { system, Wait } from "../src/index.js"
import { isMain, runMain } from "./support.js"

export const program = Effect.gen(function* () {
  const [vm] = yield* system.vms.list({ search: "status=down", max: 1 })
  const before = new Set((yield* system.jobs.list()).map((j) => j.id))

  yield* system.vms.vm(vm.id!).start()
  const jobs = (yield* system.jobs.list()).filter((j) => !before.has(j.id))
  for (const job of jobs) console.log(`job: ${job.description} (${job.status})`)

  const [done] = yield* Wait.forJob(system.jobs.job(jobs[0].id!))
  console.log(`"${done!.description}" ${done!.status}`)
  yield* system.vms.vm(vm.id!).stop()
  return { status: done!.status }
})

if (isMain(import.meta.url)) runMain(program)
