/**
 * A scriptable HTTP(S) server on loopback for the tests: it records every request (method, url,
 * headers, body) and answers with whatever the test's handler says. Certificates are made per run.
 */
import * as http from "node:http"
import * as https from "node:https"
import type * as net from "node:net"
import { Effect } from "effect"
import { type Certificates, makeCertificates } from "../../src/simulator/Certificates.js"

export interface RecordedRequest {
  readonly method: string
  /** Path with query, as received. */
  readonly url: string
  readonly headers: http.IncomingHttpHeaders
  readonly body: string
}

export type Handler = (request: RecordedRequest, response: http.ServerResponse) => unknown

export interface TestServer {
  /** `https://127.0.0.1:PORT` (or http) */
  readonly origin: string
  readonly port: number
  readonly certificates: Certificates
  readonly requests: Array<RecordedRequest>
  /** Sockets currently open to the server. */
  readonly openSockets: () => number
  /** Requests whose handler has started but whose response has not finished. */
  readonly inFlight: () => number
  /** Replace the handler. */
  setHandler(handler: Handler): void
  close(): Promise<void>
}

export interface TestServerOptions {
  readonly tls?: boolean
  readonly certificates?: Certificates
}

export const startServer = async (handler: Handler, options: TestServerOptions = {}): Promise<TestServer> => {
  const tls = options.tls ?? true
  const certificates = options.certificates ?? makeCertificates()
  const requests: Array<RecordedRequest> = []
  const sockets = new Set<net.Socket>()
  let current = handler
  let inFlight = 0
  const listener: http.RequestListener = (req, res) => {
    const chunks: Array<Buffer> = []
    req.on("data", (chunk: Buffer) => chunks.push(chunk))
    req.on("end", () => {
      const recorded: RecordedRequest = {
        method: req.method ?? "",
        url: req.url ?? "",
        headers: req.headers,
        body: Buffer.concat(chunks).toString("utf8")
      }
      requests.push(recorded)
      inFlight++
      res.on("close", () => inFlight--)
      Promise.resolve(current(recorded, res)).catch((error: unknown) => {
        res.statusCode = 500
        res.end(String(error))
      })
    })
  }
  const server: http.Server = tls
    ? https.createServer({ cert: certificates.certPem, key: certificates.keyPem }, listener)
    : http.createServer(listener)
  server.on(tls ? "secureConnection" : "connection", (socket: net.Socket) => {
    sockets.add(socket)
    socket.on("close", () => sockets.delete(socket))
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  const port = (server.address() as net.AddressInfo).port
  return {
    origin: `${tls ? "https" : "http"}://127.0.0.1:${port}`,
    port,
    certificates,
    requests,
    openSockets: () => sockets.size,
    inFlight: () => inFlight,
    setHandler: (next) => {
      current = next
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy()
        server.close(() => resolve())
      })
  }
}

/** The server as a scoped resource. */
export const testServer = (handler: Handler, options?: TestServerOptions): Effect.Effect<TestServer, never, import("effect").Scope.Scope> =>
  Effect.acquireRelease(Effect.promise(() => startServer(handler, options)), (server) => Effect.promise(() => server.close()))

/** Polls until `predicate` holds (no timing assertion: gives up after `attempts` ticks of 10 ms). */
export const eventually = async (predicate: () => boolean, attempts = 500): Promise<boolean> => {
  for (let i = 0; i < attempts; i++) {
    if (predicate()) return true
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
  return predicate()
}

export const sendJson = (res: http.ServerResponse, status: number, value: unknown): void => {
  const body = JSON.stringify(value)
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(body) })
  res.end(body)
}

export const sendXml = (res: http.ServerResponse, status: number, body: string, headers: http.OutgoingHttpHeaders = {}): void => {
  res.writeHead(status, { "content-type": "application/xml", "content-length": Buffer.byteLength(body), ...headers })
  res.end(body)
}

/** Answers `status` with `body` as XML, or with no body at all when `body` is empty. */
export const sendXmlOrNothing = (res: http.ServerResponse, status: number, body: string): void => {
  if (body !== "") return sendXml(res, status, body)
  res.writeHead(status, { "content-length": 0 })
  res.end()
}

export const sendHtml = (res: http.ServerResponse, status: number, body: string): void => {
  res.writeHead(status, { "content-type": "text/html;charset=UTF-8", "content-length": Buffer.byteLength(body) })
  res.end(body)
}
