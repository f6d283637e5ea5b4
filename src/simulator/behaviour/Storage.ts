/**
 * Storage domains: attached to a data center they are activated on their own; `activate` and
 * `deactivate` go through the engine's states with a job; an active or locked domain is not
 * removed, and its disks go with it when it is.
 */
import type { ActionContext, AddContext, EntityTarget } from "../Targets.js"
import { conflict } from "../Faults.js"
import type { Obj } from "../Store.js"
import { type Behaviours, GiB, type Kit, ref, refId } from "./Kit.js"

export const makeStorage = (kit: Kit): Behaviours => {
  const { store, timing, transition, startJob } = kit

  /** The name of the data center a storage domain is attached to (the engine's job texts name it). */
  const dcOf = (sd: Obj): string =>
    String(store.get("datacenters", refId((sd.dataCenters as Array<Obj> | undefined)?.[0]) ?? "")?.name ?? "")

  const addStorageDomain = (ctx: AddContext): Obj => {
    const sd = ctx.obj
    if (ctx.collection.view !== undefined && ctx.collection.parent?.struct?.name === "DataCenter") {
      // Attaching to a data center: the engine activates the domain on its own.
      transition(sd, "status", "locked", [[timing().lock, "maintenance"], [timing().host, "active"]])
      const dc = ctx.collection.parent?.obj
      startJob(`Attaching Storage Domain ${String(sd.name)} to Data Center ${String(dc?.name ?? "")}`, timing().host)
      return sd
    }
    return { available: 500 * GiB, used: 0, committed: 0, master: false, ...sd, status: sd.status ?? "unattached" }
  }

  const removeStorageDomain = (target: EntityTarget): void => {
    const o = target.obj
    if (target.bucket !== "storagedomains") return
    // A domain still attached to a data center and active is removed only after deactivating
    // and detaching it; its disks go with it.
    if (o.status === "active" || o.status === "locked") {
      throw conflict(`Cannot remove Storage. The relevant Storage Domain's status is ${o.status === "active" ? "Active" : "Locked"}.`)
    }
    for (const d of store.list("disks")) if (refId((d.storageDomains as Array<Obj> | undefined)?.[0]) === o.id) store.remove("disks", d.id as string)
  }

  const storageAction = (ctx: ActionContext): Obj => {
    const sd = ctx.target.obj
    const t = timing()
    switch (ctx.action) {
      case "activate":
        if (sd.status === "active") throw conflict("Cannot activate Storage. The Storage Domain is already active.")
        transition(sd, "status", "activating", [[t.host, "active"]])
        return { job: ref(startJob(`Activating Storage Domain ${String(sd.name)} on Data Center ${dcOf(sd)}`, t.host)) }
      case "deactivate":
        if (sd.status !== "active") throw conflict("Cannot deactivate Storage. The Storage Domain is not active.")
        transition(sd, "status", "preparing_for_maintenance", [[t.host, "maintenance"]])
        return { job: ref(startJob(`Deactivating Storage Domain ${String(sd.name)} in Data Center ${dcOf(sd)}`, t.host)) }
      default:
        return {}
    }
  }

  return { StorageDomain: { add: addStorageDomain, remove: removeStorageDomain, action: storageAction } }
}
