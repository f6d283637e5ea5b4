/**
 * What the engine records of the work it does: a job (`/jobs`) with its steps for every
 * asynchronous command, described in the engine's wording (ExecutionMessages), carrying the
 * request's correlation id, ending `finished` (or `failed`); and an audit log event (`/events`) for
 * what happened, with the engine's event code (AuditLogType) and message (AuditLogMessages) and an
 * index one above the last, which is also the event's id, as on the engine.
 */
import type { Obj, Store } from "./Store.js"

/** The user the simulator acts for in event texts (the engine names the user and its profile). */
const USER_NAME = "admin@internal-authz"

/** The audit log types the simulator emits: code and message (`{0}`... filled in order). */
export const EventCodes = {
  /** USER_ADD_VM */
  vmAdded: [34, "VM {0} was created by {1}."],
  /** USER_ADD_VM_FINISHED_SUCCESS */
  vmAddFinished: [53, "VM {0} creation has been completed."],
  /** USER_STARTED_VM */
  vmStarted: [153, "VM {0} was started by {1} (Host: {2})."],
  /** USER_STOP_VM */
  vmStopped: [33, "VM {0} powered off by {1} (Host: {2})."],
  /** USER_INITIATED_SHUTDOWN_VM */
  vmShutdown: [73, "VM shutdown initiated by {1} on VM {0} (Host: {2})."],
  /** VM_DOWN */
  vmDown: [61, "VM {0} is down. "],
  /** USER_REMOVE_VM_FINISHED */
  vmRemoved: [113, "VM {0} was successfully removed."],
  /** USER_ADD_DISK */
  diskAdded: [2020, "Add-Disk operation of '{0}' was initiated by {1}."],
  /** USER_ADD_DISK_FINISHED_SUCCESS */
  diskAddFinished: [2021, "The disk '{0}' was successfully added."],
  /** USER_FINISHED_REMOVE_DISK */
  diskRemoved: [2014, "Disk {0} was successfully removed from domain {2} (User {1})."],
  /** USER_CREATE_SNAPSHOT */
  snapshotAdded: [45, "Snapshot '{0}' creation for VM '{2}' was initiated by {1}."],
  /** USER_CREATE_SNAPSHOT_FINISHED_SUCCESS */
  snapshotFinished: [68, "Snapshot '{0}' creation for VM '{2}' has been completed."],
  /** USER_ADD_VM_TEMPLATE */
  templateAdded: [48, "Creation of Template {0} from VM {2} was initiated by {1}."],
  /** USER_ADD_VM_TEMPLATE_FINISHED_SUCCESS */
  templateFinished: [51, "Creation of Template {0} from VM {2} has been completed."],
  /** USER_ADD_VDS */
  hostAdded: [42, "Host {0} was added by {1}."]
} as const satisfies Record<string, readonly [number, string]>

export type EventKind = keyof typeof EventCodes

export interface Journal {
  /** The correlation id of the request being answered (set by the engine per request). */
  correlationId: string | undefined
  /**
   * The correlation id each job was started with, by job id: the engine searches jobs by it
   * (`jobs?search=correlation_id=X`) but does not send it, so it is kept beside the job.
   */
  readonly correlations: ReadonlyMap<string, string>
  /** Starts a job with its steps; it ends `finished` after `doneAfter` ms, then runs `done`. */
  readonly startJob: (description: string, doneAfter: number, done?: () => void) => Obj
  /** Records an event: `subject` fills `{0}`, the user `{1}`, `other` `{2}`; `refs` links objects. */
  readonly event: (kind: EventKind, subject: string, other?: string, refs?: Obj) => Obj
}

/** The journal over the store; `startJob` and `event` are arrow properties, as the behaviour modules take them off it. */
class StoreJournal implements Journal {
  correlationId: string | undefined = undefined
  readonly correlations = new Map<string, string>()
  // Counted from the stored events at the first new one (the seed's come before it).
  private lastIndex: number | undefined

  constructor(private readonly store: Store) {}

  readonly startJob = (description: string, doneAfter: number, done?: () => void): Obj => {
    const store = this.store
    const user = this.admin()
    const job: Obj = {
      id: store.newId(),
      description,
      status: "started",
      startTime: this.now(),
      lastUpdated: this.now(),
      ...(user ? { owner: { id: user.id } } : {})
    }
    store.put("jobs", job)
    const correlationId = this.correlationId
    if (correlationId !== undefined) this.correlations.set(job.id as string, correlationId)
    this.step(job, 1, "validating", "Validating", "finished")
    const executing = this.step(job, 2, "executing", "Executing", "started")
    store.schedule(doneAfter, () => {
      for (const o of [executing, job]) {
        if (o.status !== "started") continue
        o.status = "finished"
        o.endTime = this.now()
      }
      job.lastUpdated = this.now()
      // What the job does when it ends belongs to the request that started it.
      const current = this.correlationId
      this.correlationId = correlationId
      try {
        done?.()
      } finally {
        this.correlationId = current
      }
    }, job)
    return job
  }

  readonly event = (kind: EventKind, subject: string, other = "", refs: Obj = {}): Obj => {
    const [code, text] = EventCodes[kind]
    const index = this.nextIndex()
    const user = this.admin()
    const description = text.replace("{0}", subject).replace("{1}", USER_NAME).replace("{2}", other)
    return this.store.put("events", {
      id: String(index),
      index,
      code,
      description,
      time: this.now(),
      ...(this.correlationId !== undefined ? { correlationId: this.correlationId } : {}),
      ...(user ? { user: { id: user.id } } : {}),
      ...refs
    })
  }

  private now(): Date {
    return new Date(this.store.now())
  }

  private admin(): Obj | undefined {
    return this.store.list("users").find((u) => u.userName === "admin@internal")
  }

  private nextIndex(): number {
    if (this.lastIndex === undefined) {
      this.lastIndex = 0
      for (const e of this.store.list("events")) if (typeof e.index === "number" && e.index > this.lastIndex) this.lastIndex = e.index
    }
    return ++this.lastIndex
  }

  /** One step of a job's. */
  private step(job: Obj, number: number, type: string, text: string, status: string): Obj {
    return this.store.put(`jobs/${job.id as string}/steps`, {
      id: this.store.newId(),
      description: text,
      type,
      number,
      status,
      startTime: this.now(),
      ...(status === "finished" ? { endTime: this.now() } : {}),
      job: { id: job.id }
    })
  }
}

export const makeJournal = (store: Store): Journal => new StoreJournal(store)
