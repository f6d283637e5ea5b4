/**
 * The Connection's options (the Python SDK's, in camelCase), their checks at layer build time with
 * messages that say what to fix, and the same settings read from Effect `Config` (`OVIRT_*`).
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import type * as HttpClient from "@effect/platform/HttpClient"
import { Config, Duration, Effect, Either, Option, Redacted, type Schedule } from "effect"
import * as ConfigError from "effect/ConfigError"
import { type FaultError, InvalidInputError } from "./Errors.js"
import type { HttpSettings } from "./internal/Http.js"
import type { DurationWithUnit } from "./internal/Wire.js"

export type { DurationWithUnit }

export interface RetryOptions {
  /** How many times an idempotent request is sent again. Default 3. */
  readonly times?: number
  /** The first pause; each next one doubles, with jitter. Default "200 millis". */
  readonly base?: DurationWithUnit
  /** The longest pause. Default "5 seconds". */
  readonly max?: DurationWithUnit
}

export interface ConnectionOptions {
  /** The API root, such as `https://engine.example.com/ovirt-engine/api`. */
  readonly url: string
  /** `user@profile`, such as `admin@internal`. */
  readonly username?: string
  readonly password?: string | Redacted.Redacted<string>
  /** A token obtained elsewhere: no SSO login, and it is not revoked on close. */
  readonly token?: string | Redacted.Redacted<string>
  /** Skip TLS verification (a test setup only); logs one warning. */
  readonly insecure?: boolean
  /** A PEM file of the CA certificates to trust instead of the default store. */
  readonly caFile?: string
  /** PEM text of CA certificates to trust (with `caFile`, both are trusted). */
  readonly caCerts?: string | ReadonlyArray<string>
  /**
   * Log every request and answer (secrets redacted) at Debug level through Effect's Logger, annotated
   * `ovirt=http`; they are shown even when the program's minimum level is Info (the default).
   */
  readonly debug?: boolean
  /** Log in with Kerberos (needs the optional `kerberos` package and a ticket). */
  readonly kerberos?: boolean
  /** Bounds each call end to end, like `"60 seconds"` (absent: no limit). */
  readonly timeout?: DurationWithUnit
  /** Bounds the TCP and TLS connect. Default "10 seconds" (undici's). */
  readonly connectTimeout?: DurationWithUnit
  /** Ask for gzip/deflate answers. Default true. */
  readonly compress?: boolean
  /** The SSO token endpoint. Default `{scheme}://{host}/ovirt-engine/sso/oauth/token` (`token-http-auth` with Kerberos). */
  readonly ssoUrl?: string
  /** The SSO logout endpoint. Default `{scheme}://{host}/ovirt-engine/services/sso-logout`. */
  readonly ssoRevokeUrl?: string
  /** The token's name in the SSO answer. Default `access_token`. */
  readonly ssoTokenName?: string
  /**
   * Headers sent on every API call (a call's own headers replace them by name; the SDK's own cannot be
   * replaced). Hop-by-hop headers (`Connection`, `Transfer-Encoding`, `Host`, `Content-Length`, ...) are refused.
   */
  readonly headers?: Readonly<Record<string, string>>
  /** Most sockets to the engine; 0 = no limit. Default 0. */
  readonly connections?: number
  /** HTTP/1.1 pipelining depth; 0 or 1 = off. Default 0. */
  readonly pipeline?: number
  /** An HTTP(S) proxy URL, such as `http://user:pass@proxy:3128`. */
  readonly proxy?: string
  /** Revoke the SSO token when the scope closes (Python's `close(logout=True)`). Default true. */
  readonly logoutOnClose?: boolean
  /** Retries of idempotent requests (GET, PUT, DELETE) after resets and 502/503/504; `false` turns them off. */
  readonly retry?: false | RetryOptions
  /**
   * Retries a 409 whose fault says the object is locked or busy (the engine did nothing), on this
   * Schedule, for any method; other 409s never. Off by default; a call's own `retryConflicts` wins.
   */
  readonly retryConflicts?: Schedule.Schedule<unknown, FaultError>
  /**
   * Most bytes of an answer read whole (every call but `listStream`, and the SSO answers), after
   * decompression; past it the call fails with a DecodeError. Default 256 MiB.
   */
  readonly maxAnswerSize?: number
  /**
   * Shapes the `HttpClient` every request goes through (API and SSO), as @effect/platform middleware:
   * `(client) => client.pipe(HttpClient.mapRequest(HttpClientRequest.setHeader("X-Request-Source", "cmdb")))`.
   * The SDK's TLS, pool, answer bound, timeouts, retries and error mapping still apply around it.
   */
  readonly transformClient?: (client: HttpClient.HttpClient) => HttpClient.HttpClient
  /**
   * Send the current span as a W3C `traceparent` header. Default true; `false` (or
   * `HttpClient.withTracerPropagation(false)` around a call) turns it off.
   */
  readonly tracePropagation?: boolean
}

