/**
 * External jobs (`POST /jobs`): a job a client records for its own work, `started` until the
 * client ends it (`end`, `finished` or with `succeeded=false` `failed`). The jobs and events of the
 * simulator's own operations are the journal's (Journal.ts).
 */
import type { ActionContext, AddContext } from "../Targets.js"
import type { Obj } from "../Store.js"
import type { Behaviours, Kit } from "./Kit.js"

export const makeJobs = (kit: Kit): Behaviours => {
  const { store, now } = kit

  const addJob = (ctx: AddContext): Obj => ({
    ...ctx.obj,
    status: "started",
    startTime: now(),
    lastUpdated: now(),
    external: true
  })

  const jobAction = (ctx: ActionContext): Obj => {
    if (ctx.action === "end") {
      store.cancel(ctx.target.obj)
      ctx.target.obj.status = ctx.params.succeeded === false ? "failed" : "finished"
      ctx.target.obj.endTime = now()
    }
    return {}
  }

  return { Job: { add: addJob, action: jobAction } }
}
