/**
 * Take a snapshot, then restore it.
 *
 * A snapshot is `locked` while it is taken. Restoring needs the VM down; the VM is then
 * `image_locked` for a moment while its disks are reverted.
 *
 *   npx tsx examples/07-snapshot-and-restore.ts
 */
import { Effect } from "effect"
import { system, Wait } from "../src/index.js"
import { isMain, runMain } from "./support.js"

export const program = Effect.gen(function* () {
  const [found] = yield* system.vms.list({ search: "status=down", max: 1 })
  const vm = system.vms.vm(found.id!)

  const snapshot = yield* vm.snapshots.add({ description: "before-change", persistMemorystate: false })
  const ref = vm.snapshots.snapshot(snapshot.id!)
  yield* Wait.forStatus(ref, "ok") // a snapshot's state is its `snapshotStatus`
  console.log(`snapshot "${snapshot.description}" of ${found.name} is ready`)

  // ... change the VM here ...

  yield* ref.restore({ restoreMemory: false })
  const back = yield* Wait.forStatus(vm, "down")
  const snapshots = yield* vm.snapshots.list()
  console.log(`${back.name} restored; it has ${snapshots.length} snapshot(s)`)
  return { snapshots: snapshots.length }
})

if (isMain(import.meta.url)) runMain(program)