/** The default `maxAnswerSize`: far above any engine document but a list of tens of thousands of VMs. */
export const DEFAULT_MAX_ANSWER_SIZE = 256 * 1024 * 1024

/** Options checked and resolved. */
export interface Settings {
  /** The API root without a trailing slash. */
  readonly url: string
  readonly apiUrl: URL
  readonly username?: string
  readonly password?: Redacted.Redacted<string>
  readonly token?: Redacted.Redacted<string>
  readonly kerberos: boolean
  readonly insecure: boolean
  readonly debug: boolean
  readonly timeoutMillis?: number
  readonly ssoUrl: string
  readonly ssoRevokeUrl: string
  readonly ssoTokenName: string
  readonly headers: Readonly<Record<string, string>>
  readonly logoutOnClose: boolean
  readonly retry?: { readonly times: number; readonly baseMillis: number; readonly maxMillis: number }
  readonly retryConflicts?: Schedule.Schedule<unknown, FaultError>
  readonly userAgent: string
  readonly http: HttpSettings
  readonly transformClient?: (client: HttpClient.HttpClient) => HttpClient.HttpClient
  readonly tracePropagation: boolean
}

const invalid = (message: string) => new InvalidInputError({ message })

const toRedacted = (value: string | Redacted.Redacted<string>): Redacted.Redacted<string> =>
  Redacted.isRedacted(value) ? value : Redacted.make(value)

/**
 * Milliseconds of a duration given in code, or what is wrong with it: a bare number has no unit (the
 * one rule: code says the unit, `"60 seconds"`; only the environment's bare numbers are seconds).
 */
export const durationOf = (what: string, input: unknown): Either.Either<Duration.Duration, string> => {
  if (typeof input === "number" || typeof input === "bigint") {
    return Either.left(`${what} is a bare number (${input}) without a unit: write "${input} seconds" or "${input} millis" (or a Duration).`)
  }
  const decoded = Duration.decodeUnknown(input)
  if (Option.isNone(decoded)) return Either.left(`${what} is not a duration: write a text like "30 seconds" (or a Duration).`)
  return Either.right(decoded.value)
}

const millisOf = (name: string, input: unknown): Effect.Effect<number | undefined, InvalidInputError> => {
  if (input === undefined) return Effect.succeed(undefined)
  const decoded = durationOf(`\`${name}\``, input)
  if (Either.isLeft(decoded)) return Effect.fail(invalid(decoded.left))
  const millis = Duration.toMillis(decoded.right)
  if (!(millis > 0)) return Effect.fail(invalid(`\`${name}\` must be longer than zero (leave it out for no limit).`))
  return Effect.succeed(Number.isFinite(millis) ? millis : undefined)
}

const count = (name: string, value: number | undefined): Effect.Effect<number, InvalidInputError> =>
  value === undefined
    ? Effect.succeed(0)
    : Number.isInteger(value) && value >= 0
    ? Effect.succeed(value)
    : Effect.fail(invalid(`\`${name}\` must be a whole number, 0 or more (got ${value}).`))

const parseUrl = (name: string, value: string, protocols: ReadonlyArray<string>): Effect.Effect<URL, InvalidInputError> => {
  let url: URL
  try {
    url = new URL(value)
  } catch {
    return Effect.fail(invalid(`\`${name}\` is not a URL: give one like https://engine.example.com/ovirt-engine/api.`))
  }
  return protocols.includes(url.protocol)
    ? Effect.succeed(url)
    : Effect.fail(invalid(`\`${name}\` must be ${protocols.map((p) => p.slice(0, -1)).join(" or ")} (got ${url.protocol.slice(0, -1)}).`))
}

