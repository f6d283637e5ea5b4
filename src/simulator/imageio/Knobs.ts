/**
 * The data plane's fault knobs (what a test sets to make imageio fail, slow down or behave as an old
 * version) and its request counters: shared by the endpoints (Daemon.ts) and the module that starts
 * them (ImageIo.ts).
 */
/** An imageio error answer to send instead of serving a request. */
export interface ImageioFailureRule {
  /** Only requests with this method (`PUT`, `PATCH`, `GET`, `OPTIONS`); any when absent. */
  readonly method?: string
  readonly status: number
  /** The plain-text reason, as imageio sends it. */
  readonly body: string
  /** How many requests to fail; the rule is dropped after. */
  count: number
}

/** Fault knobs of the data plane; assign to them at any time. */
export interface ImageioKnobs {
  /** The host's daemon drops every connection (unreachable): clients must fall back to the proxy. */
  daemonDown: boolean
  /** Pause before serving each data request, in milliseconds (a slow transfer). */
  slowMs: number
  /** Error answers for the next matching requests, first rule first. */
  failures: Array<ImageioFailureRule>
  /** Answer OPTIONS with 405, like imageio before 1.3 (no zero, flush or extents). */
  legacy: boolean
  maxReaders: number
  maxWriters: number
  /** Engine side: `finalize` fails (`finished_failure`), or the transfer pauses on its own (`paused_system`). */
  transferFailure: "finalize" | "pause" | undefined
}

export const defaultImageioKnobs = (): ImageioKnobs => ({
  daemonDown: false,
  slowMs: 0,
  failures: [],
  legacy: false,
  maxReaders: 4,
  maxWriters: 4,
  transferFailure: undefined
})

/** Requests served, per kind and per endpoint, and bytes moved. */
export interface ImageioStats {
  daemon: number
  proxy: number
  options: number
  get: number
  put: number
  zero: number
  flush: number
  extents: number
  bytesWritten: number
  bytesRead: number
  bytesZeroed: number
}

export const emptyStats = (): ImageioStats => ({
  daemon: 0,
  proxy: 0,
  options: 0,
  get: 0,
  put: 0,
  zero: 0,
  flush: 0,
  extents: 0,
  bytesWritten: 0,
  bytesRead: 0,
  bytesZeroed: 0
})
