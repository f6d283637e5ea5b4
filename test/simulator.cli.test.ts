/**
 * The `effect-ovirt-simulator` command as a user runs it: one JSON line on stdout when ready, the
 * SDK connects with what it says (CA file included), SIGUSR1 expires tokens, SIGTERM exits 0.
 */
import { type ChildProcess, spawn } from "node:child_process"
import * as fs from "node:fs"
import { fileURLToPath } from "node:url"
import { Effect } from "effect"
import { describe, expect, it } from "vitest"
import { Connection, system } from "../src/index.js"

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

describe("effect-ovirt-simulator CLI", () => {
  it("prints one JSON line, serves the SDK over HTTPS with its CA file, and exits 0 on SIGTERM", async () => {
    const cli = await startCli(["--port", "0", "--seed", "cli", "--vms", "50", "--token-lifetime", "600"])
    try {
      expect(Object.keys(cli.info).sort()).toEqual(["caFile", "password", "url", "username"])
      expect(cli.info.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+\/ovirt-engine\/api$/)
      expect(fs.readFileSync(cli.info.caFile, "utf8")).toContain("BEGIN CERTIFICATE")
      const layer = Connection.layer({ url: cli.info.url, username: cli.info.username, password: cli.info.password, caFile: cli.info.caFile })
      const counts = await Effect.runPromise(
        Effect.gen(function* () {
          const before = (yield* system.vms.list()).length
          cli.child.kill("SIGUSR1") // every token expires; the SDK logs in again
          yield* Effect.sleep("300 millis")
          const after = (yield* system.vms.list({ search: "name=web*" })).length
          return { before, after }
        }).pipe(Effect.provide(layer))
      )
      expect(counts.before).toBe(50)
      expect(counts.after).toBeGreaterThan(0)
    } finally {
      cli.child.kill("SIGTERM")
    }
    expect(await cli.exit).toBe(0)
    expect(cli.stdout().trim().split("\n")).toHaveLength(1)
    expect(cli.stderr()).toContain("every SSO token expired")
    expect(fs.existsSync(cli.info.caFile)).toBe(false)
  })

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
    const cli = await startCli(["--fail-rate", "1", "--fail-path", "vms"])
    cli.child.kill("SIGINT")
    expect(await cli.exit).toBe(0)
  })
})
