/**
 * The `effect-ovirt-simulator` command as a user runs it: one JSON line on stdout when ready, the
 * SDK connects with what it says (CA file included), SIGUSR1 expires tokens, SIGTERM exits 0.
 */
import { type ChildProcess, spawn } from "node:child_process"
import * as fs from "node:fs"
import * as https from "node:https"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { X509Certificate } from "node:crypto"
import { Effect } from "effect"
import { describe, expect, it } from "@effect/vitest"
import { Connection, system } from "../src/index.js"
import { Simulator } from "../src/testing/index.js"
import { servedFingerprint } from "./support/tls.js"

const BIN = fileURLToPath(new URL("../bin/effect-ovirt-simulator.mjs", import.meta.url))

interface Started {
  readonly child: ChildProcess
  readonly info: { url: string; caFile: string; username: string; password: string }
  readonly stdout: () => string
  readonly stderr: () => string
  readonly exit: Promise<number | null>
}

const startCli = (args: ReadonlyArray<string>): Promise<Started> =>
  new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { stdio: ["ignore", "pipe", "pipe"] })
    let out = ""
    let err = ""
    const exit = new Promise<number | null>((r) => child.once("exit", (code) => r(code)))
    child.stderr!.on("data", (c: Buffer) => (err += c.toString()))
    child.stdout!.on("data", (c: Buffer) => {
      out += c.toString()
      const nl = out.indexOf("\n")
      if (nl >= 0) {
        try {
          resolve({ child, info: JSON.parse(out.slice(0, nl)) as Started["info"], stdout: () => out, stderr: () => err, exit })
        } catch (e) {
          reject(e as Error)
        }
      }
    })
    void exit.then((code) => reject(new Error(`exited with ${code} before ready: ${err}`)))
  })

/**
 * Runs the command to its end: for arguments it must refuse. Should it start after all (the JSON
 * line on stdout says it is ready), it is stopped then, and the assertion on the code fails.
 */
const runCli = (args: ReadonlyArray<string>): Promise<{ code: number | null; out: string; err: string }> =>
  new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { stdio: ["ignore", "pipe", "pipe"] })
    let out = ""
    let err = ""
    child.stdout.on("data", (c: Buffer) => {
      out += c.toString()
      if (out.includes("\n")) child.kill("SIGTERM")
    })
    child.stderr.on("data", (c: Buffer) => (err += c.toString()))
    child.once("exit", (code) => resolve({ code, out, err }))
  })

/** Resolves once `text` has appeared on the command's stderr (what it says when a signal was handled). */
const stderrShows = (cli: Started, text: string): Promise<void> =>
  new Promise((resolve) => {
    const check = () => {
      if (!cli.stderr().includes(text)) return false
      cli.child.stderr!.off("data", check)
      resolve()
      return true
    }
    if (!check()) cli.child.stderr!.on("data", check)
  })

/** A raw HTTPS request with the CLI's CA file: the status and body, as any client sees them. */
const request = (info: Started["info"], apiPath: string, init: { method?: string; headers?: Record<string, string>; body?: string } = {}) =>
  new Promise<{ status: number; body: string }>((resolve, reject) => {
    const url = new URL(apiPath, `${info.url}/`)
    const req = https.request(url, { method: init.method ?? "GET", headers: init.headers ?? {}, ca: fs.readFileSync(info.caFile), agent: false }, (res) => {
      let body = ""
      res.setEncoding("utf8")
      res.on("data", (c: string) => (body += c))
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }))
    })
    req.on("error", reject)
    req.end(init.body)
  })

const ssoToken = async (info: Started["info"]) => {
  const answer = await request(info, "/ovirt-engine/sso/oauth/token", {
    method: "POST",
    // The engine's SSO insists on exactly this Accept.
    headers: { "Content-Type": "application/x-www-form-urlencoded", Accept: "application/json" },
    body: new URLSearchParams({ grant_type: "password", scope: "ovirt-app-api", username: info.username, password: info.password }).toString()
  })
  return JSON.parse(answer.body) as { access_token: string; exp: string }
}

