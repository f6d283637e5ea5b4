/**
 * Behaviour where it matters to users, one module per resource family: VMs go through the engine's
 * states when started, stopped, suspended, rebooted and migrated (Vms.ts); disks, snapshots and
 * templates are `locked` for a moment after creation (Disks.ts, Templates.ts); hosts go to
 * maintenance and back (Hosts.ts); storage domains are attached and activated (Storage.ts); clients
 * record jobs of their own (Jobs.ts). Every such operation is an async job under `/jobs` with its
 * events (Journal.ts); impossible transitions answer 409 with the engine's kind of message. Each
 * family gives a `TypeBehaviour` per struct name, built on the shared `Kit`; this module joins them
 * into the engine's `Hooks`. Everything else is the generic model-driven engine (Engine.ts).
 */
import type { Engine } from "../Engine.js"
import type { Hooks } from "../Targets.js"
import { makeDisks } from "./Disks.js"
import { makeHosts } from "./Hosts.js"
import { makeJobs } from "./Jobs.js"
import { type Behaviours, makeKit, type Timing } from "./Kit.js"
import { makeStorage } from "./Storage.js"
import { makeTemplates } from "./Templates.js"
import { makeVms } from "./Vms.js"

export { defaultTiming, type Timing } from "./Kit.js"

export const makeHooks = (engine: Engine, timing: () => Timing): Hooks => {
  const kit = makeKit(engine, timing)
  const disks = makeDisks(kit)
  const byType: Behaviours = {
    ...makeVms(kit, disks),
    ...makeTemplates(kit, disks),
    ...disks.behaviours,
    ...makeHosts(kit),
    ...makeStorage(kit),
    ...makeJobs(kit)
  }
  const of = (struct: { readonly name: string } | undefined) => (struct === undefined ? undefined : byType[struct.name])
  return {
    add: (ctx) => of(ctx.collection.struct)?.add?.(ctx) ?? ctx.obj,
    update: (target, changes) => of(target.struct)?.update?.(target, changes),
    remove: (target, query) => of(target.struct)?.remove?.(target, query),
    action: (ctx) => of(ctx.target.struct)?.action?.(ctx) ?? {}
  }
}
