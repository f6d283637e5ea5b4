/**
 * The Connection's options (the Python SDK's, in camelCase), their checks at layer build time with
 * messages that say what to fix, and the same settings read from Effect `Config` (`OVIRT_*`).
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import type * as HttpClient from "@effect/platform/HttpClient"
import { Config, Duration, Effect, Either, Option, ParseResult, Predicate, Redacted, Schedule, Schema } from "effect"
import * as ConfigError from "effect/ConfigError"
import { type ConnectionError, type FaultError, InvalidInputError } from "./Errors.js"
import type { HttpSettings } from "./internal/Http.js"
import * as Redact from "./internal/Redact.js"
import type { DurationWithUnit } from "./internal/Wire.js"

export type { DurationWithUnit }

/**
 * What a retry Schedule is given for each attempt it may send again: the reset (a `ConnectionError`
 * whose `reason` is `ECONNRESET`, `EPIPE`, `UND_ERR_SOCKET`, ...) or the engine's 502/503/504 answer.
 */
export type RetryInput = ConnectionError | TransientAnswer

/** A 502, 503 or 504 answer to an idempotent request: the proxy in front of the engine could not reach it. */
export interface TransientAnswer {
  readonly _tag: "TransientAnswer"
  readonly status: number
  /** Lower-case names, e.g. `retry-after`. */
  readonly headers: Readonly<Record<string, string>>
}

/** The numeric form of `retry`: jittered exponential backoff, the way `retryTransient` callers write it. */
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
  /**
   * Bounds each call end to end, like `"60 seconds"` (absent: no limit). Measured in real time by a
   * timer of the transport, not by Effect's `Clock` (a `TestClock` does not move it).
   */
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
  /**
   * Retries of idempotent requests (GET, PUT, DELETE; never POST) after resets and 502/503/504 answers:
   * the numeric form (default `{ times: 3, base: "200 millis", max: "5 seconds" }`), a `Schedule` of
   * your own (given each `RetryInput`, like `Schedule.recurs(2)` or
   * `Schedule.exponential("1 second").pipe(Schedule.upTo("30 seconds"))`), or `false` for none.
   */
  readonly retry?: false | RetryOptions | Schedule.Schedule<unknown, RetryInput>
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
  readonly retry?: Schedule.Schedule<unknown, RetryInput>
  readonly retryConflicts?: Schedule.Schedule<unknown, FaultError>
  readonly userAgent: string
  readonly http: HttpSettings
  readonly transformClient?: (client: HttpClient.HttpClient) => HttpClient.HttpClient
  readonly tracePropagation: boolean
}

/**
 * The one duration rule for code (options, calls, waits, transfers): a duration with its unit,
 * `"60 seconds"` or a `Duration`. A bare number is refused (is `60` seconds or milliseconds?); only
 * the environment's bare numbers are seconds (`fromEnv`). `where` adds to the name, like "of the call".
 */
export const durationOf = (name: string, input: unknown, where = ""): Either.Either<Duration.Duration, InvalidInputError> => {
  const what = named(name, where)
  if (typeof input === "number" || typeof input === "bigint") {
    return Either.left(invalidAt(name, `${what} is a bare number (${input}) without a unit: write "${input} seconds" or "${input} millis" (or a Duration).`))
  }
  const decoded = Duration.decodeUnknown(input)
  return Option.isSome(decoded)
    ? Either.right(decoded.value)
    : Either.left(invalidAt(name, `${what} is not a duration: write a text like "30 seconds" (or a Duration).`))
}

/**
 * A limit (a timeout) under the same rule, in milliseconds: longer than zero; `Duration.infinity`, or
 * none given, is no limit (`undefined`).
 */
export const limitOf = (name: string, input: unknown, where = ""): Either.Either<number | undefined, InvalidInputError> => {
  if (input === undefined) return Either.right(undefined)
  return Either.flatMap(durationOf(name, input, where), (duration) => {
    const millis = Duration.toMillis(duration)
    if (!(millis > 0)) {
      return Either.left(invalidAt(name, `${named(name, where)} must be longer than zero (Duration.infinity, or leaving it out, means no limit).`))
    }
    return Either.right(Number.isFinite(millis) ? millis : undefined)
  })
}

const named = (name: string, where: string): string => (where === "" ? `\`${name}\`` : `\`${name}\` ${where}`)

const invalidAt = (name: string, message: string, cause?: unknown) =>
  new InvalidInputError({ message, paths: [name], ...(cause === undefined ? {} : { cause: Redact.failure(cause) }) })

const hasCertificate = (pem: string): boolean => pem.includes("-----BEGIN CERTIFICATE-----")

