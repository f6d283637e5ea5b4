/**
 * An imageio-compatible HTTPS endpoint (`/images/<ticket>`): OPTIONS (features, max readers and
 * writers), GET with Range, PUT with Content-Range, PATCH `zero` and `flush`, and
 * `/images/<ticket>/extents`. Errors are answered as imageio does: a status and a plain-text
 * reason. The simulator runs two of them, the host's daemon (`transfer_url`) and the engine's
 * proxy (`proxy_url`), over the same tickets and disk contents.
 */
import type * as http from "node:http"
import type { Socket } from "node:net"
import { Listener } from "../Listener.js"
import { sleep } from "../Reply.js"
import { readBounded } from "../Requests.js"
import type { ImageioKnobs, ImageioStats } from "./Knobs.js"
import type { Ticket, Tickets } from "./Tickets.js"

export interface DaemonOptions {
  readonly role: "daemon" | "proxy"
  readonly host: string
  readonly tls?: { readonly key: string; readonly cert: string }
  readonly tickets: Tickets
  readonly knobs: ImageioKnobs
  readonly stats: ImageioStats
}

/** A PATCH body is a small JSON document; anything larger is refused unread. */
const MAX_PATCH_BYTES = 4096

class ImageioFailure extends Error {
  constructor(
    readonly status: number,
    message: string
  ) {
    super(message)
  }
}

export class Daemon {
  private readonly listener: Listener
  private base: string | undefined

  constructor(private readonly options: DaemonOptions) {
    const handler = (req: http.IncomingMessage, res: http.ServerResponse) => {
      this.serve(req, res).catch((e: unknown) => {
        const status = e instanceof ImageioFailure ? e.status : 500
        const message = e instanceof Error ? e.message : String(e)
        if (!res.headersSent) {
          res.writeHead(status, { "Content-Type": "text/plain; charset=UTF-8", "Content-Length": Buffer.byteLength(message) })
          res.end(message)
        } else res.destroy()
        // a refused PUT's body is not read: the connection cannot be reused
        if (!req.complete) req.socket.destroySoon?.()
      })
    }
    const accept = (socket: Socket): boolean => {
      if (options.role === "daemon" && options.knobs.daemonDown) {
        // an unreachable host: the connection is dropped before TLS completes
        socket.destroy()
        return false
      }
      return true
    }
    this.listener = new Listener({ handler, trackOn: "connection", accept, ...(options.tls ? { tls: options.tls } : {}) })
  }

  /** `https://host:port/images/`, once listening. */
  get imagesUrl(): string {
    if (this.base === undefined) throw new Error("the imageio endpoint is not listening")
    return this.base
  }

  async listen(): Promise<void> {
    this.base = `${await this.listener.listen(0, this.options.host)}/images/`
  }

  close(): Promise<void> {
    return this.listener.close()
  }

  private async serve(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const { knobs, stats } = this.options
    stats[this.options.role]++
    const url = new URL(req.url ?? "/", "http://imageio")
    const match = /^\/images\/([^/]+)(\/extents)?$/.exec(url.pathname)
    if (match === null) throw new ImageioFailure(404, `No such resource: ${url.pathname}`)
    const [, ticketId, extents] = match
    const method = req.method ?? "GET"
    if (knobs.failures.length > 0) {
      const rule = knobs.failures[0]
      if (rule.method === undefined || rule.method === method) {
        if (--rule.count <= 0) knobs.failures.shift()
        throw new ImageioFailure(rule.status, rule.body)
      }
    }
    if (knobs.slowMs > 0) await sleep(knobs.slowMs)
    if (method === "OPTIONS") return this.options_(ticketId, res)
    const ticket = this.options.tickets.use(ticketId)
    // imageio's own wording; the ticket id in it is why clients must scrub these bodies
    if (ticket === undefined) throw new ImageioFailure(403, `You are not allowed to access this resource: No such ticket ${ticketId}`)
    if (extents !== undefined) {
      if (method !== "GET") throw new ImageioFailure(405, `Method ${method} not allowed on extents`)
      stats.extents++
      return json(res, 200, ticket.content.extents(ticket.size))
    }
    switch (method) {
      case "GET":
        return this.get(ticket, req, res)
      case "PUT":
        return this.put(ticket, req, res)
      case "PATCH":
        return this.patch(ticket, req, res)
      default:
        throw new ImageioFailure(405, `Method ${method} not allowed`)
    }
  }

  private options_(ticketId: string, res: http.ServerResponse): void {
    const { knobs, stats, tickets } = this.options
    stats.options++
    if (knobs.legacy) {
      // an old daemon (before 1.3): no OPTIONS, only GET and PUT
      res.writeHead(405, { "Content-Type": "text/plain; charset=UTF-8", "Content-Length": "0" })
      res.end()
      return
    }
    const ticket = ticketId === "*" ? undefined : tickets.use(ticketId)
    if (ticketId !== "*" && ticket === undefined) throw new ImageioFailure(403, `You are not allowed to access this resource: No such ticket ${ticketId}`)
    const writable = ticket === undefined || ticket.access === "write"
    res.setHeader("Allow", writable ? "OPTIONS,GET,PUT,PATCH" : "OPTIONS,GET")
    json(res, 200, {
      features: writable ? ["extents", "zero", "flush"] : ["extents"],
      max_readers: knobs.maxReaders,
      max_writers: knobs.maxWriters
    })
  }

