/**
 * What bench/http.ts and bench/profile-http.ts both run: a server in its own process answering every GET
 * with the same realistic VM (about 11 KB of XML), and, on one pool of 32 sockets, the contenders
 *   - undici `request` (the raw client) reading the body as text;
 *   - the same plus `Xml.decodeAs(Types.Vm)` (what the SDK must do at least);
 *   - `Connection.send` (the SDK's transport: headers, token, timeout, retries, spans, error mapping);
 *   - `system.vms.vm(id).get()` (the whole service call, decoded to a `Types.Vm`).
 */
import { spawn } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { Effect, ManagedRuntime, RuntimeFlags, RuntimeFlagsPatch, Supervisor } from "effect"
import { Agent, request } from "undici"
import * as Connection from "../src/services/Connection.js"
import * as Xml from "../src/types/Xml.js"
import { system } from "../src/services/index.js"
import { makeCertificates } from "../src/simulator/Certificates.js"
import * as Types from "../src/types/index.js"
import { vmsXml, XML_HEAD, XML_TAIL } from "./vmsDocument.js"

/** Sockets of each pool (the raw one and the SDK's). */
export const SOCKETS = 32

/** Runs `count` requests with `concurrency` in flight; resolves with the milliseconds it took. */
export type Run = (count: number, concurrency: number) => Promise<number>

export interface Contender {
  /** Short name for `--only` (profile-http). */
  readonly id: "raw" | "decode" | "send" | "get"
  readonly name: string
  readonly run: Run
  /** An SDK contender's call, for `steps`. */
  readonly call?: Effect.Effect<unknown, unknown, Connection.Connection>
}

export interface HttpBench {
  /** Bytes of the answer. */
  readonly size: number
  readonly contenders: ReadonlyArray<Contender>
  /**
   * How many steps the Effect runtime takes for one call of an SDK contender (every operation a fiber
   * evaluates, counted by a Supervisor): unlike time, the same on a busy machine as on a quiet one.
   */
  readonly steps: (contender: Contender) => Promise<number | undefined>
  readonly close: () => Promise<void>
}

/** Counts the operations the fibers it supervises evaluate (with the OpSupervision runtime flag on). */
class StepCounter extends Supervisor.AbstractSupervisor<void> {
  count = 0
  get value(): Effect.Effect<void> {
    return Effect.void
  }
  override onEffect(): void {
    this.count++
  }
}

export interface HttpBenchOptions {
  /** The connection's `timeout` (none by default, the option's default). */
  readonly timeout?: Connection.DurationWithUnit
}

/** One VM as the engine answers `GET /vms/{id}?all_content=true`. */
const vmDocument = (): string => {
  const doc = vmsXml(1)
  return '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n' + doc.slice(XML_HEAD.length, doc.length - XML_TAIL.length)
}

const startServer = async (dir: string): Promise<{ readonly port: number; readonly stop: () => void }> => {
  const child = spawn(process.execPath, [fileURLToPath(new URL("httpServer.mjs", import.meta.url)), dir], {
    stdio: ["ignore", "pipe", "inherit"]
  })
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout.once("data", (data: Buffer) => resolve(Number(data.toString().trim())))
    child.once("exit", (code) => reject(new Error(`the benchmark server exited (${code})`)))
  })
  return { port, stop: () => child.kill("SIGTERM") }
}

/** Runs `one` `count` times with `concurrency` in flight; milliseconds. */
const pool = async (count: number, concurrency: number, one: () => Promise<unknown>): Promise<number> => {
  let next = 0
  const started = performance.now()
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next++ < count) await one()
  }))
  return performance.now() - started
}

