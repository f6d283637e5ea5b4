/**
 * `effect-ovirt-simulator`: runs the simulator standalone. Prints ONE line of JSON on stdout when
 * ready (`{"url","caFile","username","password"}`), everything else on stderr, and serves until
 * SIGINT or SIGTERM (exit 0). SIGUSR1 expires every token (to test re-login from any language).
 */
import * as fs from "node:fs"
import { parseArgs } from "node:util"
import { Redacted } from "effect"
import { type SimulatorOptions, start } from "./Simulator.js"

const HELP = `Usage: effect-ovirt-simulator [options]

An oVirt engine simulator on loopback (HTTPS, SSO, every service of the API model).
When ready it prints one JSON line on stdout: {"url","caFile","username","password"}.

Options:
  --port N                 port to listen on (default 0: a free port)
  --host ADDRESS           interface to listen on (default 127.0.0.1)
  --seed NAME              seed name: same name, same inventory and ids (default demo)
  --vms N                  number of VMs to seed (default 36; 10000 is fine)
  --token-lifetime SECONDS SSO token lifetime (default 3600)
  --username NAME          (default admin@internal)
  --password TEXT          (default: random, printed in the JSON line)
  --sso-error-shape SHAPE  sso ({error_code,error}, default) or oauth ({error,error_description})
  --vm-start-ms MS         time from start to up (default 2000)
  --transition-ms MS       stop/suspend/migrate/maintenance and lock times (default 800)
  --max-request-bytes N    largest request body accepted, as sent and inflated (default 10485760,
                           the engine's); a larger one gets a 413 <fault>

TLS (default: a CA and a server certificate made at start, the CA written to caFile):
  --cert FILE              serve this server certificate (PEM; intermediates after it)
  --key FILE               its private key (PEM); needed with --cert
  --ca FILE                the CA certificate clients should trust (PEM), copied to caFile
                           (default with --cert: the certificate itself, for a self-signed one)

Fault knobs:
  --latency MS             add this delay to every answer
  --fail-rate RATE         answer this share (0..1) of API requests with a 5xx fault
  --fail-path PATH         only requests below this path (e.g. vms, vms/123/start; default all);
                           needs --fail-rate
  --fail-status N          the status to use, 500..599 (default 503); needs --fail-rate
  --drop-rate RATE         drop this share (0..1) of API connections without an answer
  --slow-body MS           send bodies in pieces with this pause between them
  --verbose                log every request on stderr
  --help                   show this help

Signals: SIGINT/SIGTERM stop the simulator (exit 0); SIGUSR1 expires every SSO token now.
`

const OPTIONS = {
  port: { type: "string" },
  host: { type: "string" },
  seed: { type: "string" },
  vms: { type: "string" },
  "token-lifetime": { type: "string" },
  username: { type: "string" },
  password: { type: "string" },
  "sso-error-shape": { type: "string" },
  "vm-start-ms": { type: "string" },
  "transition-ms": { type: "string" },
  "max-request-bytes": { type: "string" },
  latency: { type: "string" },
  "fail-rate": { type: "string" },
  "fail-path": { type: "string" },
  "fail-status": { type: "string" },
  "drop-rate": { type: "string" },
  "slow-body": { type: "string" },
  cert: { type: "string" },
  key: { type: "string" },
  ca: { type: "string" },
  verbose: { type: "boolean" },
  help: { type: "boolean", short: "h" }
} as const

const parse = (argv: ReadonlyArray<string>) => parseArgs({ args: [...argv], options: OPTIONS, strict: true })

type Values = ReturnType<typeof parse>["values"]
type TextOption = { [K in keyof typeof OPTIONS]: (typeof OPTIONS)[K]["type"] extends "string" ? K : never }[keyof typeof OPTIONS]

/** Every refusal of the command line: the message on stderr (and the help, when asked), exit 2. */
const usage = (message: string, help = false): never => {
  process.stderr.write(`effect-ovirt-simulator: ${message}\n${help ? `\n${HELP}` : ""}`)
  process.exit(2)
}

/** What a numeric option may be, as its message says it. */
interface NumberKind {
  readonly is: string
  readonly accepts: (n: number) => boolean
}

const NON_NEGATIVE: NumberKind = { is: "needs a non-negative number", accepts: (n) => n >= 0 }
const SHARE: NumberKind = { is: "is a share between 0 and 1", accepts: (n) => n >= 0 && n <= 1 }
const STATUS_5XX: NumberKind = { is: "is a 5xx status (500..599)", accepts: (n) => Number.isInteger(n) && n >= 500 && n <= 599 }
const BYTES: NumberKind = { is: "is a whole number of bytes from 1", accepts: (n) => Number.isInteger(n) && n >= 1 }

/** The number option `name` gives (undefined when not given), or exit 2 saying what it must be. */
function numberOption(v: Values, name: TextOption, kind: NumberKind): number | undefined
function numberOption(v: Values, name: TextOption, kind: NumberKind, fallback: number): number
function numberOption(v: Values, name: TextOption, kind: NumberKind, fallback?: number): number | undefined {
  const text = v[name]
  if (text === undefined) return fallback
  const n = Number(text)
  return text.trim() !== "" && Number.isFinite(n) && kind.accepts(n) ? n : usage(`--${name} ${kind.is}, got "${text}"`)
}

