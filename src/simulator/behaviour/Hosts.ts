/**
 * Hosts: a new host is `installing`, then `up`; maintenance migrates its VMs to the other hosts of
 * its cluster (refused when there are none); a host is removed only in maintenance.
 */
import type { ActionContext, AddContext, EntityTarget } from "../Targets.js"
import { conflict } from "../Faults.js"
import type { Obj } from "../Store.js"
import { type Behaviours, GiB, type Kit, ref, refId } from "./Kit.js"

export const makeHosts = (kit: Kit): Behaviours => {
  const { store, timing, transition, startJob, event, hostsUp } = kit

  const addHost = (ctx: AddContext): Obj => {
    const h: Obj = { port: 54321, type: "rhel", memory: 64 * GiB, ...ctx.obj }
    delete h.rootPassword
    transition(h, "status", "installing", [[timing().host, "up"]])
    event("hostAdded", String(h.name), "", { host: { id: h.id } })
    startJob(`Adding new Host ${String(h.name)} to Cluster ${String(store.get("clusters", refId(h.cluster) ?? "")?.name ?? "")}`, timing().host)
    return h
  }

  const removeHost = (target: EntityTarget): void => {
    if (target.bucket === "hosts" && target.obj.status !== "maintenance") {
      throw conflict("Cannot remove Host. Host must be in Maintenance mode first.")
    }
  }

  const deactivate = (host: Obj): Obj => {
    const t = timing()
    if (host.status === "maintenance") throw conflict("Cannot switch Host(s) to Maintenance mode. Host is already in Maintenance mode.")
    const others = hostsUp(refId(host.cluster), host.id as string)
    const guests = store.list("vms").filter((v) => refId(v.host) === host.id)
    if (guests.length > 0 && others.length === 0) {
      throw conflict("Cannot switch Host to Maintenance mode. There is no other host to migrate the running VMs to.")
    }
    for (const v of guests) {
      const dest = others[store.random.int(others.length)]
      transition(v, "status", "migrating", [[t.vmStop, "up"]], () => void (v.host = ref(dest)))
    }
    transition(host, "status", "preparing_for_maintenance", [[t.host, "maintenance"]])
    return { job: ref(startJob(`Moving Host(s) ${String(host.name)} to Maintenance`, t.host)) }
  }

  const hostAction = (ctx: ActionContext): Obj => {
    const host = ctx.target.obj
    switch (ctx.action) {
      case "deactivate":
        return deactivate(host)
      case "activate":
        if (host.status === "up") throw conflict("Cannot activate Host. Host is already up.")
        transition(host, "status", "initializing", [[timing().host, "up"]])
        return { job: ref(startJob(`Activating Host ${String(host.name)}`, timing().host)) }
      default:
        return {}
    }
  }

  return { Host: { add: addHost, remove: removeHost, action: hostAction } }
}
