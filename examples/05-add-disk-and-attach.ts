/**
 * Add a disk and attach it to a VM.
 *
 * A disk is created on a storage domain (`system.disks.add`), is `locked` while the storage
 * prepares it, and is then attached to the VM through the VM's `diskAttachments`.
 * (Passing a new `disk` inside the attachment does both in one call.)
 *
 *   npx tsx examples/05-add-disk-and-attach.ts
 */
import { Effect } from "effect"
import { system, Wait } from "../src/index.js"
import { isMain, runMain } from "./support.js"

const GiB = 2 ** 30

export const program = Effect.gen(function* () {
  const [vm] = yield* system.vms.list({ search: "name=db01" })
  const [domain] = yield* system.storageDomains.list({ search: "name=data2" })

  const disk = yield* system.disks.add({
    name: `db01_data_${Date.now().toString(36)}`,
    provisionedSize: 10 * GiB,
    format: "cow",
    sparse: true,
    interface: "virtio_scsi",
    storageDomains: [{ id: domain.id! }]
  })
  yield* Wait.forStatus(system.disks.disk(disk.id!), "ok") // fails fast if the disk turns `illegal`

  const attachment = yield* system.vms.vm(vm.id!).diskAttachments.add({
    disk: { id: disk.id! },
    interface: "virtio_scsi",
    bootable: false,
    active: true
  })
  const all = yield* system.vms.vm(vm.id!).diskAttachments.list()
  console.log(`attached ${disk.name} as ${attachment.interface}; ${vm.name} now has ${all.length} disks`)
  return { disks: all.length }
})

if (isMain(import.meta.url)) runMain(program)
