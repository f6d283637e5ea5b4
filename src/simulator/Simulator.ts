/**
 * The simulator's entry points: `start` (a Promise, for the CLI and any non-Effect code) and `make`
 * (scoped Effect giving the url, CA, credentials and a handle to state and knobs). `layer`, the
 * `Connection` to a fresh simulator, is in src/testing: the simulator never imports the client.
 */
import * as crypto from "node:crypto"
import * as fs from "node:fs"
import * as os from "node:os"
import * as nodePath from "node:path"
import type { Scope } from "effect"
import { Context, Data, Effect, Redacted } from "effect"
import { defaultTiming, type Timing } from "./behaviour/Behaviour.js"
import { makeCertificates } from "./Certificates.js"
import type { Engine } from "./Engine.js"
import type { ImageioKnobs, ImageioStats } from "./imageio/Knobs.js"
import { defaultKnobs, type Knobs } from "./Knobs.js"
import { SimulatorServer } from "./Server.js"
import type { Sso, SsoErrorShape } from "./Sso.js"
import type { Obj, Store } from "./Store.js"

export type { FailureRule, Knobs } from "./Knobs.js"
export type { Timing } from "./behaviour/Behaviour.js"
export type { ImageioFailureRule, ImageioKnobs, ImageioStats } from "./imageio/Knobs.js"

export interface SimulatorOptions {
  /** Interface to listen on. Default `127.0.0.1`. */
  readonly host?: string
  /** Port; 0 (the default) picks a free one. */
  readonly port?: number
  /** Seed name: the same name gives the same inventory and ids. Default `demo`. */
  readonly seed?: string
  /** How many VMs to seed. Default 36. */
  readonly vms?: number
  /** Default `admin@internal`. */
  readonly username?: string
  /** Default: a random password made at start. */
  readonly password?: string
  /** SSO token lifetime in seconds. Default 3600. */
  readonly tokenLifetimeSeconds?: number
  /** JSON shape of SSO errors: the SSO servlet's `{error_code, error}` (default) or OAuth's `{error, error_description}`. */
  readonly ssoErrorShape?: SsoErrorShape
  /** How long simulated operations take (ms). */
  readonly timing?: Partial<Timing>
  /** Initial fault knobs. */
  readonly knobs?: Partial<Knobs>
  /** Initial fault knobs of the imageio data plane (image transfers). */
  readonly imageio?: Partial<ImageioKnobs>
  /**
   * The server certificate (PEM, leaf first, intermediates after it) to serve instead of one made at
   * start; `keyPem` must be given with it.
   */
  readonly certPem?: string
  /** The private key of `certPem` (PEM). */
  readonly keyPem?: Redacted.Redacted<string>
  /**
   * The CA certificate(s) clients should trust for `certPem` (PEM): what `caPem` and `caFile` give.
   * Default: `certPem` itself (right for a self-signed certificate).
   */
  readonly caPem?: string
  /** Serve plain HTTP instead of HTTPS (for debugging with curl without a CA). Default false. */
  readonly plainHttp?: boolean
  /** Receives one line per request. */
  readonly log?: (line: string) => void
  /**
   * The largest request body accepted, in bytes, as sent and after gzip is undone; a larger one is
   * answered 413 with a `<fault>`. Default 10 MiB, the engine's (WildFly's `max-post-size`).
   */
  readonly maxRequestBytes?: number
  /**
   * The clock simulated operations run on (ms since the epoch). Default `Date.now`; a test can give
   * one it moves itself, to step through transitions (VM start, locks) without waiting on real time.
   */
  readonly clock?: () => number
}

