/**
 * A throwaway MIT Kerberos KDC on loopback for the Kerberos tests: a random realm in a temp dir, a user
 * with a ticket (kinit with its password on stdin) and a keytab for `HTTP/localhost`. The process's
 * KRB5_CONFIG, KRB5_KTNAME, KRB5CCNAME and KRB5RCACHEDIR point at it while the scope is open; closing
 * the scope restores them, stops the KDC and removes the dir.
 */
import { spawn } from "node:child_process"
import type { ChildProcess } from "node:child_process"
import * as crypto from "node:crypto"
import * as fs from "node:fs"
import * as net from "node:net"
import * as os from "node:os"
import * as path from "node:path"
import { Data, Effect } from "effect"
import type { Scope } from "effect"

export class KdcError extends Data.TaggedError("KdcError")<{ readonly message: string }> {}

export interface Kdc {
  readonly realm: string
  /** The TCP and UDP port on 127.0.0.1. */
  readonly port: number
  readonly dir: string
  /** The user holding a ticket, `alice@REALM`. */
  readonly userPrincipal: string
  /** The service the keytab is for, as a GSSAPI host-based name: `HTTP@localhost`. */
  readonly servicePrincipal: string
  /** The Kerberos environment variables set for this process (and to give child processes). */
  readonly env: Readonly<Record<string, string>>
}

const toolNames = ["krb5kdc", "kdb5_util", "kadmin.local", "kinit"] as const
type Tool = typeof toolNames[number]

const findTool = (name: string): string | undefined => {
  // The admin tools live in sbin, which a non-root PATH often lacks.
  const dirs = [...(process.env["PATH"] ?? "").split(path.delimiter), "/usr/sbin", "/usr/local/sbin", "/sbin"]
  for (const dir of dirs) {
    if (dir === "") continue
    const candidate = path.join(dir, name)
    try {
      fs.accessSync(candidate, fs.constants.X_OK)
      return candidate
    } catch {
      // not here
    }
  }
  return undefined
}

/** The MIT Kerberos programs this helper needs that are not installed (empty when all are). */
export const missingKdcTools = (): ReadonlyArray<string> => toolNames.filter((name) => findTool(name) === undefined)

interface RunResult {
  readonly code: number | null
  readonly output: string
}

const run = (command: string, args: ReadonlyArray<string>, env: NodeJS.ProcessEnv, input?: string): Promise<RunResult> =>
  new Promise((resolve, reject) => {
    const child = spawn(command, args, { env, stdio: ["pipe", "pipe", "pipe"] })
    let output = ""
    child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()))
    child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()))
    child.on("error", reject)
    child.on("close", (code) => resolve({ code, output }))
    child.stdin.end(input ?? "")
  })

const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const server = net.createServer()
    server.on("error", reject)
    server.listen(0, "127.0.0.1", () => {
      const address = server.address()
      const port = typeof address === "object" && address !== null ? address.port : 0
      server.close(() => resolve(port))
    })
  })

const canConnect = (port: number): Promise<boolean> =>
  new Promise((resolve) => {
    const socket = net.connect({ host: "127.0.0.1", port })
    socket.once("connect", () => {
      socket.destroy()
      resolve(true)
    })
    socket.once("error", () => resolve(false))
  })

const sleep = (millis: number) => new Promise((resolve) => setTimeout(resolve, millis))

const krb5Conf = (realm: string, port: number, dir: string) => `[libdefaults]
  default_realm = ${realm}
  dns_lookup_kdc = false
  dns_lookup_realm = false
  dns_canonicalize_hostname = false
  qualify_shortname = ""
  rdns = false
  udp_preference_limit = 1
  default_ccache_name = FILE:${dir}/ccache
  default_keytab_name = FILE:${dir}/http.keytab

[realms]
  ${realm} = {
    kdc = 127.0.0.1:${port}
  }

[domain_realm]
  localhost = ${realm}

[logging]
  kdc = FILE:${dir}/kdc.log
  default = FILE:${dir}/krb5.log
`

const kdcConf = (realm: string, port: number, dir: string) => `[kdcdefaults]
  kdc_listen = 127.0.0.1:${port}
  kdc_tcp_listen = 127.0.0.1:${port}

[realms]
  ${realm} = {
    database_name = ${dir}/principal
    key_stash_file = ${dir}/stash
    acl_file = ${dir}/kadm5.acl
    kdc_listen = 127.0.0.1:${port}
    kdc_tcp_listen = 127.0.0.1:${port}
    max_life = 1h
  }
`

const tail = (text: string) => text.trim().split("\n").slice(-8).join("\n")

interface Running {
  readonly kdc: Kdc
  readonly process: ChildProcess
}

