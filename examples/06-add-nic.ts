/**
 * Add a NIC to a VM, connected to a network through its vNIC profile.
 *
 *   npx tsx examples/06-add-nic.ts
 */
import { Effect } from "effect"
import { system } from "../src/index.js"
import { isMain, runMain } from "./support.js"

export const program = Effect.gen(function* () {
  const [vm] = yield* system.vms.list({ search: "name=web02" })
  // vNIC profiles are named after their network by default.
  const profiles = yield* system.vnicProfiles.list()
  const profile = profiles.find((p) => p.name === "vlan100") ?? profiles[0]

  const nic = yield* system.vms.vm(vm.id!).nics.add({
    name: "nic2",
    interface: "virtio",
    vnicProfile: { id: profile.id! }
  })
  console.log(`${vm.name}: added ${nic.name} with MAC ${nic.mac?.address} on profile ${profile.name}`)
  const nics = yield* system.vms.vm(vm.id!).nics.list()
  return { nics: nics.length, mac: nic.mac?.address }
})

if (isMain(import.meta.url)) runMain(program)