const readCaFile = (file: string): Effect.Effect<string, InvalidInputError> =>
  Effect.try({
    try: () => fs.readFileSync(file, "utf8"),
    catch: (error) =>
      invalidAt("caFile", `\`caFile\` ${file} cannot be read (${(error as NodeJS.ErrnoException).code ?? String(error)}): give the path of the ` +
        "engine's CA certificate (download it from https://ENGINE/ovirt-engine/services/pki-resource?resource=ca-certificate&format=X509-PEM-CA).", error)
  }).pipe(Effect.filterOrFail(hasCertificate, () => invalidAt("caFile", `\`caFile\` ${file} holds no PEM certificate (-----BEGIN CERTIFICATE-----).`)))

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

// ---------------------------------------------------------------------------------------------
// The options' Schema: each field says what is wrong with it in its own words; `validate` decodes
// the user's options with it and resolves the defaults into the Settings.

/** A field that holds when `guard` does; `message` says what to write instead (it may show the value). */
const field = <A>(guard: (input: unknown) => input is A, message: (actual: unknown) => string) =>
  Schema.declare(guard, { message: (issue) => message(issue.actual) })

/** A field decoded by one of the SDK's rules (durations, URLs, secrets), its failure's message kept as written. */
const ruled = <A>(to: Schema.Schema<A>, rule: (input: unknown) => Either.Either<A, InvalidInputError | string>) =>
  Schema.transformOrFail(Schema.Unknown, to, {
    strict: true,
    decode: (input, _, ast) =>
      Either.mapLeft(rule(input), (failure) => new ParseResult.Type(ast, input, typeof failure === "string" ? failure : failure.message)),
    encode: ParseResult.succeed
  })

/** A value as the user wrote it: text quoted, so `"3"` does not read as the number 3. */
const shown = (value: unknown): string => (typeof value === "string" ? JSON.stringify(value) : String(value))

const Flag = (name: string) => field(Predicate.isBoolean, () => `\`${name}\` must be true or false.`)

const Count = (name: string) =>
  field((u): u is number => Number.isSafeInteger(u) && (u as number) >= 0, (actual) => `\`${name}\` must be a whole number, 0 or more (got ${shown(actual)}).`)

const Limit = (name: string) => ruled(Schema.UndefinedOr(Schema.Number), (input) => limitOf(name, input))

const Text = (name: string, message = `\`${name}\` must be text.`) => field((u): u is string => Predicate.isString(u) && u !== "", () => message)

/** An http(s) URL; its text is never shown (a proxy URL may hold a password). */
const urlOf = (name: string) => (input: unknown): Either.Either<URL, string> => {
  if (name === "url" && (typeof input !== "string" || input === "")) {
    return Either.left("`url` is missing: give the API root, like https://engine.example.com/ovirt-engine/api.")
  }
  let url: URL
  try {
    url = new URL(input as string)
  } catch {
    return Either.left(`\`${name}\` is not a URL: give one like https://engine.example.com/ovirt-engine/api.`)
  }
  return typeof input === "string" && (url.protocol === "https:" || url.protocol === "http:")
    ? Either.right(url)
    : Either.left(`\`${name}\` must be https or http (got ${url.protocol.slice(0, -1)}).`)
}

/** An http(s) URL kept as written. */
const HttpUrl = (name: string) => ruled(Schema.String, (input) => Either.map(urlOf(name)(input), () => input as string))

/** The API root: no query, fragment or credentials. */
const ApiUrl = ruled(Schema.instanceOf(URL), (input) =>
  Either.flatMap(urlOf("url")(input), (url) =>
    url.search !== "" || url.hash !== ""
      ? Either.left("`url` must be the API root, without a query or fragment.")
      : url.username !== "" || url.password !== ""
      ? Either.left("`url` must not hold credentials: give `username` and `password` instead.")
      : Either.right(url)))

/** A password or token, as text or `Redacted`, kept `Redacted`; its value is never shown. */
const Secret = (name: string) =>
  ruled(Schema.declare(Redacted.isRedacted) as Schema.Schema<Redacted.Redacted<string>>, (input) =>
    Redacted.isRedacted(input) && typeof Redacted.value(input) === "string"
      ? Either.right(input as Redacted.Redacted<string>)
      : typeof input === "string"
      ? Either.right(Redacted.make(input))
      : Either.left(`\`${name}\` must be text or a Redacted text.`))

const Pem = (name: string) =>
  field((u): u is string => Predicate.isString(u) && hasCertificate(u), () => `\`${name}\` holds no PEM certificate (-----BEGIN CERTIFICATE-----).`)