/** A running simulator: how to reach it, and its state and fault knobs. */
export interface Simulator {
  /** The API root: `https://127.0.0.1:PORT/ovirt-engine/api`. */
  readonly url: string
  /** The CA certificate that signed the server's certificate (PEM). */
  readonly caPem: string
  /** A file holding `caPem`, removed when the simulator stops. */
  readonly caFile: string
  readonly username: string
  readonly password: string
  /** The fault knobs; assign to them at any time (`sim.knobs.latencyMs = 50`). */
  readonly knobs: Knobs
  /** Expires every SSO token issued so far: the next call gets a 401 and must log in again. */
  readonly expireTokens: () => void
  /** Changes how long simulated operations take from now on. */
  readonly setTiming: (timing: Partial<Timing>) => void
  /** Finishes every pending state change now (VMs starting, disks locked, ...). */
  readonly settle: () => void
  /** The objects of a collection path (`vms`, `vms/<id>/nics`), live. */
  readonly objects: (path: string) => ReadonlyArray<Obj>
  /**
   * Puts an object straight into the collection at a path below the API root (`hosts/<id>/nics`),
   * without behaviour, for objects the API cannot create. Gives the stored object (with its id).
   */
  readonly insert: (path: string, obj: Obj) => Obj
  /**
   * Counters: API requests seen, open connections, tokens issued / revoked / valid, the most body
   * bytes held for one request (as sent plus inflated), bodies refused as too large, requests that
   * failed inside the simulator (answered 500).
   */
  readonly stats: () => {
    readonly requests: number
    readonly openConnections: number
    readonly bodyBytesPeak: number
    readonly tooLarge: number
    readonly internalErrors: number
    readonly tokensIssued: number
    readonly tokensRevoked: number
    readonly tokensActive: number
  }
  /**
   * The imageio data plane of image transfers: its fault knobs (`daemonDown`, `slowMs`, `failures`,
   * `legacy`, `maxWriters`, `transferFailure`, ...), request counters, and `expireTickets()`.
   */
  readonly imageio: { readonly knobs: ImageioKnobs; readonly stats: ImageioStats; readonly expireTickets: () => void }
  /** The internals, for tests that need more. */
  readonly state: { readonly store: Store; readonly engine: Engine; readonly sso: Sso }
}

export interface RunningSimulator extends Simulator {
  readonly close: () => Promise<void>
}

/** CA directories of running simulators, removed at process exit if a simulator was never closed. */
const openDirs = new Set<string>()
let exitHookInstalled = false
const removeDir = (dir: string) => {
  fs.rmSync(dir, { recursive: true, force: true })
  openDirs.delete(dir)
}
const trackDir = (dir: string) => {
  openDirs.add(dir)
  if (!exitHookInstalled) {
    exitHookInstalled = true
    process.once("exit", () => openDirs.forEach(removeDir))
  }
}

/** The certificates to serve: the ones given, or a CA and server certificate made now. */
const tlsOf = (options: SimulatorOptions, host: string): { readonly caPem: string; readonly certPem: string; readonly keyPem: string } | undefined => {
  const given = options.certPem !== undefined || options.keyPem !== undefined || options.caPem !== undefined
  if (options.plainHttp) {
    if (given) throw new Error("plainHttp serves no certificate: certPem, keyPem and caPem cannot be given with it")
    return undefined
  }
  if (!given) return makeCertificates({ hosts: Array.from(new Set([host, "localhost", "127.0.0.1", "::1"])) })
  if (options.certPem === undefined || options.keyPem === undefined) throw new Error("certPem and keyPem are given together")
  return { certPem: options.certPem, keyPem: Redacted.value(options.keyPem), caPem: options.caPem ?? options.certPem }
}

