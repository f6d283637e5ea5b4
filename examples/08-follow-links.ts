/**
 * Follow links.
 *
 * Objects refer to others by `id`/`href` (`vm.cluster`), and to lists by a link
 * (`vm.diskAttachments` is an empty array with an `href`). Either fetch them with
 * `Connection.followLink`, or ask the engine to inline them with `follow` in one call.
 *
 *   npx tsx examples/08-follow-links.ts
 */
import { Effect } from "effect"
import { Connection, system } from "../src/index.js"
import { isMain, runMain } from "./support.js"

export const program = Effect.gen(function* () {
  const connection = yield* Connection.Connection
  const [vm] = yield* system.vms.list({ search: "name=web01" })

  // One request per link:
  const cluster = yield* connection.followLink(vm.cluster!)
  const attachments = yield* connection.followLink(vm.diskAttachments!)
  console.log(`${vm.name} is in cluster ${cluster.name}; ${attachments.length} disk attachment(s) via ${vm.diskAttachments!.href}`)

  // Or everything in one request: the attachments, each with its disk, and the NICs.
  const full = yield* system.vms.vm(vm.id!).get({ follow: "disk_attachments.disk,nics" })
  for (const a of full.diskAttachments ?? []) {
    console.log(`  disk ${a.disk?.name}: ${(a.disk?.provisionedSize ?? 0) / 2 ** 30} GiB, ${a.disk?.status}`)
  }
  for (const nic of full.nics ?? []) console.log(`  nic ${nic.name}: ${nic.mac?.address}`)
  return { cluster: cluster.name, disks: full.diskAttachments?.length ?? 0, nics: full.nics?.length ?? 0 }
})

if (isMain(import.meta.url)) runMain(program)
