/**
 * The simulator's data plane: the disk contents, the transfer tickets, and two imageio endpoints
 * over them (the host's daemon for `transfer_url`, the engine's proxy for `proxy_url`), with
 * their fault knobs and counters.
 */
import { DiskContent } from "./Content.js"
import { Daemon } from "./Daemon.js"
import { defaultImageioKnobs, emptyStats, type ImageioKnobs, type ImageioStats } from "./Knobs.js"
import { Tickets } from "./Tickets.js"

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