const startIn = async (dir: string, tools: Record<Tool, string>): Promise<Running> => {
  const realm = `EFFECT-OVIRT-${crypto.randomBytes(3).toString("hex").toUpperCase()}.TEST`
  const port = await freePort()
  const userPrincipal = `alice@${realm}`
  const userPassword = crypto.randomBytes(18).toString("base64url")
  const masterPassword = crypto.randomBytes(18).toString("base64url")
  fs.writeFileSync(path.join(dir, "krb5.conf"), krb5Conf(realm, port, dir))
  fs.writeFileSync(path.join(dir, "kdc.conf"), kdcConf(realm, port, dir))
  fs.writeFileSync(path.join(dir, "kadm5.acl"), "")
  fs.mkdirSync(path.join(dir, "rcache"))
  const krbEnv = {
    KRB5_CONFIG: path.join(dir, "krb5.conf"),
    KRB5_KTNAME: `FILE:${path.join(dir, "http.keytab")}`,
    KRB5CCNAME: `FILE:${path.join(dir, "ccache")}`,
    KRB5RCACHEDIR: path.join(dir, "rcache")
  }
  const env = { ...process.env, ...krbEnv, KRB5_KDC_PROFILE: path.join(dir, "kdc.conf") }

  const step = async (what: string, command: string, args: ReadonlyArray<string>, input?: string) => {
    const result = await run(command, args, env, input)
    if (result.code !== 0) throw new Error(`${what} failed (exit ${result.code}):\n${tail(result.output)}`)
    return result.output
  }
  const kadmin = (query: string, input?: string) =>
    step(`kadmin.local ${query.split(" ")[0]}`, tools["kadmin.local"], ["-r", realm, "-q", query], input)
  const keytab = path.join(dir, "http.keytab")

  await step("kdb5_util create", tools.kdb5_util, ["-r", realm, "create", "-s", "-P", masterPassword])
  // The user's password goes through stdin (kadmin asks twice), never on a command line.
  await kadmin(`addprinc ${userPrincipal}`, `${userPassword}\n${userPassword}\n`)
  await kadmin(`addprinc -randkey HTTP/localhost@${realm}`)
  await kadmin(`ktadd -k ${keytab} HTTP/localhost@${realm}`)
  if (!fs.existsSync(keytab)) throw new Error("kadmin.local ktadd wrote no keytab")

  // krb5kdc runs under a small shell that stops it when its stdin closes: on teardown, and also when this
  // process dies without running finalizers (a killed test worker), so no KDC is left behind.
  const child = spawn("/bin/sh", ["-c", watchdog, "kdc-watchdog", tools.krb5kdc, realm], { env, stdio: ["pipe", "pipe", "pipe"] })
  let output = ""
  child.stdout?.on("data", (chunk: Buffer) => (output += chunk.toString()))
  child.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString()))
  let exited = false
  child.on("exit", () => (exited = true))
  child.on("error", (error) => {
    exited = true
    output += String(error)
  })
  try {
    // Bounded wait for the KDC's TCP listener (it takes well under a second).
    for (let attempt = 0; ; attempt++) {
      if (exited) throw new Error(`krb5kdc exited:\n${tail(output)}\n${tail(readIfExists(path.join(dir, "kdc.log")))}`)
      if (await canConnect(port)) break
      if (attempt >= 200) throw new Error(`krb5kdc did not listen on 127.0.0.1:${port}`)
      await sleep(50)
    }
    await step("kinit", tools.kinit, [userPrincipal], `${userPassword}\n`)
  } catch (error) {
    await stop(child)
    throw error
  }
  return {
    process: child,
    kdc: { realm, port, dir, userPrincipal, servicePrincipal: "HTTP@localhost", env: krbEnv }
  }
}

const readIfExists = (file: string) => {
  try {
    return fs.readFileSync(file, "utf8")
  } catch {
    return ""
  }
}

/**
 * `$1` is krb5kdc, `$2` the realm. The shell exits when the KDC does (so a failed start is seen); stdin is
 * passed on as fd 3 because a background job's own stdin is /dev/null.
 */
const watchdog = `exec 3<&0
"$1" -n -r "$2" </dev/null & kdc=$!
(cat <&3 >/dev/null; kill $kdc 2>/dev/null) &
exec 3<&-
wait $kdc`

const stop = (child: ChildProcess): Promise<void> =>
  new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve()
    const force = setTimeout(() => child.kill("SIGKILL"), 5_000)
    child.once("exit", () => {
      clearTimeout(force)
      resolve()
    })
    child.stdin?.end()
  })

const setEnv = (values: Readonly<Record<string, string>>): (() => void) => {
  const previous = Object.fromEntries(Object.keys(values).map((key) => [key, process.env[key]]))
  Object.assign(process.env, values)
  return () => {
    for (const [key, value] of Object.entries(previous)) {
      if (value === undefined) delete process.env[key]
      else process.env[key] = value
    }
  }
}

/**
 * Starts the KDC and points this process's Kerberos environment at it, for the life of the scope.
 * Fails with a `KdcError` that says which step failed (and its output) when anything is missing.
 */
export const startKdc: Effect.Effect<Kdc, KdcError, Scope.Scope> = Effect.acquireRelease(
  Effect.tryPromise({
    try: async () => {
      const missing = missingKdcTools()
      if (missing.length > 0) {
        throw new Error(`MIT Kerberos programs not found: ${missing.join(", ")} (bash .ci/kerberos-setup.sh installs them)`)
      }
      const tools = Object.fromEntries(toolNames.map((name) => [name, findTool(name)!])) as Record<Tool, string>
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "effect-ovirt-kdc-"))
      try {
        // A port taken between probing and binding makes krb5kdc exit: try again on another one.
        for (let attempt = 1; ; attempt++) {
          try {
            const running = await startIn(fs.mkdtempSync(path.join(dir, "realm-")), tools)
            const restoreEnv = setEnv(running.kdc.env)
            return { ...running, dir, restoreEnv }
          } catch (error) {
            if (attempt >= 3) throw error
          }
        }
      } catch (error) {
        fs.rmSync(dir, { recursive: true, force: true })
        throw error
      }
    },
    catch: (cause) => new KdcError({ message: `Could not start the test KDC: ${cause instanceof Error ? cause.message : String(cause)}` })
  }),
  (running) =>
    Effect.promise(async () => {
      running.restoreEnv()
      await stop(running.process)
      fs.rmSync(running.dir, { recursive: true, force: true })
    })
).pipe(Effect.map((running) => running.kdc))
