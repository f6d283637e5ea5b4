/**
 * The simulator's HTTPS server on loopback: SSO endpoints, the API under `/ovirt-engine/api`
 * (bearer token or basic credentials, `Version: 4`), HTTP/1.1 keep-alive, gzip when asked, and
 * the fault knobs (latency, failures per path, dropped connections, slow bodies) in front.
 */
import type * as http from "node:http"
import * as zlib from "node:zlib"
import { makeHooks, type Timing } from "./behaviour/Behaviour.js"
import { Engine } from "./Engine.js"
import { API_PREFIX } from "./Targets.js"
import { HttpFault } from "./Faults.js"
import { ImageIo } from "./imageio/ImageIo.js"
import type { ImageioKnobs } from "./imageio/Knobs.js"
import { withImageTransfers } from "./imageio/Transfers.js"
import { model } from "./Model.js"
import { Listener } from "./Listener.js"
import { contextRedirect, type PortalAnswer, pkiResource, welcomePage } from "./Portal.js"
import { seed } from "./Seed.js"
import { Sso, type SsoErrorShape } from "./Sso.js"
import { readBounded, splitTarget } from "./Requests.js"
import { send as sendAnswer, sleep } from "./Reply.js"
import { failureFor, type Knobs } from "./Knobs.js"
import { Random, Store } from "./Store.js"

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
  /**
   * The largest request body accepted, in bytes, both as sent and after gzip is undone; a larger one
   * gets a 413 `<fault>` (default `DEFAULT_MAX_REQUEST_BYTES`).
   */
  readonly maxRequestBytes?: number
  /** The clock simulated operations run on (ms); default `Date.now`. */
  readonly clock?: () => number
  /** Initial fault knobs of the imageio data plane. */
  readonly imageioKnobs?: Partial<ImageioKnobs>
}

/**
 * 10 MiB: the engine's WildFly refuses larger request bodies by default (Undertow's `max-post-size`
 * of 10485760 bytes); no call of the API sends anything near it.
 */
export const DEFAULT_MAX_REQUEST_BYTES = 10 * 1024 * 1024

const UNAUTHORIZED_HTML =
  "<html><head><title>Error</title></head><body>Unauthorized: the request needs a valid SSO token (Authorization: Bearer ...).</body></html>"

export class SimulatorServer {
  readonly store: Store
  readonly engine: Engine
  readonly sso: Sso
  /** The data plane: disk contents, transfer tickets, the imageio daemon and proxy endpoints. */
  readonly imageio: ImageIo
  timing: Timing
  readonly knobs: Knobs
  /** API requests answered so far (drops included). */
  requests = 0
  /** The most request-body bytes held in memory at once for one request (as sent plus inflated). */
  bodyBytesPeak = 0
  /** Requests refused with 413 for a body over `maxRequestBytes`. */
  tooLarge = 0
  /** Requests that failed inside the simulator (answered 500). */
  internalErrors = 0
  readonly maxRequestBytes: number
  private readonly listener: Listener
  private readonly faultRandom: Random
  private url_: string | undefined

  constructor(private readonly options: ServerOptions) {
    this.store = new Store(options.seed, options.clock)
    this.faultRandom = new Random(`${options.seed}/faults`)
    this.engine = new Engine(model(), this.store)
    this.timing = options.timing
    this.imageio = new ImageIo({ host: options.host, now: this.store.now, ...(options.tls ? { tls: options.tls } : {}), ...(options.imageioKnobs ? { knobs: options.imageioKnobs } : {}) })
    this.engine.hooks = withImageTransfers(makeHooks(this.engine, () => this.timing), this.engine, this.imageio, () => this.timing)
    seed(this.store, options.vms === undefined ? {} : { vms: options.vms })
    this.sso = new Sso(options.username, options.password, options.tokenLifetimeSeconds, options.ssoErrorShape, Date.now)
    this.knobs = options.knobs
    this.maxRequestBytes = options.maxRequestBytes ?? DEFAULT_MAX_REQUEST_BYTES
    const handler = (req: http.IncomingMessage, res: http.ServerResponse) => {
      // Nothing a request does may end the process: any failure is a 500 <fault> and a line on stderr.
      this.serve(req, res).catch((e: unknown) => this.internalError(req, res, e))
    }
    this.listener = new Listener({ handler, trackOn: options.tls ? "secureConnection" : "connection", ...(options.tls ? { tls: options.tls } : {}) })
    // `Expect: 202-accepted` asks the engine not to wait; without a listener Node answers 417 to
    // any Expect other than 100-continue.
    this.listener.server.on("checkExpectation", handler)
  }

  /** The API root URL, once listening. */
  get url(): string {
    if (this.url_ === undefined) throw new Error("the simulator is not listening")
    return this.url_
  }

  /** Open client connections right now. */
  get openConnections(): number {
    return this.listener.openConnections
  }

  async listen(): Promise<string> {
    await this.imageio.listen()
    try {
      this.url_ = `${await this.listener.listen(this.options.port, this.options.host)}${API_PREFIX}`
      return this.url_
    } catch (e) {
      // the API's port may be taken: the imageio endpoints already listening must not stay open
      await this.imageio.close().catch(() => undefined)
      throw e
    }
  }

  async close(): Promise<void> {
    await this.imageio.close()
    await this.listener.close()
  }

