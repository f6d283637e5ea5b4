/**
 * The simulator's HTTPS server on loopback: SSO endpoints, the API under `/ovirt-engine/api`
 * (bearer token or basic credentials, `Version: 4`), HTTP/1.1 keep-alive, gzip when asked, and
 * the fault knobs (latency, failures per path, dropped connections, slow bodies) in front.
 */
import * as http from "node:http"
import * as https from "node:https"
import type { AddressInfo, Socket } from "node:net"
import * as zlib from "node:zlib"
import { makeHooks, type Timing } from "./Behaviour.js"
import { API_PREFIX, Engine } from "./Engine.js"
import { HttpFault } from "./Faults.js"
import { model } from "./Model.js"
import { contextRedirect, type PortalAnswer, pkiResource, welcomePage } from "./Portal.js"
import { seed } from "./Seed.js"
import { Sso, type SsoErrorShape } from "./Sso.js"
import { Random, Store } from "./Store.js"

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

export interface ServerOptions {
  readonly host: string
  readonly port: number
  readonly seed: string
  readonly vms?: number
  readonly username: string
  readonly password: string
  readonly tokenLifetimeSeconds: number
  readonly ssoErrorShape: SsoErrorShape
  readonly timing: Timing
  readonly knobs: Knobs
  /** TLS key and certificate (and the CA the PKI resource servlet hands out); plain HTTP when absent. */
  readonly tls?: { readonly key: string; readonly cert: string; readonly ca?: string }
  /** Called for each request (method, path, status): the CLI's access log. */
  readonly log?: (line: string) => void
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

const UNAUTHORIZED_HTML =
  "<html><head><title>Error</title></head><body>Unauthorized: the request needs a valid SSO token (Authorization: Bearer ...).</body></html>"

export class SimulatorServer {
  readonly store: Store
  readonly engine: Engine
  readonly sso: Sso
  timing: Timing
  readonly knobs: Knobs
  /** API requests answered so far (drops included). */
  requests = 0
  private readonly server: http.Server
  private readonly sockets = new Set<Socket>()
  private readonly faultRandom: Random
  private url_: string | undefined

  constructor(private readonly options: ServerOptions) {
    this.store = new Store(options.seed)
    this.faultRandom = new Random(`${options.seed}/faults`)
    this.engine = new Engine(model(), this.store)
    this.timing = options.timing
    this.engine.hooks = makeHooks(this.engine, () => this.timing)
    seed(this.store, options.vms === undefined ? {} : { vms: options.vms })
    this.sso = new Sso(options.username, options.password, options.tokenLifetimeSeconds, options.ssoErrorShape, Date.now)
    this.knobs = options.knobs
    const handler = (req: http.IncomingMessage, res: http.ServerResponse) => {
      this.serve(req, res).catch((e: unknown) => {
        options.log?.(`internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`)
        if (!res.headersSent) {
          res.writeHead(500, { "Content-Type": "application/xml" })
          res.end(new HttpFault(500, "Internal Server Error", "The simulator failed to answer").xml())
        } else res.destroy()
      })
    }
    this.server = options.tls
      ? https.createServer({ key: options.tls.key, cert: options.tls.cert, keepAlive: true }, handler)
      : http.createServer({ keepAlive: true }, handler)
    this.server.keepAliveTimeout = 30_000
    // `Expect: 202-accepted` asks the engine not to wait; without a listener Node answers 417 to
    // any Expect other than 100-continue.
    this.server.on("checkExpectation", handler)
    const track = (socket: Socket) => {
      this.sockets.add(socket)
      socket.once("close", () => this.sockets.delete(socket))
    }
    this.server.on(options.tls ? "secureConnection" : "connection", track)
  }

  /** The API root URL, once listening. */
  get url(): string {
    if (this.url_ === undefined) throw new Error("the simulator is not listening")
    return this.url_
  }

  /** Open client connections right now. */
  get openConnections(): number {
    return this.sockets.size
  }