/** Starts a simulator; `close()` stops it and removes its CA file. */
export const start = async (options: SimulatorOptions = {}): Promise<RunningSimulator> => {
  const host = options.host ?? "127.0.0.1"
  const max = options.maxRequestBytes
  if (max !== undefined && !(Number.isInteger(max) && max >= 1)) throw new Error(`maxRequestBytes is a whole number of bytes from 1, got ${max}`)
  const certificates = tlsOf(options, host)
  const username = options.username ?? "admin@internal"
  const password = options.password ?? crypto.randomBytes(12).toString("base64url")
  const server = new SimulatorServer({
    host,
    port: options.port ?? 0,
    seed: options.seed ?? "demo",
    ...(options.vms === undefined ? {} : { vms: options.vms }),
    username,
    password,
    tokenLifetimeSeconds: options.tokenLifetimeSeconds ?? 3600,
    ssoErrorShape: options.ssoErrorShape ?? "sso",
    timing: { ...defaultTiming, ...options.timing },
    knobs: { ...defaultKnobs(), ...options.knobs },
    ...(certificates ? { tls: { key: certificates.keyPem, cert: certificates.certPem, ca: certificates.caPem } } : {}),
    ...(options.log ? { log: options.log } : {}),
    ...(options.maxRequestBytes === undefined ? {} : { maxRequestBytes: options.maxRequestBytes }),
    ...(options.clock === undefined ? {} : { clock: options.clock }),
    ...(options.imageio ? { imageioKnobs: options.imageio } : {})
  })
  const url = await server.listen()
  const dir = fs.mkdtempSync(nodePath.join(os.tmpdir(), "effect-ovirt-simulator-"))
  trackDir(dir)
  const caFile = nodePath.join(dir, "ca.pem")
  const caPem = certificates?.caPem ?? ""
  fs.writeFileSync(caFile, caPem)
  return handleOf(server, { url, caPem, caFile, username, password }, dir)
}

/** The handle on a listening server: how to reach it, its state and knobs, and `close`. */
const handleOf = (
  server: SimulatorServer,
  access: Pick<Simulator, "url" | "caPem" | "caFile" | "username" | "password">,
  dir: string
): RunningSimulator => ({
  ...access,
  knobs: server.knobs,
  expireTokens: () => server.sso.expireAll(),
  setTiming: (timing) => {
    server.timing = { ...server.timing, ...timing }
  },
  settle: () => server.store.settle(),
  objects: (path) => {
    server.store.tick()
    return server.store.list(path)
  },
  insert: (path, obj) => server.engine.insert(path, obj),
  stats: () => ({
    requests: server.requests,
    openConnections: server.openConnections,
    bodyBytesPeak: server.bodyBytesPeak,
    tooLarge: server.tooLarge,
    internalErrors: server.internalErrors,
    tokensIssued: server.sso.issued,
    tokensRevoked: server.sso.revoked,
    tokensActive: server.sso.active()
  }),
  imageio: { knobs: server.imageio.knobs, stats: server.imageio.stats, expireTickets: () => server.imageio.tickets.expireAll() },
  state: { store: server.store, engine: server.engine, sso: server.sso },
  close: async () => {
    await server.close()
    removeDir(dir)
  }
})

/**
 * The simulator could not start: its port is in use (`reason: "EADDRINUSE"`), the address cannot be
 * bound, or the certificates given are unusable. A typed failure of `make` and `layer`, not a defect.
 */
export class SimulatorError extends Data.TaggedError("SimulatorError")<{
  readonly message: string
  /** The system error code when there is one (`EADDRINUSE`, `EACCES`, `EADDRNOTAVAIL`, ...). */
  readonly reason?: string
}> {}

const startError = (e: unknown): SimulatorError => {
  const code = (e as { code?: unknown } | null)?.code
  return new SimulatorError({
    message: `The simulator cannot start: ${e instanceof Error ? e.message : String(e)}`,
    ...(typeof code === "string" ? { reason: code } : {})
  })
}

/** The running simulator of a `layer` (src/testing), for tests that turn its knobs. */
export class SimulatorTag extends Context.Tag("effect-ovirt/Simulator")<SimulatorTag, Simulator>() {}

/** A simulator for the life of the scope. */
export const make = (options: SimulatorOptions = {}): Effect.Effect<Simulator, SimulatorError, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.tryPromise({ try: () => start(options), catch: startError }),
    (sim) => Effect.promise(() => sim.close())
  ).pipe(Effect.map((sim): Simulator => sim))