const Headers = ruled(Schema.Record({ key: Schema.String, value: Schema.String }), (input) => {
  if (!Predicate.isRecord(input)) return Either.left("`headers` must be an object of header names and text values.")
  const bad = checkHeaders("`headers`", input)
  return bad === undefined ? Either.right(input as Record<string, string>) : Either.left(bad)
})

const RETRY_FORMS = "`retry` must be false, { times, base, max } or a Schedule."

/** The numeric form: an object that is not a Schedule (a Schedule's own fields would read as none given). */
const NumericRetry = Schema.compose(
  field((u): u is unknown => Predicate.isRecord(u) && !Schedule.isSchedule(u), () => RETRY_FORMS),
  Schema.Struct({
    times: Schema.optional(Count("retry.times")),
    base: Schema.optional(Limit("retry.base")),
    max: Schema.optional(Limit("retry.max"))
  }),
  { strict: false }
)

/** The numeric form, a Schedule, or `false`; anything else is told what `retry` takes (not the union's inner names). */
const Retry = Schema.compose(
  field((u): u is unknown => u === false || Predicate.isRecord(u), () => RETRY_FORMS),
  Schema.Union(
    NumericRetry,
    field((u): u is Schedule.Schedule<unknown, RetryInput> => Schedule.isSchedule(u), () => RETRY_FORMS),
    Schema.Literal(false)
  ),
  { strict: false }
)

const AnySchedule = field((u): u is Schedule.Schedule<unknown, FaultError> => Schedule.isSchedule(u), () => "`retryConflicts` must be a Schedule, like Schedule.spaced(\"2 seconds\").pipe(Schedule.upTo(\"1 minute\")).")

const Middleware = field(
  (u): u is (client: HttpClient.HttpClient) => HttpClient.HttpClient => typeof u === "function",
  () => "`transformClient` must be a function from HttpClient to HttpClient."
)

const AnswerSize = field(
  (u): u is number => Number.isSafeInteger(u) && (u as number) >= 1,
  (actual) => `\`maxAnswerSize\` must be a whole number of bytes, 1 or more (got ${shown(actual)}; the default is ${DEFAULT_MAX_ANSWER_SIZE}, 256 MiB).`
)

const OptionsSchema = Schema.Struct({
  url: ApiUrl,
  username: Schema.optional(Text("username", "`username` is empty: give `user@profile`, like admin@internal.")),
  password: Schema.optional(Secret("password")),
  token: Schema.optional(Secret("token")),
  kerberos: Schema.optional(Flag("kerberos")),
  insecure: Schema.optional(Flag("insecure")),
  caFile: Schema.optional(Text("caFile", "`caFile` must be the path of a PEM file.")),
  caCerts: Schema.optional(Schema.Union(Pem("caCerts"), Schema.Array(Pem("caCerts")))),
  debug: Schema.optional(Flag("debug")),
  timeout: Schema.optional(Limit("timeout")),
  connectTimeout: Schema.optional(Limit("connectTimeout")),
  compress: Schema.optional(Flag("compress")),
  ssoUrl: Schema.optional(HttpUrl("ssoUrl")),
  ssoRevokeUrl: Schema.optional(HttpUrl("ssoRevokeUrl")),
  ssoTokenName: Schema.optional(Text("ssoTokenName", "`ssoTokenName` is empty (the default is access_token).")),
  headers: Schema.optional(Headers),
  connections: Schema.optional(Count("connections")),
  pipeline: Schema.optional(Count("pipeline")),
  proxy: Schema.optional(HttpUrl("proxy")),
  logoutOnClose: Schema.optional(Flag("logoutOnClose")),
  retry: Schema.optional(Retry),
  retryConflicts: Schema.optional(AnySchedule),
  maxAnswerSize: Schema.optional(AnswerSize),
  transformClient: Schema.optional(Middleware),
  tracePropagation: Schema.optional(Flag("tracePropagation"))
}).annotations({ message: () => "The connection options must be an object like { url, username, password }." }).pipe(
  Schema.filter((o) => credentialsProblem(o))
)

type DecodedOptions = Schema.Schema.Type<typeof OptionsSchema>

/** Which credentials are missing or given alone, with where: checked once every field is valid. */
const credentialsProblem = (o: {
  readonly username?: string | undefined
  readonly password?: unknown
  readonly token?: unknown
  readonly kerberos?: boolean | undefined
}): Schema.FilterIssue | undefined => {
  const kerberos = o.kerberos ?? false
  if (o.username !== undefined && o.password === undefined && o.token === undefined && !kerberos) {
    return { path: ["password"], message: "`username` is given without `password`: give both (or a `token`, or `kerberos: true`)." }
  }
  if (o.password !== undefined && o.username === undefined) {
    return { path: ["username"], message: "`password` is given without `username`: give `user@profile`, like admin@internal." }
  }
  if (o.username === undefined && o.token === undefined && !kerberos) {
    return { path: [], message: "No credentials: give `username` and `password`, a `token`, or `kerberos: true`." }
  }
  return undefined
}

