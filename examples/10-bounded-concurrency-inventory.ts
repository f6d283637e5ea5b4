/**
 * An inventory of a large setup with bounded concurrency.
 *
 * For every VM, fetch its disk attachments (with the disks inlined by `follow`) and sum the
 * provisioned storage per cluster: one request per VM, at most 16 at a time, over a pool of 4
 * keep-alive connections (the `connections` option of the Connection layer).
 *
 *   npx tsx examples/10-bounded-concurrency-inventory.ts
 */
import { Effect } from "effect"
import { system } from "../src/index.js"
import { isMain, runMain } from "./support.js"

export const program = Effect.gen(function* () {
  const [vms, clusters] = yield* Effect.all([system.vms.list(), system.clusters.list()])
  const clusterName = new Map(clusters.map((c) => [c.id, c.name ?? "?"]))

  const perVm = yield* Effect.forEach(
    vms,
    (vm) =>
      Effect.map(system.vms.vm(vm.id!).diskAttachments.list({ follow: "disk" }), (attachments) => ({
        cluster: clusterName.get(vm.cluster?.id) ?? "?",
        bytes: attachments.reduce((sum, a) => sum + (a.disk?.provisionedSize ?? 0), 0)
      })),
    { concurrency: 16 }
  )

  const totals = new Map<string, number>()
  for (const { cluster, bytes } of perVm) totals.set(cluster, (totals.get(cluster) ?? 0) + bytes)
  for (const [cluster, bytes] of totals) console.log(`${cluster}: ${(bytes / 2 ** 40).toFixed(2)} TiB provisioned`)
  return { vms: vms.length, clusters: totals.size }
})

if (isMain(import.meta.url)) runMain(program)
