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

export const makeJournal = (store: Store): Journal => {
  const now = () => new Date(store.now())
  const admin = () => store.list("users").find((u) => u.userName === "admin@internal")
  // Counted from the stored events at the first new one (the seed's come before it).
  let lastIndex: number | undefined
  const nextIndex = (): number => {
    if (lastIndex === undefined) {
      lastIndex = 0
      for (const e of store.list("events")) if (typeof e.index === "number" && e.index > lastIndex) lastIndex = e.index
    }
    return ++lastIndex
  }

  const correlations = new Map<string, string>()
  const journal: Journal = {
    correlationId: undefined,
    correlations,
    startJob: (description, doneAfter, done) => {
      const user = admin()
      const job: Obj = {
        id: store.newId(),
        description,
        status: "started",
        startTime: now(),
        lastUpdated: now(),
        autoCleared: true,
        external: false,
        ...(user ? { owner: { id: user.id } } : {})
      }
      store.put("jobs", job)
      const correlationId = journal.correlationId
      if (correlationId !== undefined) correlations.set(job.id as string, correlationId)
      const steps = `jobs/${job.id as string}/steps`
      const step = (number: number, type: string, text: string, status: string): Obj =>
        store.put(steps, {
          id: store.newId(),
          description: text,
          type,
          number,
          status,
          startTime: now(),
          ...(status === "finished" ? { endTime: now() } : {}),
          external: false,
          job: { id: job.id }
        })
      step(1, "validating", "Validating", "finished")
      const executing = step(2, "executing", "Executing", "started")
      store.schedule(doneAfter, () => {
        for (const o of [executing, job]) {
          if (o.status !== "started") continue
          o.status = "finished"
          o.endTime = now()
        }
        job.lastUpdated = now()
        // What the job does when it ends belongs to the request that started it.
        const current = journal.correlationId
        journal.correlationId = correlationId
        try {
          done?.()
        } finally {
          journal.correlationId = current
        }
      }, job)
      return job
    },
    event: (kind, subject, other = "", refs = {}) => {
      const [code, text] = EventCodes[kind]
      const index = nextIndex()
      const user = admin()
      const description = text.replace("{0}", subject).replace("{1}", USER_NAME).replace("{2}", other)
      return store.put("events", {
        id: String(index),
        index,
        code,
        description,
        severity: "normal",
        time: now(),
        origin: "oVirt",
        customId: -1,
        floodRate: 30,
        ...(journal.correlationId !== undefined ? { correlationId: journal.correlationId } : {}),
        ...(user ? { user: { id: user.id } } : {}),
        ...refs
      })
    }
  }
  return journal
}