/** The first of Schema's findings as the InvalidInputError; every message above already says what to fix. */
const toInvalidInput = (error: ParseResult.ParseError): InvalidInputError => {
  const [first] = ParseResult.ArrayFormatter.formatErrorSync(error)
  const path = first?.path.join(".") ?? ""
  return new InvalidInputError({ message: first?.message ?? "The connection options are not valid.", ...(path === "" ? {} : { paths: [path] }) })
}

/** Checks the options and resolves their defaults; fails with what to fix. */
export const validate = (options: ConnectionOptions): Effect.Effect<Settings, InvalidInputError> =>
  Effect.flatMap(Effect.mapError(Schema.decodeUnknown(OptionsSchema)(options), toInvalidInput), (decoded) =>
    decoded.caFile === undefined
      ? Effect.succeed(settingsOf(decoded, []))
      : Effect.map(readCaFile(decoded.caFile), (pem) => settingsOf(decoded, [pem])))

/** The decoded options with their defaults: the settings the connection is built from. */
const settingsOf = (o: DecodedOptions, caFromFile: ReadonlyArray<string>): Settings => {
  const ca = [...caFromFile, ...(o.caCerts === undefined ? [] : typeof o.caCerts === "string" ? [o.caCerts] : o.caCerts)]
  const kerberos = o.kerberos ?? false
  const url = o.url.href.replace(/\/+$/, "")
  const origin = `${o.url.protocol}//${o.url.host}`
  const retry = o.retry === false ? undefined : Schedule.isSchedule(o.retry) ? o.retry : retrySchedule(o.retry ?? {})
  const http: HttpSettings = {
    ...(ca.length === 0 ? {} : { ca }),
    insecure: o.insecure ?? false,
    ...(o.connectTimeout === undefined ? {} : { connectTimeoutMillis: o.connectTimeout }),
    connections: o.connections === undefined || o.connections === 0 ? null : o.connections,
    pipelining: Math.max(1, o.pipeline ?? 0),
    ...(o.proxy === undefined ? {} : { proxy: o.proxy }),
    compress: o.compress ?? true,
    maxAnswerSize: o.maxAnswerSize ?? DEFAULT_MAX_ANSWER_SIZE
  }
  return {
    url,
    apiUrl: new URL(url),
    ...(o.username === undefined ? {} : { username: o.username }),
    ...(o.password === undefined ? {} : { password: o.password }),
    ...(o.token === undefined ? {} : { token: o.token }),
    kerberos,
    insecure: o.insecure ?? false,
    debug: o.debug ?? false,
    ...(o.timeout === undefined ? {} : { timeoutMillis: o.timeout }),
    ssoUrl: o.ssoUrl ?? `${origin}/ovirt-engine/sso/oauth/${kerberos ? "token-http-auth" : "token"}`,
    ssoRevokeUrl: o.ssoRevokeUrl ?? `${origin}/ovirt-engine/services/sso-logout`,
    ssoTokenName: o.ssoTokenName ?? "access_token",
    headers: o.headers ?? {},
    logoutOnClose: o.logoutOnClose ?? true,
    ...(retry === undefined ? {} : { retry }),
    ...(o.retryConflicts === undefined ? {} : { retryConflicts: o.retryConflicts }),
    userAgent: `effect-ovirt/${packageVersion()}`,
    http,
    ...(o.transformClient === undefined ? {} : { transformClient: o.transformClient }),
    tracePropagation: o.tracePropagation ?? true
  }
}

/**
 * The numeric retry form as a Schedule: the n-th pause is drawn between half and all of
 * `min(max, base * 2^n)` (Effect's Random: a test can fix it), at most `times` pauses; 0 times is none.
 * Defaults: 3 times, from 200 ms up to 5 s.
 */
const retrySchedule = (r: {
  readonly times?: number | undefined
  readonly base?: number | undefined
  readonly max?: number | undefined
}): Schedule.Schedule<unknown, RetryInput> | undefined => {
  const times = r.times ?? 3
  if (times === 0) return undefined
  const max = Duration.millis(r.max ?? 5_000)
  return Schedule.exponential(Duration.millis(r.base ?? 200)).pipe(
    Schedule.modifyDelay((_, delay) => Duration.min(delay, max)),
    Schedule.jitteredWith({ min: 0.5, max: 1 }),
    Schedule.intersect(Schedule.recurs(times))
  )
}

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
