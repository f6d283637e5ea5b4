/**
 * Transfer tickets, as the engine installs them in imageio: the ticket id is the last segment of
 * `transfer_url`/`proxy_url` and the only credential a client needs, so it is a secret. A ticket
 * gives read or write access to one disk's content and expires after `inactivity_timeout`
 * seconds without a request.
 */
import type { DiskContent } from "./Content.js"

export interface Ticket {
  readonly id: string
  readonly diskId: string
  readonly content: DiskContent
  /** `write` for uploads (write and read), `read` for downloads. */
  readonly access: "read" | "write"
  /** The image's size as imageio serves it: the disk's size, or for a qcow2 download the file's. */
  readonly size: number
  readonly timeoutSeconds: number
  lastActivity: number
  /** Called once when the ticket expires (the engine then pauses or cancels the transfer). */
  readonly onExpire?: () => void
}

export class Tickets {
  private readonly tickets = new Map<string, Ticket>()
  /** One timer per ticket, due when it would expire: an idle client is noticed without a request. */
  private readonly timers = new Map<string, ReturnType<typeof setTimeout>>()

  constructor(private readonly now: () => number) {}

  add(ticket: Omit<Ticket, "lastActivity">): Ticket {
    const t: Ticket = { ...ticket, lastActivity: this.now() }
    this.tickets.set(t.id, t)
    this.arm(t)
    return t
  }

  /** Checks the ticket when it would expire; a ticket used since is checked again later. */
  private arm(t: Ticket): void {
    if (t.timeoutSeconds <= 0) return
    clearTimeout(this.timers.get(t.id))
    const due = Math.max(0, t.lastActivity + t.timeoutSeconds * 1000 - this.now() + 1)
    const timer = setTimeout(() => {
      this.timers.delete(t.id)
      if (this.tickets.get(t.id) !== t) return
      if (this.expired(t)) {
        this.tickets.delete(t.id)
        t.onExpire?.()
      } else this.arm(t)
    }, Number.isFinite(due) ? due : 0)
    // the simulator's process must not stay alive for a ticket
    timer.unref()
    this.timers.set(t.id, timer)
  }

  /** The ticket if it exists and has not expired; an access renews it. */
  use(id: string): Ticket | undefined {
    const t = this.tickets.get(id)
    if (t === undefined) return undefined
    if (this.expired(t)) {
      this.tickets.delete(id)
      return undefined
    }
    t.lastActivity = this.now()
    return t
  }

  expired(t: Ticket): boolean {
    return t.timeoutSeconds > 0 && this.now() - t.lastActivity > t.timeoutSeconds * 1000
  }

  get(id: string): Ticket | undefined {
    return this.tickets.get(id)
  }

  remove(id: string): void {
    this.tickets.delete(id)
    clearTimeout(this.timers.get(id))
    this.timers.delete(id)
  }

  /** Expires every ticket now (a fault knob: the next request with one gets 403). */
  expireAll(): void {
    for (const t of this.tickets.values()) {
      t.lastActivity = -Infinity
      this.arm(t)
    }
  }

  /** Stops every timer (the simulator is closing). */
  close(): void {
    for (const timer of this.timers.values()) clearTimeout(timer)
    this.timers.clear()
    this.tickets.clear()
  }
}
