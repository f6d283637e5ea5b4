/**
 * The simulator's HTTP fault knobs: latency, 5xx answers for a share of requests by path, dropped
 * connections and slow bodies. They can be changed at any time through the simulator's handle.
 */
import type { Random } from "./Store.js"

/** A rule failing a share of the API requests whose path matches. */
export interface FailureRule {
  /** A path below the API root to match as a prefix (`vms`, `vms/123/start`), or a RegExp; `*` matches all. */
  readonly path: string | RegExp
  /** Share of matching requests to fail, 0..1. */
  readonly rate: number
  /** HTTP status to answer with (default 503). */
  readonly status?: number
}

/** The fault knobs: change them at any time through the simulator's handle. */
export interface Knobs {
  /** Added to every answer (API and SSO), in milliseconds. */
  latencyMs: number
  /** 5xx answers for a share of matching API requests. */
  failures: Array<FailureRule>
  /** Share of API requests whose connection is dropped without an answer, 0..1. */
  dropRate: number
  /** The body is sent in small pieces with this pause between them, in milliseconds. */
  slowBodyMs: number
}

export const defaultKnobs = (): Knobs => ({ latencyMs: 0, failures: [], dropRate: 0, slowBodyMs: 0 })

/** The status a failure rule gives the request at `path` (below the API root), if one hits. */
export const failureFor = (knobs: Knobs, random: Random, path: string): number | undefined => {
  for (const rule of knobs.failures) {
    const hit =
      rule.path instanceof RegExp ? rule.path.test(path) : rule.path === "*" || path === rule.path || path.startsWith(`${rule.path}/`)
    if (hit && random.next() < rule.rate) return rule.status ?? 503
  }
  return undefined
}