/** The option `name` when it is one of `choices` (undefined when not given), or exit 2. */
const choiceOption = <C extends string>(v: Values, name: TextOption, choices: ReadonlyArray<C>): C | undefined => {
  const text = v[name]
  if (text === undefined) return undefined
  return (choices as ReadonlyArray<string>).includes(text) ? (text as C) : usage(`--${name} is ${choices.join(" or ")}, got "${text}"`)
}

/** The contents of the PEM file option `name` gives, or exit 2 saying why it cannot be read. */
const pemOption = (v: Values, name: TextOption): string | undefined => {
  const file = v[name]
  if (file === undefined) return undefined
  try {
    return fs.readFileSync(file, "utf8")
  } catch (e) {
    return usage(`--${name}: cannot read ${file}: ${e instanceof Error ? e.message : String(e)}`)
  }
}

/** The simulator's options from the command line's, or exit 2 saying what is wrong: every check is here. */
const simulatorOptions = (v: Values): SimulatorOptions => {
  const transition = numberOption(v, "transition-ms", NON_NEGATIVE)
  const vmStart = numberOption(v, "vm-start-ms", NON_NEGATIVE)
  const shape = choiceOption(v, "sso-error-shape", ["sso", "oauth"])
  const failRate = numberOption(v, "fail-rate", SHARE, 0)
  // A path or status without a rate would silently do nothing: say so instead.
  if (v["fail-rate"] === undefined && (v["fail-path"] !== undefined || v["fail-status"] !== undefined)) {
    usage(`--${v["fail-path"] !== undefined ? "fail-path" : "fail-status"} needs --fail-rate (e.g. --fail-rate 1 to fail every matching request)`)
  }
  const failStatus = numberOption(v, "fail-status", STATUS_5XX, 503)
  if ((v.cert === undefined) !== (v.key === undefined)) usage("--cert and --key are given together")
  if (v.ca !== undefined && v.cert === undefined) usage("--ca needs --cert and --key (without them the CA is made at start)")
  const certPem = pemOption(v, "cert")
  const keyPem = pemOption(v, "key")
  const caPem = pemOption(v, "ca")
  const vms = numberOption(v, "vms", NON_NEGATIVE)
  const tokenLifetime = numberOption(v, "token-lifetime", NON_NEGATIVE)
  const maxRequestBytes = numberOption(v, "max-request-bytes", BYTES)
  return {
    host: v.host ?? "127.0.0.1",
    port: numberOption(v, "port", NON_NEGATIVE, 0),
    seed: v.seed ?? "demo",
    ...(vms === undefined ? {} : { vms: Math.floor(vms) }),
    ...(v.username === undefined ? {} : { username: v.username }),
    ...(v.password === undefined ? {} : { password: v.password }),
    ...(tokenLifetime === undefined ? {} : { tokenLifetimeSeconds: tokenLifetime }),
    ...(shape === undefined ? {} : { ssoErrorShape: shape }),
    ...(certPem === undefined || keyPem === undefined ? {} : { certPem, keyPem: Redacted.make(keyPem) }),
    ...(caPem === undefined ? {} : { caPem }),
    ...(maxRequestBytes === undefined ? {} : { maxRequestBytes }),
    timing: {
      ...(vmStart === undefined ? {} : { vmStart }),
      ...(transition === undefined ? {} : { vmStop: transition, lock: transition, host: transition })
    },
    knobs: {
      latencyMs: numberOption(v, "latency", NON_NEGATIVE, 0),
      dropRate: numberOption(v, "drop-rate", SHARE, 0),
      slowBodyMs: numberOption(v, "slow-body", NON_NEGATIVE, 0),
      failures:
        failRate > 0 ? [{ path: v["fail-path"] ?? "*", rate: failRate, status: failStatus }] : []
    },
    ...(v.verbose ? { log: (line: string) => process.stderr.write(`${line}\n`) } : {})
  }
}

export const main = async (argv: ReadonlyArray<string>): Promise<void> => {
  let v: Values
  try {
    v = parse(argv).values
  } catch (e) {
    return usage(e instanceof Error ? e.message : String(e), true)
  }
  if (v.help) {
    process.stderr.write(HELP)
    return
  }
  // Signals are handled from the start, so that one arriving while the simulator starts still
  // ends in a clean exit 0.
  let stop: (signal: string) => void = () => {}
  const stopped = new Promise<string>((resolve) => (stop = resolve))
  process.once("SIGINT", () => stop("SIGINT"))
  process.once("SIGTERM", () => stop("SIGTERM"))
  let expireTokens = () => {}
  process.on("SIGUSR1", () => expireTokens())

  const options = simulatorOptions(v)
  const started = Date.now()
  const sim = await start(options).catch((e: unknown) => {
    process.stderr.write(`effect-ovirt-simulator: cannot start: ${e instanceof Error ? e.message : String(e)}\n`)
    process.exit(1)
  })
  const vmCount = sim.objects("vms").length
  process.stderr.write(`effect-ovirt-simulator: ${vmCount} VMs, seed "${v.seed ?? "demo"}", ready in ${Date.now() - started} ms at ${sim.url}\n`)
  process.stdout.write(`${JSON.stringify({ url: sim.url, caFile: sim.caFile, username: sim.username, password: sim.password })}\n`)

  expireTokens = () => {
    sim.expireTokens()
    process.stderr.write("effect-ovirt-simulator: every SSO token expired\n")
  }
  const signal = await stopped
  process.stderr.write(`effect-ovirt-simulator: ${signal}, stopping\n`)
  await sim.close()
  process.exit(0)
}
