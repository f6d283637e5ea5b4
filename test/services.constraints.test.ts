/**
 * The constraint checker on its own: mandatory paths and `or` groups over inputs, with list steps.
 * (The services tests check it through real calls; these pin down the path semantics.)
 */
import { describe, expect, it } from "vitest"
import { compileRequirements, missingInputs } from "../src/core/request/Constraints.js"

const check = (
  constraints: { readonly mandatory?: ReadonlyArray<string>; readonly or?: ReadonlyArray<ReadonlyArray<string>> },
  input: Readonly<Record<string, unknown>>
): ReadonlyArray<string> =>
  missingInputs(
    compileRequirements([
      { mandatory: constraints.mandatory ?? [], optional: [], or: (constraints.or ?? []).map((paths) => ({ mandatory: true, paths })) }
    ]),
    (name) => input[name]
  )

describe("input constraints", () => {
  it("reports every missing mandatory path, in order", () => {
    expect(check({ mandatory: ["vm.name", "vm.cluster.id", "fenceType"] }, {})).toEqual(["vm.name", "vm.cluster.id", "fenceType"])
    expect(check({ mandatory: ["vm.name", "vm.cluster.id"] }, { vm: { name: "a", cluster: {} } })).toEqual(["vm.cluster.id"])
    expect(check({ mandatory: ["vm.name"] }, { vm: { name: "" } })).toEqual([])
  })

  it("wants one path of an or group", () => {
    const or = [["vm.cluster.id", "vm.cluster.name"]]
    expect(check({ or }, { vm: {} })).toEqual(["vm.cluster.id or vm.cluster.name"])
    expect(check({ or }, { vm: { cluster: { name: "Default" } } })).toEqual([])
    expect(check({ or }, { vm: { cluster: { id: "1" } } })).toEqual([])
  })

  it("steps into lists: every item, with its index; an empty list is missing", () => {
    const mandatory = ["vm.snapshots[].id"]
    expect(check({ mandatory }, { vm: {} })).toEqual(["vm.snapshots[].id"])
    expect(check({ mandatory }, { vm: { snapshots: [] } })).toEqual(["vm.snapshots[].id"])
    expect(check({ mandatory }, { vm: { snapshots: [{ id: "1" }, {}, { id: "3" }, {}] } })).toEqual(["vm.snapshots[1].id", "vm.snapshots[3].id"])
    expect(check({ mandatory: ["vm.os.boot.devices[]"] }, { vm: { os: { boot: { devices: ["hd"] } } } })).toEqual([])
    expect(check({ mandatory: ["backup.disks"] }, { backup: { disks: [] } })).toEqual(["backup.disks"])
  })

  it("checks an or group per list item", () => {
    const or = [["vm.placementPolicy.hosts[].id", "vm.placementPolicy.hosts[].name"]]
    expect(check({ or }, { vm: { placementPolicy: { hosts: [{ id: "1" }, { name: "h2" }] } } })).toEqual([])
    expect(check({ or }, { vm: { placementPolicy: { hosts: [{ id: "1" }, { address: "x" }] } } })).toEqual([
      "vm.placementPolicy.hosts[1].id or vm.placementPolicy.hosts[1].name"
    ])
  })

  it("merges a signature's constraints with its base's, without repeating a requirement", () => {
    const requirements = compileRequirements([
      { mandatory: ["vm.name"], optional: [], or: [] },
      { mandatory: ["vm.name", "vm.memory"], optional: [], or: [{ mandatory: false, paths: ["vm.a", "vm.b"] }] }
    ])
    expect(missingInputs(requirements, () => undefined)).toEqual(["vm.name", "vm.memory"])
  })
})
