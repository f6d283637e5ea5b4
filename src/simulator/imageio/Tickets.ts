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
}

export class Tickets {
  private readonly tickets = new Map<string, Ticket>()

  constructor(private readonly now: () => number) {}

  add(ticket: Omit<Ticket, "lastActivity">): Ticket {
    const t: Ticket = { ...ticket, lastActivity: this.now() }
    this.tickets.set(t.id, t)
    return t
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
  }

  /** Expires every ticket now (a fault knob: the next request with one gets 403). */
  expireAll(): void {
    for (const t of this.tickets.values()) t.lastActivity = -Infinity
  }
}