const readCaFile = (file: string): Effect.Effect<string, InvalidInputError> =>
  Effect.try({
    try: () => fs.readFileSync(file, "utf8"),
    catch: (error) =>
      invalid(`\`caFile\` ${file} cannot be read (${(error as NodeJS.ErrnoException).code ?? String(error)}): give the path of the ` +
        "engine's CA certificate (download it from https://ENGINE/ovirt-engine/services/pki-resource?resource=ca-certificate&format=X509-PEM-CA).")
  }).pipe(Effect.filterOrFail(hasCertificate, () => invalid(`\`caFile\` ${file} holds no PEM certificate (-----BEGIN CERTIFICATE-----).`)))

const hasCertificate = (pem: string): boolean => pem.includes("-----BEGIN CERTIFICATE-----")

/**
 * Headers that describe the connection or the message framing: the HTTP client owns them, and one
 * set by hand could desynchronise the keep-alive socket or smuggle a second request.
 */
const HOP_BY_HOP = new Set([
  "connection", "transfer-encoding", "keep-alive", "upgrade", "te", "trailer", "proxy-connection", "host", "content-length"
])

/**
 * Why `headers` (connection-wide or a call's, named by `what`) cannot be sent, or undefined: a name
 * that is not an HTTP token, a value that is not text on one line, or a hop-by-hop header.
 */
export const checkHeaders = (what: string, headers: Readonly<Record<string, unknown>> | undefined): InvalidInputError | undefined => {
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name) || typeof value !== "string" || /[\r\n\0]/.test(value)) {
      return new InvalidInputError({ message: `${what}: ${JSON.stringify(name)} is not a valid header name and text value.`, paths: ["headers"] })
    }
    if (HOP_BY_HOP.has(name.toLowerCase())) {
      return new InvalidInputError({ message: `${what}: ${name} is managed by the HTTP client and cannot be set.`, paths: ["headers"] })
    }
  }
  return undefined
}

