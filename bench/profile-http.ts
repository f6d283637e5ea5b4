/**
 * Profiling driver for the HTTP path (not part of `npm run bench`): CPU time of this process per request
 * (user + system, steadier than wall time on a shared machine) for raw undici + decode, Connection.send
 * and a service call, `--in-flight N` at a time (32), two rounds after a warm-up. `--only NAME` runs one
 * of them, e.g. under a profiler:
 *   node --cpu-prof --import tsx bench/profile-http.ts --only get
 *   node --trace-gc --import tsx bench/profile-http.ts --only send
 * Usage: npx tsx bench/profile-http.ts [--requests N] [--in-flight N] [--only raw|send|get]
 */
import { spawn } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { Effect, ManagedRuntime } from "effect"
import { Agent, request } from "undici"
import * as Connection from "../src/services/Connection.js"
import * as Xml from "../src/types/Xml.js"
import { system } from "../src/services/index.js"
import { makeCertificates } from "../src/simulator/Certificates.js"
import * as Types from "../src/types/index.js"
import { vmsXml, XML_HEAD, XML_TAIL } from "./vmsDocument.js"

const args = process.argv.slice(2)
const arg = (name: string): string | undefined => {
  const at = args.indexOf(name)
  return at >= 0 ? args[at + 1] : undefined
}
const requests = Number(arg("--requests") ?? 6000)
const only = arg("--only")
const inFlight = Number(arg("--in-flight") ?? 32)

const doc = vmsXml(1)
const body = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n' + doc.slice(XML_HEAD.length, doc.length - XML_TAIL.length)
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "effect-ovirt-prof-"))
const certificates = makeCertificates()
fs.writeFileSync(path.join(dir, "key.pem"), certificates.keyPem)
fs.writeFileSync(path.join(dir, "cert.pem"), certificates.certPem)
fs.writeFileSync(path.join(dir, "body.xml"), body)
const child = spawn(process.execPath, [fileURLToPath(new URL("httpServer.mjs", import.meta.url)), dir], { stdio: ["ignore", "pipe", "inherit"] })
const port = await new Promise<number>((resolve) => child.stdout.once("data", (d: Buffer) => resolve(Number(d.toString().trim()))))
const apiUrl = `https://127.0.0.1:${port}/ovirt-engine/api`
const agent = new Agent({ connections: 32, connect: { ca: certificates.caPem } })
const runtime = ManagedRuntime.make(Connection.layer({ url: apiUrl, token: "bench-token", caCerts: certificates.caPem, connections: 32, compress: false }))
const decode = Xml.decodeAs(Types.Vm)

const raw = async (): Promise<unknown> => {
  const answer = await request(`${apiUrl}/vms/123`, { dispatcher: agent, headers: { accept: "application/xml", version: "4", authorization: "Bearer bench-token" } })
  return Effect.runSync(decode(await answer.body.text()))
}
const pool = async (count: number, one: () => Promise<unknown>): Promise<void> => {
  let next = 0
  await Promise.all(Array.from({ length: inFlight }, async () => {
    while (next++ < count) await one()
  }))
}
/** Each result dropped when its call ends (Effect.forEach keeps every item's exit until the batch ends). */
const sdk = (one: Effect.Effect<unknown, unknown, Connection.Connection>) => {
  const dropped = Effect.asVoid(one)
  return (count: number) => runtime.runPromise(Effect.forEach(Array.from({ length: count }), () => dropped, { concurrency: inFlight, discard: true }))
}
const contenders: Record<string, (count: number) => Promise<unknown>> = {
  raw: (count) => pool(count, raw),
  send: sdk(Connection.Connection.pipe(Effect.flatMap((c) => c.send({ method: "GET", path: "vms/123" })))),
  get: sdk(system.vms.vm("123").get())
}
try {
  const names = only === undefined ? Object.keys(contenders) : [only]
  for (const name of names) await contenders[name](1000)
  for (let round = 0; round < 2; round++) {
    for (const name of names) {
      const cpu = process.cpuUsage()
      const wall = performance.now()
      await contenders[name](requests)
      const used = process.cpuUsage(cpu)
      process.stdout.write(`${name.padEnd(5)} cpu ${((used.user + used.system) / requests).toFixed(0).padStart(5)} µs/request  wall ${((performance.now() - wall) * 1000 / requests).toFixed(0).padStart(5)} µs/request\n`)
    }
  }
} finally {
  await runtime.dispose()
  await agent.close()
  child.kill("SIGTERM")
  fs.rmSync(dir, { recursive: true, force: true })
}
