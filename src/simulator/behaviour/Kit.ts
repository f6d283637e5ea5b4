/**
 * What every resource family's behaviour works with: the store, the clock, the timing of simulated
 * operations, lookups of referenced objects, timed state transitions, and the jobs and events journal.
 */
import type { Engine } from "../Engine.js"
import type { Hooks } from "../Targets.js"
import { notFound } from "../Faults.js"
import type { Journal } from "../Journal.js"
import type { Obj, Store } from "../Store.js"

/** How long the simulated operations take, in milliseconds. */
export interface Timing {
  /** `start` until `up` (through `wait_for_launch` and `powering_up`). */
  readonly vmStart: number
  /** `stop` / `shutdown` / `suspend` / `reboot` / `migrate` until done. */
  readonly vmStop: number
  /** How long new disks, snapshots and templates stay `locked`. */
  readonly lock: number
  /** Host maintenance / activation, storage domain activation. */
  readonly host: number
}

export const defaultTiming: Timing = { vmStart: 2000, vmStop: 800, lock: 600, host: 1000 }

export const GiB = 1024 ** 3

/** A reference to an object: its id only. */
export const ref = (o: Obj): Obj => ({ id: o.id })

/** The id a reference holds, if any. */
export const refId = (v: unknown): string | undefined => (v as Obj | undefined)?.id as string | undefined

/** One type's behaviour: the engine's hooks it needs (absent ones do nothing). */
export type TypeBehaviour = Partial<Hooks>

/** Behaviours by struct name (`Vm`, `Disk`, ...). */
export type Behaviours = Readonly<Record<string, TypeBehaviour>>

export interface Kit {
  readonly store: Store
  readonly now: () => Date
  readonly timing: () => Timing
  /** The object a reference names by id or by name, or a 404 naming what was looked for. */
  readonly findRef: (bucket: string, r: unknown, what: string) => Obj
  /**
   * Sets `member` to `current` now, then each later step at its time (ms from now), then `then`.
   * A new transition of an object replaces the one still running, as on the engine: whatever was
   * pending for it is cancelled first, so a VM stopped while starting does not come `up` later.
   */
  readonly transition: (
    obj: Obj,
    member: string,
    current: string,
    steps: ReadonlyArray<readonly [number, string]>,
    then?: () => void
  ) => void
  /** Jobs and events (Journal.ts). */
  readonly startJob: Journal["startJob"]
  readonly event: Journal["event"]
  /** The hosts `up` in a cluster (any cluster when not given), but `except`. */
  readonly hostsUp: (clusterId: string | undefined, except?: string) => Array<Obj>
}

export const makeKit = (engine: Engine, timing: () => Timing): Kit => {
  const store: Store = engine.store
  const findRef = (bucket: string, r: unknown, what: string): Obj => {
    const o = r as Obj | undefined
    const found =
      (typeof o?.id === "string" ? store.get(bucket, o.id) : undefined) ??
      (typeof o?.name === "string" ? store.list(bucket).find((x) => x.name === o.name) : undefined)
    if (found === undefined) {
      const key = typeof o?.id === "string" ? `id=${o.id}` : `name=${String(o?.name)}`
      throw notFound(`${what}: ${key}`)
    }
    return found
  }
  const transition: Kit["transition"] = (obj, member, current, steps, then) => {
    store.cancel(obj)
    obj[member] = current
    for (const [at, status] of steps) store.schedule(at, () => void (obj[member] = status), obj)
    if (then) store.schedule(steps.length === 0 ? 0 : steps[steps.length - 1][0], then, obj)
  }
  const hostsUp = (clusterId: string | undefined, except?: string): Array<Obj> =>
    store.list("hosts").filter((h) => h.status === "up" && (clusterId === undefined || refId(h.cluster) === clusterId) && h.id !== except)
  const { startJob, event } = engine.journal
  return { store, now: () => new Date(store.now()), timing, findRef, transition, startJob, event, hostsUp }
}