/** Starts the server and the pools; `close` stops them and removes the temporary files. */
export const start = async (options: HttpBenchOptions = {}): Promise<HttpBench> => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "effect-ovirt-bench-"))
  const certificates = makeCertificates()
  const body = vmDocument()
  fs.writeFileSync(path.join(dir, "key.pem"), certificates.keyPem)
  fs.writeFileSync(path.join(dir, "cert.pem"), certificates.certPem)
  fs.writeFileSync(path.join(dir, "body.xml"), body)
  const server = await startServer(dir)
  // a bench that ends early (an error, its output piped to `head`) leaves no server or files behind
  const cleanUp = () => {
    server.stop()
    fs.rmSync(dir, { recursive: true, force: true })
  }
  process.once("exit", cleanUp)
  const apiUrl = `https://127.0.0.1:${server.port}/ovirt-engine/api`
  const agent = new Agent({ connections: SOCKETS, connect: { ca: certificates.caPem } })
  const runtime = ManagedRuntime.make(Connection.layer({
    url: apiUrl,
    token: "bench-token",
    caCerts: certificates.caPem,
    connections: SOCKETS,
    compress: false,
    ...(options.timeout === undefined ? {} : { timeout: options.timeout })
  }))
  const decode = Xml.decodeAs(Types.Vm)
  const raw = async (): Promise<string> => {
    const answer = await request(`${apiUrl}/vms/123`, {
      dispatcher: agent,
      headers: { accept: "application/xml", version: "4", authorization: "Bearer bench-token" }
    })
    if (answer.statusCode !== 200) throw new Error(`status ${answer.statusCode}`)
    return answer.body.text()
  }
  /**
   * The SDK's calls run as Effect programs do: many fibers in one runtime, `concurrency` at a time.
   * Each result is dropped as soon as the call ends, as the raw contenders' are: `Effect.forEach`
   * keeps the exit of every item until the whole batch ends (even with `discard`), which would hold
   * all the answers alive and bill the SDK for the garbage collector's work on them.
   */
  const inEffect = (one: Effect.Effect<unknown, unknown, Connection.Connection>): Run => {
    const dropped = Effect.asVoid(one)
    return (count, concurrency) => {
      const started = performance.now()
      return runtime.runPromise(Effect.forEach(Array.from({ length: count }), () => dropped, { concurrency, discard: true }))
        .then(() => performance.now() - started)
    }
  }
  const sdk = (id: Contender["id"], name: string, call: Effect.Effect<unknown, unknown, Connection.Connection>): Contender => ({
    id,
    name,
    run: inEffect(call),
    call
  })
  const contenders: ReadonlyArray<Contender> = [
    { id: "raw", name: "undici request (raw)", run: (count, concurrency) => pool(count, concurrency, raw) },
    {
      id: "decode",
      name: "undici + Xml.decodeAs(Vm)",
      run: (count, concurrency) => pool(count, concurrency, async () => Effect.runSync(decode(await raw())))
    },
    sdk("send", "Connection.send", Connection.Connection.pipe(Effect.flatMap((c) => c.send({ method: "GET", path: "vms/123" })))),
    sdk("get", "system.vms.vm(id).get()", system.vms.vm("123").get())
  ]
  return {
    size: Buffer.byteLength(body),
    contenders,
    steps: async ({ call }) => {
      if (call === undefined) return undefined
      await runtime.runPromise(call) // the first call loads the service's module and logs in
      const counter = new StepCounter()
      await runtime.runPromise(call.pipe(
        Effect.supervised(counter),
        Effect.withRuntimeFlagsPatch(RuntimeFlagsPatch.enable(RuntimeFlags.OpSupervision))
      ))
      return counter.count
    },
    close: async () => {
      await runtime.dispose()
      await agent.close()
      process.off("exit", cleanUp)
      cleanUp()
    }
  }
}

/** CPU time of this process (user + system) in µs while `run` ran, and its result. */
export const withCpu = async <A>(run: () => Promise<A>): Promise<readonly [A, number]> => {
  const before = process.cpuUsage()
  const result = await run()
  const used = process.cpuUsage(before)
  return [result, used.user + used.system]
}
