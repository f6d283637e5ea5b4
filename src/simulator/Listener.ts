/**
 * One loopback HTTP(S) server the simulator runs (the API and SSO, the imageio daemon and proxy):
 * HTTPS when given a key and certificate, keep-alive, its open sockets tracked so that `close`
 * ends them at once instead of waiting for idle clients.
 */
import * as http from "node:http"
import * as https from "node:https"
import type { AddressInfo, Socket } from "node:net"

export type Handler = (req: http.IncomingMessage, res: http.ServerResponse) => void

export interface ListenerOptions {
  readonly tls?: { readonly key: string; readonly cert: string }
  readonly handler: Handler
  /** Which socket event counts as a new connection (the API waits for the TLS handshake). */
  readonly trackOn: "connection" | "secureConnection"
  /** Asked for each new socket; `false` drops it untracked (an unreachable imageio host). */
  readonly accept?: (socket: Socket) => boolean
}

export class Listener {
  readonly server: http.Server
  private readonly sockets = new Set<Socket>()
  private readonly secure: boolean

  constructor(options: ListenerOptions) {
    this.secure = options.tls !== undefined
    this.server = options.tls
      ? https.createServer({ key: options.tls.key, cert: options.tls.cert, keepAlive: true }, options.handler)
      : http.createServer({ keepAlive: true }, options.handler)
    this.server.keepAliveTimeout = 30_000
    this.server.on(options.trackOn, (socket: Socket) => {
      if (options.accept !== undefined && !options.accept(socket)) return
      this.sockets.add(socket)
      socket.once("close", () => this.sockets.delete(socket))
    })
  }

  /** Open client connections right now. */
  get openConnections(): number {
    return this.sockets.size
  }

  /** Listens on `host:port` (0: a free port); gives the origin, `https://127.0.0.1:PORT` (IPv6 in brackets). */
  listen(port: number, host: string): Promise<string> {
    return new Promise((resolve, reject) => {
      this.server.once("error", reject)
      this.server.listen(port, host, () => {
        this.server.off("error", reject)
        const { port: bound } = this.server.address() as AddressInfo
        const shown = host.includes(":") ? `[${host}]` : host
        resolve(`${this.secure ? "https" : "http"}://${shown}:${bound}`)
      })
    })
  }

  /** Stops listening and ends every open connection. */
  close(): Promise<void> {
    return new Promise((resolve) => {
      if (!this.server.listening) return resolve()
      this.server.close(() => resolve())
      this.server.closeAllConnections()
      for (const s of this.sockets) s.destroy()
    })
  }
}