/** Checks the options and resolves their defaults; fails with what to fix. */
export const validate = (options: ConnectionOptions): Effect.Effect<Settings, InvalidInputError> =>
  Effect.gen(function* () {
    if (typeof options.url !== "string" || options.url === "") {
      return yield* Effect.fail(invalid("`url` is missing: give the API root, like https://engine.example.com/ovirt-engine/api."))
    }
    const apiUrl = yield* parseUrl("url", options.url, ["https:", "http:"])
    if (apiUrl.search !== "" || apiUrl.hash !== "") {
      return yield* Effect.fail(invalid("`url` must be the API root, without a query or fragment."))
    }
    if (apiUrl.username !== "" || apiUrl.password !== "") {
      return yield* Effect.fail(invalid("`url` must not hold credentials: give `username` and `password` instead."))
    }
    const url = apiUrl.href.replace(/\/+$/, "")
    const kerberos = options.kerberos ?? false
    if (options.username !== undefined && options.username === "") {
      return yield* Effect.fail(invalid("`username` is empty: give `user@profile`, like admin@internal."))
    }
    if (options.username !== undefined && options.password === undefined && options.token === undefined && !kerberos) {
      return yield* Effect.fail(invalid("`username` is given without `password`: give both (or a `token`, or `kerberos: true`)."))
    }
    if (options.password !== undefined && options.username === undefined) {
      return yield* Effect.fail(invalid("`password` is given without `username`: give `user@profile`, like admin@internal."))
    }
    if (options.username === undefined && options.token === undefined && !kerberos) {
      return yield* Effect.fail(invalid("No credentials: give `username` and `password`, a `token`, or `kerberos: true`."))
    }

    const ca: Array<string> = []
    if (options.caFile !== undefined) ca.push(yield* readCaFile(options.caFile))
    for (const pem of options.caCerts === undefined ? [] : typeof options.caCerts === "string" ? [options.caCerts] : options.caCerts) {
      if (!hasCertificate(pem)) return yield* Effect.fail(invalid("`caCerts` holds no PEM certificate (-----BEGIN CERTIFICATE-----)."))
      ca.push(pem)
    }

    const timeoutMillis = yield* millisOf("timeout", options.timeout)
    const connectTimeoutMillis = yield* millisOf("connectTimeout", options.connectTimeout)
    const connections = yield* count("connections", options.connections)
    const pipeline = yield* count("pipeline", options.pipeline)
    const maxAnswerSize = options.maxAnswerSize ?? DEFAULT_MAX_ANSWER_SIZE
    if (!Number.isSafeInteger(maxAnswerSize) || maxAnswerSize < 1) {
      return yield* Effect.fail(invalid(`\`maxAnswerSize\` must be a whole number of bytes, 1 or more (got ${maxAnswerSize}; the default is ${DEFAULT_MAX_ANSWER_SIZE}, 256 MiB).`))
    }
    if (options.proxy !== undefined) yield* parseUrl("proxy", options.proxy, ["http:", "https:"])
    if (options.transformClient !== undefined && typeof options.transformClient !== "function") {
      return yield* Effect.fail(invalid("`transformClient` must be a function from HttpClient to HttpClient."))
    }
    const origin = `${apiUrl.protocol}//${apiUrl.host}`
    const ssoUrl = options.ssoUrl ?? `${origin}/ovirt-engine/sso/oauth/${kerberos ? "token-http-auth" : "token"}`
    const ssoRevokeUrl = options.ssoRevokeUrl ?? `${origin}/ovirt-engine/services/sso-logout`
    yield* parseUrl("ssoUrl", ssoUrl, ["https:", "http:"])
    yield* parseUrl("ssoRevokeUrl", ssoRevokeUrl, ["https:", "http:"])
    const ssoTokenName = options.ssoTokenName ?? "access_token"
    if (ssoTokenName === "") return yield* Effect.fail(invalid("`ssoTokenName` is empty (the default is access_token)."))
    const badHeader = checkHeaders("`headers`", options.headers)
    if (badHeader !== undefined) return yield* Effect.fail(badHeader)

    let retry: Settings["retry"]
    if (options.retry !== false) {
      const r = options.retry ?? {}
      const times = yield* count("retry.times", r.times ?? 3)
      const baseMillis = (yield* millisOf("retry.base", r.base ?? "200 millis")) ?? 200
      const maxMillis = (yield* millisOf("retry.max", r.max ?? "5 seconds")) ?? 5_000
      retry = times === 0 ? undefined : { times, baseMillis, maxMillis }
    }

    const http: HttpSettings = {
      ...(ca.length === 0 ? {} : { ca }),
      insecure: options.insecure ?? false,
      ...(connectTimeoutMillis === undefined ? {} : { connectTimeoutMillis }),
      connections: connections === 0 ? null : connections,
      pipelining: Math.max(1, pipeline),
      ...(options.proxy === undefined ? {} : { proxy: options.proxy }),
      compress: options.compress ?? true,
      maxAnswerSize
    }
    const settings: Settings = {
      url,
      apiUrl: new URL(url),
      ...(options.username === undefined ? {} : { username: options.username }),
      ...(options.password === undefined ? {} : { password: toRedacted(options.password) }),
      ...(options.token === undefined ? {} : { token: toRedacted(options.token) }),
      kerberos,
      insecure: options.insecure ?? false,
      debug: options.debug ?? false,
      ...(timeoutMillis === undefined ? {} : { timeoutMillis }),
      ssoUrl,
      ssoRevokeUrl,
      ssoTokenName,
      headers: options.headers ?? {},
      logoutOnClose: options.logoutOnClose ?? true,
      ...(retry === undefined ? {} : { retry }),
      ...(options.retryConflicts === undefined ? {} : { retryConflicts: options.retryConflicts }),
      userAgent: `effect-ovirt/${packageVersion()}`,
      http,
      ...(options.transformClient === undefined ? {} : { transformClient: options.transformClient }),
      tracePropagation: options.tracePropagation ?? true
    }
    return settings
  })

// ---------------------------------------------------------------------------------------------
// The User-Agent version

let version: string | undefined