const stop = async (cli: Started) => {
  cli.child.kill("SIGTERM")
  return cli.exit
}

// Each command runs the sources through tsx: on a loaded 2-core machine one takes 20 s or more to
// start (measured at load 16: 18-26 s), so the budgets are a few times that, never a guess at an idle one.
describe("effect-ovirt-simulator CLI", { timeout: 180_000 }, () => {
  // a real process and real HTTPS: the live clock; the command is stopped however the checks end
  it.live("prints one JSON line, serves the SDK over HTTPS with its CA file, and exits 0 on SIGTERM", () =>
    Effect.gen(function* () {
      const cli = yield* Effect.promise(() => startCli(["--port", "0", "--seed", "cli", "--vms", "50", "--token-lifetime", "600"]))
      yield* Effect.gen(function* () {
        expect(Object.keys(cli.info).sort()).toEqual(["caFile", "password", "url", "username"])
        expect(cli.info.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+\/ovirt-engine\/api$/)
        expect(fs.readFileSync(cli.info.caFile, "utf8")).toContain("BEGIN CERTIFICATE")
        const layer = Connection.layer({ url: cli.info.url, username: cli.info.username, password: cli.info.password, caFile: cli.info.caFile })
        const counts = yield* Effect.gen(function* () {
          const before = (yield* system.vms.list()).length
          // Every token expires (once the command says so, not after a guessed pause); the SDK logs in again.
          const expired = stderrShows(cli, "every SSO token expired")
          cli.child.kill("SIGUSR1")
          yield* Effect.promise(() => expired)
          const after = (yield* system.vms.list({ search: "name=web*" })).length
          return { before, after }
        }).pipe(Effect.provide(layer))
        expect(counts.before).toBe(50)
        expect(counts.after).toBeGreaterThan(0)
      }).pipe(Effect.ensuring(Effect.sync(() => cli.child.kill("SIGTERM"))))
      expect(yield* Effect.promise(() => cli.exit)).toBe(0)
      expect(cli.stdout().trim().split("\n")).toHaveLength(1)
      expect(cli.stderr()).toContain("every SSO token expired")
      expect(fs.existsSync(cli.info.caFile)).toBe(false)
    }))

  it("documents the knobs in --help (on stderr) and exits 0 on SIGINT", async () => {
    const help = spawn(process.execPath, [BIN, "--help"], { stdio: ["ignore", "pipe", "pipe"] })
    let out = ""
    let err = ""
    help.stdout.on("data", (c: Buffer) => (out += c.toString()))
    help.stderr.on("data", (c: Buffer) => (err += c.toString()))
    const code = await new Promise<number | null>((r) => help.once("exit", r))
    expect(code).toBe(0)
    expect(out).toBe("")
    for (const flag of ["--port", "--host", "--seed", "--vms", "--token-lifetime", "--latency", "--fail-rate", "--drop-rate", "--slow-body"]) {
      expect(err).toContain(flag)
    }
    for (const flag of ["--fail-path", "--fail-status", "--cert", "--key", "--ca", "--max-request-bytes"]) expect(err).toContain(flag)
    const cli = await startCli(["--fail-rate", "1", "--fail-path", "vms"])
    cli.child.kill("SIGINT")
    expect(await cli.exit).toBe(0)
  })

  it("--fail-rate/--fail-path/--fail-status fail the requests below the path with that status, and only those", async () => {
    const cli = await startCli(["--fail-rate", "1", "--fail-path", "vms", "--fail-status", "502"])
    try {
      const auth = { Authorization: `Bearer ${(await ssoToken(cli.info)).access_token}` }
      const vms = await request(cli.info, "vms", { headers: auth })
      const vm = await request(cli.info, "vms/any-id", { headers: auth })
      const hosts = await request(cli.info, "hosts", { headers: auth })
      expect([vms.status, vm.status, hosts.status]).toEqual([502, 502, 200])
      expect(vms.body).toContain("<fault>")
      expect(hosts.body).toContain("<host ")
    } finally {
      expect(await stop(cli)).toBe(0)
    }
  })

  it("--token-lifetime sets how long SSO tokens live: expired ones get 401", async () => {
    const cli = await startCli(["--token-lifetime", "1"])
    try {
      const before = Date.now()
      const t = await ssoToken(cli.info)
      // `exp` is the expiry in ms since the epoch: one second from now.
      expect(Number(t.exp) - before).toBeGreaterThanOrEqual(900)
      expect(Number(t.exp) - Date.now()).toBeLessThanOrEqual(1000)
      const auth = { Authorization: `Bearer ${t.access_token}` }
      expect((await request(cli.info, "hosts", { headers: auth })).status).toBe(200)
      await new Promise((r) => setTimeout(r, Math.max(0, Number(t.exp) - Date.now()) + 100))
      expect((await request(cli.info, "hosts", { headers: auth })).status).toBe(401)
    } finally {
      expect(await stop(cli)).toBe(0)
    }
  })

  it("refuses what it cannot honour with exit 2 and a message", async () => {
    const cases: ReadonlyArray<readonly [ReadonlyArray<string>, string]> = [
      [["--fail-rate", "1", "--fail-status", "404"], "--fail-status is a 5xx status"],
      [["--fail-rate", "1", "--fail-status", "600"], "--fail-status is a 5xx status"],
      [["--fail-path", "vms"], "--fail-path needs --fail-rate"],
      [["--fail-status", "500"], "--fail-status needs --fail-rate"],
      [["--fail-rate", "2"], "--fail-rate is a share between 0 and 1"],
      [["--cert", "/nonexistent.pem"], "--cert and --key are given together"],
      [["--cert", "/nonexistent.pem", "--key", "/nonexistent.key"], "--cert: cannot read /nonexistent.pem"],
      [["--max-request-bytes", "0"], "--max-request-bytes is a whole number of bytes from 1"],
      [["--drop-rate", "1.5"], "--drop-rate is a share between 0 and 1"],
      [["--vms=-3"], "--vms needs a non-negative number"],
      [["--sso-error-shape", "xml"], "--sso-error-shape is sso or oauth"],
      [["--no-such-flag"], "Usage: effect-ovirt-simulator"]
    ]
    // One after another: a dozen node processes starting at once on a busy 2-core machine take
    // several seconds each, and nothing here is about concurrency.
    for (const [args, message] of cases) {
      const r = await runCli(args)
      expect({ args, code: r.code, out: r.out }).toEqual({ args, code: 2, out: "" })
      expect(r.err).toContain(message)
    }
  }, 900_000)

  it.live("--cert, --key and --ca serve the certificate given; caFile holds the CA given", () =>
    Effect.gen(function* () {
      const certs = Simulator.makeCertificates({ hosts: ["127.0.0.1", "localhost"] })
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "effect-ovirt-cli-certs-"))
      const file = (name: string, text: string) => {
        const f = path.join(dir, name)
        fs.writeFileSync(f, text)
        return f
      }
      const cli = yield* Effect.promise(() =>
        startCli(["--cert", file("cert.pem", certs.certPem), "--key", file("key.pem", certs.keyPem), "--ca", file("ca.pem", certs.caPem)])
      )
      yield* Effect.gen(function* () {
        expect(fs.readFileSync(cli.info.caFile, "utf8")).toBe(certs.caPem)
        expect(yield* Effect.promise(() => servedFingerprint(cli.info.url, certs.caPem))).toBe(new X509Certificate(certs.certPem).fingerprint256)
        const layer = Connection.layer({ url: cli.info.url, username: cli.info.username, password: cli.info.password, caFile: cli.info.caFile })
        expect((yield* system.hosts.list().pipe(Effect.provide(layer))).length).toBe(3)
      }).pipe(
        Effect.ensuring(
          Effect.gen(function* () {
            const code = yield* Effect.promise(() => stop(cli))
            fs.rmSync(dir, { recursive: true, force: true })
            expect(code).toBe(0)
          })
        )
      )
    }))
})