  listen(): Promise<string> {
    return new Promise((resolve, reject) => {
      this.server.once("error", reject)
      this.server.listen(this.options.port, this.options.host, () => {
        this.server.off("error", reject)
        const { port } = this.server.address() as AddressInfo
        const host = this.options.host.includes(":") ? `[${this.options.host}]` : this.options.host
        this.url_ = `${this.options.tls ? "https" : "http"}://${host}:${port}${API_PREFIX}`
        resolve(this.url_)
      })
    })
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      if (!this.server.listening) return resolve()
      this.server.close(() => resolve())
      this.server.closeAllConnections()
      for (const s of this.sockets) s.destroy()
    })
  }

  private async serve(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://simulator")
    const method = req.method ?? "GET"
    const body = await readBody(req)
    if (this.knobs.latencyMs > 0) await sleep(this.knobs.latencyMs)
    const path = url.pathname
    if (path === "/ovirt-engine/sso/oauth/token") {
      const form = new URLSearchParams(body || url.search)
      const answer = this.sso.token(form, req.headers.accept)
      this.log(method, path, answer.status)
      return this.send(req, res, answer.status, "application/json", JSON.stringify(answer.json))
    }
    if (path === "/ovirt-engine/services/sso-logout") {
      const form = new URLSearchParams(body || url.search)
      const token = form.get("token") ?? bearer(req)
      if (token) this.sso.revoke(token)
      this.log(method, path, 200)
      return this.send(req, res, 200, "application/json", "{}")
    }
    const portal = this.portal(path, url.searchParams)
    if (portal !== undefined) {
      this.log(method, path, portal.status)
      for (const [k, v] of Object.entries(portal.headers ?? {})) res.setHeader(k, v)
      return this.send(req, res, portal.status, portal.type, portal.body)
    }
    const apiPath = path === API_PREFIX ? "" : path.startsWith(`${API_PREFIX}/`) ? path.slice(API_PREFIX.length + 1) : undefined
    if (apiPath === undefined) {
      this.log(method, path, 404)
      return this.send(req, res, 404, "text/html", "<html><body>Not Found</body></html>")
    }
    this.requests++
    if (this.knobs.dropRate > 0 && this.faultRandom.next() < this.knobs.dropRate) {
      this.log(method, path, 0)
      req.socket.destroy()
      return
    }
    if (!this.authorized(req)) {
      this.log(method, path, 401)
      // The engine's EnforceAuthFilter offers its one configured scheme (restapi web.xml).
      res.setHeader("WWW-Authenticate", 'Basic realm="RESTAPI"')
      return this.send(req, res, 401, "text/html;charset=utf-8", UNAUTHORIZED_HTML)
    }
    const version = req.headers["version"]
    if (version !== undefined && version !== "4") {
      const fault = new HttpFault(400, "Bad Request", `API version ${String(version)} is not supported; this engine speaks version 4`)
      this.log(method, path, 400)
      return this.send(req, res, 400, "application/xml", fault.xml())
    }
    const relative = apiPath.startsWith("v4/") ? apiPath.slice(3) : apiPath === "v4" ? "" : apiPath
    const failure = this.failureFor(relative)
    if (failure !== undefined) {
      const fault = new HttpFault(failure, "Service Unavailable", `Simulated failure (fault knob) for /${relative}`)
      this.log(method, path, failure)
      return this.send(req, res, failure, "application/xml", fault.xml())
    }
    const answer = this.engine.handle({ method, path: relative, query: url.searchParams, headers: req.headers as Record<string, string | undefined>, body })
    this.log(method, `${path}${url.search}`, answer.status)
    return this.send(req, res, answer.status, "application/xml;charset=UTF-8", answer.body)
  }

  /** The engine's pages outside the API (Portal.ts), if the path is one. */
  private portal(path: string, query: URLSearchParams): PortalAnswer | undefined {
    if (path === "/ovirt-engine") return contextRedirect()
    if (path === "/ovirt-engine/") return welcomePage("4.6.1-simulator")
    if (path === "/ovirt-engine/services/pki-resource") {
      const tls = this.options.tls
      return pkiResource(query, tls === undefined ? undefined : { ca: tls.ca ?? tls.cert, engine: tls.cert })
    }
    return undefined
  }

  private authorized(req: http.IncomingMessage): boolean {
    const header = req.headers.authorization ?? ""
    if (header.startsWith("Bearer ")) return this.sso.valid(header.slice(7).trim())
    if (header.startsWith("Basic ")) return this.sso.basic(header.slice(6).trim())
    return false
  }

  private failureFor(path: string): number | undefined {
    for (const rule of this.knobs.failures) {
      const hit =
        rule.path instanceof RegExp ? rule.path.test(path) : rule.path === "*" || path === rule.path || path.startsWith(`${rule.path}/`)
      if (hit && this.faultRandom.next() < rule.rate) return rule.status ?? 503
    }
    return undefined
  }

  private log(method: string, path: string, status: number): void {
    this.options.log?.(`${method} ${path} -> ${status === 0 ? "dropped" : status}`)
  }

  private async send(req: http.IncomingMessage, res: http.ServerResponse, status: number, type: string, text: string): Promise<void> {
    let payload: Buffer = Buffer.from(text, "utf8")
    const headers: Record<string, string> = { "Content-Type": type }
    if (payload.length > 0 && /\bgzip\b/.test(String(req.headers["accept-encoding"] ?? ""))) {
      payload = zlib.gzipSync(payload, { level: 1 })
      headers["Content-Encoding"] = "gzip"
    }
    if (req.method === "HEAD") payload = Buffer.alloc(0)
    headers["Content-Length"] = String(payload.length)
    res.writeHead(status, headers)
    const pause = this.knobs.slowBodyMs
    if (pause <= 0 || payload.length === 0) {
      res.end(payload)
      return
    }
    const piece = Math.max(64, Math.ceil(payload.length / 20))
    for (let offset = 0; offset < payload.length; offset += piece) {
      if (res.destroyed) return
      res.write(payload.subarray(offset, offset + piece))
      await sleep(pause)
    }
    res.end()
  }
}

const bearer = (req: http.IncomingMessage): string | undefined => {
  const h = req.headers.authorization
  return h?.startsWith("Bearer ") ? h.slice(7).trim() : undefined
}

const readBody = (req: http.IncomingMessage): Promise<string> =>
  new Promise((resolve, reject) => {
    const chunks: Array<Buffer> = []
    req.on("data", (c: Buffer) => chunks.push(c))
    req.on("error", reject)
    req.on("end", () => {
      let data = Buffer.concat(chunks)
      try {
        if (req.headers["content-encoding"] === "gzip" && data.length > 0) data = zlib.gunzipSync(data)
      } catch (e) {
        return reject(e)
      }
      resolve(data.toString("utf8"))
    })
  })
