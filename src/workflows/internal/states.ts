/**
 * What `Wait.forStatus` knows per type: which member holds the state (`status`, a snapshot's
 * `snapshotStatus`, an image transfer's `phase`) and which states end a wait at once because the
 * object will not reach the awaited one by itself (a VM that went `down`, a disk `illegal`, a job
 * `failed`). A state that is awaited never fails the wait.
 */
import type { ServiceRef } from "../../services/ServiceRef.js"
import { Effect } from "effect"

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

let getTypes: ReadonlyMap<string, string> | undefined

/**
 * Reads the services' metadata once, on the first wait: it is every service's description, which the
 * root import (lazy refs) must not load.
 */
export const loadTypes: Effect.Effect<void> = Effect.suspend(() =>
  getTypes !== undefined
    ? Effect.void
    : Effect.map(Effect.promise(() => import("../../services/generated/metadata.js")), ({ services }) => {
      getTypes ??= new Map(services.flatMap((s) => {
        const get = s.methods.find((m) => m.name === "get")
        return get?.responseType == null ? [] : [[s.name, get.responseType] as const]
      }))
    }))

/** The struct a ref's `get` answers with (`VmService` → `Vm`), once `loadTypes` has run. */
export const typeOf = (ref: ServiceRef): string | undefined => getTypes?.get(ref.service)

export const ruleOf = (type: string | undefined): StateRule => (type === undefined ? undefined : rules[type]) ?? defaultRule

/** Types whose `ok` comes a moment before the job that made them ends (the next call would meet a lock). */
export const jobBacked = new Set(["Disk", "Snapshot", "Template"])

/** `Vm 123 (web1)`: how messages name the object behind a ref. */
export const describe = (ref: ServiceRef, value?: unknown): string => {
  const type = typeOf(ref) ?? ref.service.replace(/Service$/, "")
  const id = decodeURIComponent(ref.path.split("/").pop() ?? "")
  const name = (value as { readonly name?: unknown } | undefined)?.name
  return `${type} ${id}${typeof name === "string" && name !== "" ? ` (${name})` : ""}`
}

/** The state of a value by the type's rule, as text for messages (`status=powering_up`). */
export const stateText = (rule: StateRule, value: unknown): string => {
  const state = (value as Readonly<Record<string, unknown>> | undefined)?.[rule.member]
  return state === undefined ? "no state" : `${rule.member}=${String(state)}`
}