/** This package's version, from its package.json (found upwards from this module: src/ or dist/src/). */
export const packageVersion = (): string => {
  if (version !== undefined) return version
  version = "unknown"
  try {
    let dir = path.dirname(fileURLToPath(import.meta.url))
    for (let i = 0; i < 5; i++, dir = path.dirname(dir)) {
      const file = path.join(dir, "package.json")
      if (!fs.existsSync(file)) continue
      const pkg = JSON.parse(fs.readFileSync(file, "utf8")) as { readonly name?: unknown; readonly version?: unknown }
      if (pkg.name === "effect-ovirt" && typeof pkg.version === "string") {
        version = pkg.version
        break
      }
    }
  } catch {
    // the version only decorates the User-Agent
  }
  return version
}

// ---------------------------------------------------------------------------------------------
// Config

const optional = <A>(config: Config.Config<A>): Config.Config<A | undefined> =>
  Config.map(Config.option(config), Option.getOrUndefined)

/** A duration from text: `30 seconds`, `500 millis`, or a bare number of seconds. */
const duration = (name: string): Config.Config<DurationWithUnit | undefined> =>
  optional(Config.mapOrFail(Config.string(name), (text) => {
    const trimmed = text.trim()
    const decoded = /^\d+(\.\d+)?$/.test(trimmed) ? Option.some(Duration.seconds(Number(trimmed))) : Duration.decodeUnknown(trimmed)
    return Option.isSome(decoded)
      ? Either.right(decoded.value)
      : Either.left(ConfigError.InvalidData([name], `${name} is not a duration: give seconds or a text like "30 seconds"`))
  }))

/** Drops the settings that were not given, so the option defaults apply (exactOptionalPropertyTypes). */
const compact = <A extends object>(value: A): A =>
  Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as A

/**
 * The options from the environment: `OVIRT_URL`, `OVIRT_USERNAME`, `OVIRT_PASSWORD`, `OVIRT_TOKEN`,
 * `OVIRT_CA_FILE`, `OVIRT_INSECURE`, `OVIRT_DEBUG`, `OVIRT_KERBEROS`, `OVIRT_TIMEOUT`,
 * `OVIRT_CONNECT_TIMEOUT`, `OVIRT_COMPRESS`, `OVIRT_SSO_URL`, `OVIRT_SSO_REVOKE_URL`,
 * `OVIRT_SSO_TOKEN_NAME`, `OVIRT_CONNECTIONS`, `OVIRT_PIPELINE`, `OVIRT_PROXY`,
 * `OVIRT_LOGOUT_ON_CLOSE`, `OVIRT_MAX_ANSWER_SIZE` (bytes), `OVIRT_TRACE_PROPAGATION`. Durations are
 * seconds when bare (`OVIRT_TIMEOUT=60`) or carry their unit (`OVIRT_TIMEOUT=500 millis`). Secrets are
 * read with `Config.redacted`.
 */
export const fromEnv: Config.Config<ConnectionOptions> = Config.map(
  Config.all({
    url: Config.string("OVIRT_URL"),
    username: optional(Config.string("OVIRT_USERNAME")),
    password: optional(Config.redacted("OVIRT_PASSWORD")),
    token: optional(Config.redacted("OVIRT_TOKEN")),
    caFile: optional(Config.string("OVIRT_CA_FILE")),
    insecure: optional(Config.boolean("OVIRT_INSECURE")),
    debug: optional(Config.boolean("OVIRT_DEBUG")),
    kerberos: optional(Config.boolean("OVIRT_KERBEROS")),
    timeout: duration("OVIRT_TIMEOUT"),
    connectTimeout: duration("OVIRT_CONNECT_TIMEOUT"),
    compress: optional(Config.boolean("OVIRT_COMPRESS")),
    ssoUrl: optional(Config.string("OVIRT_SSO_URL")),
    ssoRevokeUrl: optional(Config.string("OVIRT_SSO_REVOKE_URL")),
    ssoTokenName: optional(Config.string("OVIRT_SSO_TOKEN_NAME")),
    connections: optional(Config.integer("OVIRT_CONNECTIONS")),
    pipeline: optional(Config.integer("OVIRT_PIPELINE")),
    proxy: optional(Config.string("OVIRT_PROXY")),
    logoutOnClose: optional(Config.boolean("OVIRT_LOGOUT_ON_CLOSE")),
    maxAnswerSize: optional(Config.integer("OVIRT_MAX_ANSWER_SIZE")),
    tracePropagation: optional(Config.boolean("OVIRT_TRACE_PROPAGATION"))
  }),
  (all) => compact(all) as ConnectionOptions
)