  private async get(ticket: Ticket, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const size = ticket.size
    const range = parseRange(req.headers.range, size)
    const start = range?.start ?? 0
    const end = range?.end ?? size - 1
    const length = end - start + 1
    this.options.stats.get++
    const headers: Record<string, string> = { "Content-Type": "application/octet-stream", "Content-Length": String(length) }
    if (range !== undefined) headers["Content-Range"] = `bytes ${start}-${end}/${size}`
    res.writeHead(range === undefined ? 200 : 206, headers)
    const piece = 1024 * 1024
    for (let at = start; at <= end; at += piece) {
      if (res.destroyed) return
      const ok = res.write(ticket.content.read(at, Math.min(piece, end + 1 - at)))
      if (!ok) await new Promise<void>((resolve) => res.once("drain", resolve).once("close", resolve))
    }
    this.options.stats.bytesRead += length
    res.end()
  }

  private async put(ticket: Ticket, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    if (ticket.access !== "write") throw new ImageioFailure(403, "You are not allowed to access this resource: the ticket does not allow writing")
    const lengthHeader = req.headers["content-length"]
    if (lengthHeader === undefined) throw new ImageioFailure(400, "Content-Length header is required")
    const length = Number(lengthHeader)
    const offset = parseContentRange(req.headers["content-range"], length)
    if (offset + length > ticket.size) {
      throw new ImageioFailure(416, `Requested range not satisfiable: offset ${offset} + length ${length} > size ${ticket.size}`)
    }
    let got = 0
    await new Promise<void>((resolve, reject) => {
      req.on("data", (chunk: Buffer) => {
        if (got + chunk.length > length) return reject(new ImageioFailure(400, "More data than Content-Length"))
        ticket.content.write(offset + got, chunk)
        got += chunk.length
      })
      req.once("end", resolve)
      req.once("error", reject)
    })
    if (got !== length) throw new ImageioFailure(400, `Expected ${length} bytes, got ${got}`)
    this.options.stats.put++
    this.options.stats.bytesWritten += length
    if (url(req).searchParams.get("flush") !== "n") this.options.stats.flush++
    res.writeHead(200, { "Content-Length": "0" })
    res.end()
  }

  private async patch(ticket: Ticket, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    if (ticket.access !== "write") throw new ImageioFailure(403, "You are not allowed to access this resource: the ticket does not allow writing")
    const read = await readBounded(req, MAX_PATCH_BYTES)
    if (read === "too large") throw new ImageioFailure(413, "PATCH body too large")
    // the client went away before sending all of it: there is no one to answer
    if (read === "aborted") return
    const text = read.toString("utf8")
    let body: { op?: unknown; offset?: unknown; size?: unknown; flush?: unknown }
    try {
      body = JSON.parse(text) as typeof body
    } catch {
      throw new ImageioFailure(400, `Invalid JSON message: ${text.slice(0, 100)}`)
    }
    switch (body.op) {
      case "zero": {
        const offset = typeof body.offset === "number" ? body.offset : 0
        const size = body.size
        if (typeof size !== "number" || !Number.isInteger(size) || size < 0 || !Number.isInteger(offset) || offset < 0) {
          throw new ImageioFailure(400, `Invalid zero request: ${text.slice(0, 100)}`)
        }
        if (offset + size > ticket.size) {
          throw new ImageioFailure(416, `Requested range not satisfiable: offset ${offset} + size ${size} > size ${ticket.size}`)
        }
        ticket.content.zero(offset, size)
        this.options.stats.zero++
        this.options.stats.bytesZeroed += size
        if (body.flush === true) this.options.stats.flush++
        break
      }
      case "flush":
        this.options.stats.flush++
        break
      default:
        throw new ImageioFailure(400, `Invalid operation: ${String(body.op)}`)
    }
    res.writeHead(200, { "Content-Length": "0" })
    res.end()
  }
}

const url = (req: http.IncomingMessage) => new URL(req.url ?? "/", "http://imageio")

const json = (res: http.ServerResponse, status: number, value: unknown): void => {
  const text = JSON.stringify(value)
  res.writeHead(status, { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(text) })
  res.end(text)
}

/** `bytes=start-end` (end inclusive, optional); undefined without a Range header. */
const parseRange = (header: string | undefined, size: number): { start: number; end: number } | undefined => {
  if (header === undefined) return undefined
  const m = /^bytes=(\d+)-(\d*)$/.exec(header.trim())
  if (m === null) throw new ImageioFailure(416, `Unsupported range: ${header}`)
  const start = Number(m[1])
  const end = m[2] === "" ? size - 1 : Number(m[2])
  if (start > end || end >= size) throw new ImageioFailure(416, `Requested range not satisfiable: ${header}, size ${size}`)
  return { start, end }
}

/** `bytes start-end/*` gives the offset; the range must agree with Content-Length. */
const parseContentRange = (header: string | undefined, length: number): number => {
  if (header === undefined) return 0
  const m = /^bytes (\d+)-(\d+)\/(\*|\d+)$/.exec(header.trim())
  if (m === null) throw new ImageioFailure(400, `Invalid Content-Range header: ${header}`)
  const start = Number(m[1])
  if (Number(m[2]) - start + 1 !== length) throw new ImageioFailure(400, `Content-Range ${header} does not match Content-Length ${length}`)
  return start
}