  private async serve(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const method = req.method ?? "GET"
    // The path as sent: `new URL` would resolve `..` and `.` segments (and their %2e forms) and so
    // turn `vms/{id}/nics/..` into a request for the VM. The engine's REST layer matches the path as
    // sent instead; the segments are resolved one by one below.
    const { path, search } = splitTarget(req.url ?? "/")
    const query = new URLSearchParams(search)
    if (this.knobs.latencyMs > 0) await sleep(this.knobs.latencyMs)
    if (path === "/ovirt-engine/sso/oauth/token" || path === "/ovirt-engine/services/sso-logout") {
      return this.serveSso(req, res, method, path, search)
    }
    const portal = this.portal(path, query)
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
    // Credentials first: an unauthenticated request never gets its body read into memory.
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
    const failure = failureFor(this.knobs, this.faultRandom, relative)
    if (failure !== undefined) {
      const fault = new HttpFault(failure, "Service Unavailable", `Simulated failure (fault knob) for /${relative}`)
      this.log(method, path, failure)
      return this.send(req, res, failure, "application/xml", fault.xml())
    }
    const body = await this.readBody(req, res, method, path)
    if (body === undefined) return
    const answer = this.engine.handle({ method, path: relative, query, headers: req.headers as Record<string, string | undefined>, body })
    this.log(method, `${path}${search}`, answer.status)
    return this.send(req, res, answer.status, "application/xml;charset=UTF-8", answer.body)
  }

  /** The SSO endpoints: a token for the form's credentials, or its revocation (logout). */
  private async serveSso(req: http.IncomingMessage, res: http.ServerResponse, method: string, path: string, search: string): Promise<void> {
    const body = await this.readBody(req, res, method, path)
    if (body === undefined) return
    const form = new URLSearchParams(body || search)
    if (path.endsWith("/token")) {
      const answer = this.sso.token(form, req.headers.accept)
      this.log(method, path, answer.status)
      return this.send(req, res, answer.status, "application/json", JSON.stringify(answer.json))
    }
    const token = form.get("token") ?? bearer(req)
    if (token) this.sso.revoke(token)
    this.log(method, path, 200)
    return this.send(req, res, 200, "application/json", "{}")
  }

  /**
   * The request body as text, at most `maxRequestBytes` as sent and after gzip is undone; a larger
   * one is answered 413 here (and `undefined` returned), a gzip body that cannot be read 400.
   */
  private async readBody(req: http.IncomingMessage, res: http.ServerResponse, method: string, path: string): Promise<string | undefined> {
    const limit = this.maxRequestBytes
    const refuse = (status: number, reason: string, detail: string): undefined => {
      if (status === 413) this.tooLarge++
      this.log(method, path, status)
      void this.send(req, res, status, "application/xml", new HttpFault(status, reason, detail).xml())
      return undefined
    }
    const tooLarge = () => refuse(413, "Request Entity Too Large", `The request body is larger than the ${limit} bytes this engine accepts`)
    const declared = Number(req.headers["content-length"] ?? 0)
    if (declared > limit) return tooLarge()
    const read = await readBounded(req, limit)
    if (read === "aborted") {
      this.log(method, path, 0)
      return undefined
    }
    if (read === "too large") return tooLarge()
    this.bodyBytesPeak = Math.max(this.bodyBytesPeak, read.length)
    let data = read
    const encoding = String(req.headers["content-encoding"] ?? "identity").trim().toLowerCase()
    if (encoding === "gzip" && data.length > 0) {
      try {
        // maxOutputLength stops inflating at the bound: a small body cannot grow to gigabytes here.
        data = zlib.gunzipSync(data, { maxOutputLength: limit })
      } catch (e) {
        if ((e as { code?: unknown }).code === "ERR_BUFFER_TOO_LARGE") return tooLarge()
        return refuse(400, "Bad Request", "The request body is not valid gzip")
      }
      this.bodyBytesPeak = Math.max(this.bodyBytesPeak, read.length + data.length)
    }
    return data.toString("utf8")
  }

  private internalError(req: http.IncomingMessage, res: http.ServerResponse, e: unknown): void {
    this.internalErrors++
    const line = `effect-ovirt-simulator: internal error on ${req.method ?? "?"} ${splitTarget(req.url ?? "/").path}: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`
    process.stderr.write(`${line}\n`)
    this.options.log?.(line)
    if (res.headersSent) {
      res.destroy()
      return
    }
    void this.send(req, res, 500, "application/xml", new HttpFault(500, "Internal Server Error", "The simulator failed to answer this request").xml()).catch(() => res.destroy())
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

  /** Sends an answer with the slow-body knob as it is now (Reply.ts). */
  private send(req: http.IncomingMessage, res: http.ServerResponse, status: number, type: string, text: string): Promise<void> {
    return sendAnswer(req, res, { slowBodyMs: this.knobs.slowBodyMs, maxRequestBytes: this.maxRequestBytes }, status, type, text)
  }

  private log(method: string, path: string, status: number): void {
    this.options.log?.(`${method} ${path} -> ${status === 0 ? "dropped" : status}`)
  }

}

const bearer = (req: http.IncomingMessage): string | undefined => {
  const h = req.headers.authorization
  return h?.startsWith("Bearer ") ? h.slice(7).trim() : undefined
}
