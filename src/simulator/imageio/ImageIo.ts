/**
 * The simulator's data plane: the disk contents, the transfer tickets, and two imageio endpoints
 * over them (the host's daemon for `transfer_url`, the engine's proxy for `proxy_url`), with
 * their fault knobs and counters.
 */
import { DiskContent } from "./Content.js"
import { Daemon } from "./Daemon.js"
import { Tickets } from "./Tickets.js"

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

const emptyStats = (): ImageioStats => ({
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

export interface ImageIoOptions {
  readonly host: string
  readonly tls?: { readonly key: string; readonly cert: string }
  readonly knobs?: Partial<ImageioKnobs>
  /** Disks up to this size are kept in memory, larger ones in a temporary file. Default 32 MiB. */
  readonly memoryLimit?: number
  readonly now: () => number
}

export class ImageIo {
  readonly knobs: ImageioKnobs
  readonly stats: ImageioStats = emptyStats()
  readonly tickets: Tickets
  readonly daemon: Daemon
  readonly proxy: Daemon
  private readonly contents = new Map<string, DiskContent>()
  private readonly memoryLimit: number

  constructor(options: ImageIoOptions) {
    this.knobs = { ...defaultImageioKnobs(), ...options.knobs }
    this.tickets = new Tickets(options.now)
    this.memoryLimit = options.memoryLimit ?? 32 * 1024 * 1024
    const common = { host: options.host, tickets: this.tickets, knobs: this.knobs, stats: this.stats, ...(options.tls ? { tls: options.tls } : {}) }
    this.daemon = new Daemon({ ...common, role: "daemon" })
    this.proxy = new Daemon({ ...common, role: "proxy" })
  }

  async listen(): Promise<void> {
    await this.daemon.listen()
    await this.proxy.listen()
  }

  async close(): Promise<void> {
    this.tickets.close()
    await Promise.all([this.daemon.close(), this.proxy.close()])
    for (const c of this.contents.values()) c.close()
    this.contents.clear()
  }

  /** The content of a disk, made (all zeros) at `size` bytes the first time it is needed. */
  content(diskId: string, size: number): DiskContent {
    let c = this.contents.get(diskId)
    if (c === undefined || c.size < size) {
      c?.close()
      c = new DiskContent(size, this.memoryLimit)
      this.contents.set(diskId, c)
    }
    return c
  }

  /** The content of a disk if it has one. */
  existing(diskId: string): DiskContent | undefined {
    return this.contents.get(diskId)
  }

  /** Frees a removed disk's content (its temporary file is deleted). */
  drop(diskId: string): void {
    this.contents.get(diskId)?.close()
    this.contents.delete(diskId)
  }
}
