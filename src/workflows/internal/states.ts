/**
 * What `Wait.forStatus` knows per type: which member holds the state (`status`, a snapshot's
 * `snapshotStatus`, an image transfer's `phase`) and which states end a wait at once because the
 * object will not reach the awaited one by itself (a VM that went `down`, a disk `illegal`, a job
 * `failed`). A state that is awaited never fails the wait.
 */
import { Effect } from "effect"
import { moduleOf } from "../../services/runtime/lazy.js"
import type { ServiceRef } from "../../services/ServiceRef.js"

export interface StateRule {
  /** The member holding the state. */
  readonly member: "status" | "snapshotStatus" | "phase"
  /** States that fail the wait unless awaited. */
  readonly failing: ReadonlyArray<string>
}

const rules: Readonly<Record<string, StateRule>> = {
  Vm: { member: "status", failing: ["down", "not_responding"] },
  Host: { member: "status", failing: ["install_failed", "non_responsive", "non_operational", "error"] },
  Disk: { member: "status", failing: ["illegal"] },
  Template: { member: "status", failing: ["illegal"] },
  Snapshot: { member: "snapshotStatus", failing: [] },
  StorageDomain: { member: "status", failing: ["inactive", "unknown"] },
  DataCenter: { member: "status", failing: ["not_operational"] },
  ImageTransfer: {
    member: "phase",
    failing: ["cancelled", "cancelled_system", "cancelled_user", "finalizing_failure", "finished_failure", "paused_system"]
  },
  Job: { member: "status", failing: ["failed", "aborted"] },
  Step: { member: "status", failing: ["failed", "aborted"] }
}

const defaultRule: StateRule = { member: "status", failing: [] }

/**
 * The struct a ref's `get` answers with (`VmService` → `Vm`), read from the description its service's
 * module exports: the module the wait's polls load anyway (the lazy refs' loader), so a wait loads no
 * other service's.
 */
export const typeOf = (ref: ServiceRef): Effect.Effect<string | undefined> =>
  Effect.map(moduleOf(ref.service), (module) => module?.meta.methods.find((m) => m.name === "get")?.responseType ?? undefined)

export const ruleOf = (type: string | undefined): StateRule => (type === undefined ? undefined : rules[type]) ?? defaultRule

/** The state of `value` by the type's rule (`"undefined"` when it has none). */
export const stateOf = (rule: StateRule, value: unknown): string => String((value as Readonly<Record<string, unknown>> | undefined)?.[rule.member])

/** Whether `value`, of the struct `type`, is in one of the type's failing states (a disk `illegal`, a transfer `paused_system`). */
export const isFailing = (type: string, value: unknown): boolean => {
  const rule = ruleOf(type)
  return rule.failing.includes(stateOf(rule, value))
}

/** Types whose `ok` comes a moment before the job that made them ends (the next call would meet a lock). */
export const jobBacked = new Set(["Disk", "Snapshot", "Template"])

/** `Vm 123 (web1)`: how messages name the object behind a ref (of `type`, from `typeOf`). */
export const describe = (ref: ServiceRef, type: string | undefined, value?: unknown): string => {
  type ??= ref.service.replace(/Service$/, "")
  const id = decodeURIComponent(ref.path.split("/").pop() ?? "")
  const name = (value as { readonly name?: unknown } | undefined)?.name
  return `${type} ${id}${typeof name === "string" && name !== "" ? ` (${name})` : ""}`
}

/** The state of a value by the type's rule, as text for messages (`status=powering_up`). */
export const stateText = (rule: StateRule, value: unknown): string => {
  const state = (value as Readonly<Record<string, unknown>> | undefined)?.[rule.member]
  return state === undefined ? "no state" : `${rule.member}=${String(state)}`
}
