/**
 * Trust in a new engine: download its CA from `/ovirt-engine/services/pki-resource` and, when the
 * caller knows the CA's SHA-256 fingerprint (`pin`), check it. The download cannot verify the TLS
 * certificate (that is what the CA is for), so nothing secret is sent on it: no credentials, no
 * token; they go only on connections verified against the CA once it is trusted.
 */
import * as crypto from "node:crypto"
import { Duration, Effect } from "effect"
import { AuthError, type ConnectionError, DecodeError, InvalidInputError, TimeoutError } from "../Errors.js"
import { transportError, undiciModule } from "./Http.js"

export interface FetchCaOptions {
  /**
   * The expected SHA-256 fingerprint of the CA certificate, hex with or without colons
   * (`openssl x509 -noout -fingerprint -sha256`). Without it, the CA is returned unchecked, for a
   * trust-on-first-use prompt that shows `fingerprint`.
   */
  readonly pin?: string
  /** Bounds the download. Default 30 seconds. */
  readonly timeout?: Duration.DurationInput
}

export interface EngineCa {
  /** The CA certificate, PEM. */
  readonly pem: string
  /** Its SHA-256 fingerprint, upper-case hex pairs joined by colons (as openssl shows it). */
  readonly fingerprint: string
}

/** The most a CA answer may hold (a PEM certificate is a few KiB). */
const MAX_BYTES = 256 * 1024

const PKI_PATH = "/ovirt-engine/services/pki-resource?resource=ca-certificate&format=X509-PEM-CA"

const normalizePin = (pin: string): string | undefined => {
  const hex = pin.replace(/^sha256[:/]+/i, "").replace(/[:\s]/g, "").toLowerCase()
  return /^[0-9a-f]{64}$/.test(hex) ? hex : undefined
}

const colons = (hex: string): string => hex.toUpperCase().match(/../g)!.join(":")

/** The URL of the CA download for an engine's API (or any) URL: same scheme, host and port. */
const caUrl = (url: string): string => `${new URL(url).origin}${PKI_PATH}`

/**
 * Downloads the engine's CA certificate. With `pin`, fails with an `AuthError` naming the fingerprint
 * seen when it differs; an answer that is not a PEM certificate is a `DecodeError`.
 */
export const fetchCaCertificate = (
  url: string,
  options: FetchCaOptions = {}
): Effect.Effect<EngineCa, AuthError | ConnectionError | TimeoutError | DecodeError | InvalidInputError> =>
  Effect.gen(function* () {
    let target: string
    try {
      target = caUrl(url)
    } catch {
      return yield* Effect.fail(new InvalidInputError({ message: `fetchCaCertificate: ${JSON.stringify(url)} is not a URL.`, paths: ["url"] }))
    }
    const host = new URL(target).host
    const pin = options.pin === undefined ? undefined : normalizePin(options.pin)
    if (options.pin !== undefined && pin === undefined) {
      return yield* Effect.fail(new InvalidInputError({ message: "`pin` is not a SHA-256 fingerprint: give 64 hex digits, with or without colons.", paths: ["pin"] }))
    }
    const context = { method: "GET", path: PKI_PATH }
    const timeout = Duration.decode(options.timeout ?? "30 seconds")
    const { Agent, request } = yield* undiciModule
    const body = yield* Effect.acquireUseRelease(
      // verification is off for this one request only: the CA that would verify it is what it fetches
      Effect.sync(() => new Agent({ connect: { rejectUnauthorized: false }, connections: 1 })),
      (dispatcher) =>
        Effect.tryPromise({
          try: async (signal) => {
            const answer = await request(target, { dispatcher, signal, headers: { accept: "application/x-pem-file, text/plain" } })
            const chunks: Array<Buffer> = []
            let size = 0
            for await (const chunk of answer.body) {
              size += (chunk as Buffer).length
              if (size > MAX_BYTES) throw new Error(`the answer is larger than ${MAX_BYTES} bytes`)
              chunks.push(chunk as Buffer)
            }
            return { status: answer.statusCode, text: Buffer.concat(chunks).toString("utf8") }
          },
          catch: (cause) => transportError(cause, context, target)
        }).pipe(Effect.timeoutFail({
          duration: timeout,
          onTimeout: () => new TimeoutError({
            ...context,
            phase: "request",
            timeoutMillis: Duration.toMillis(timeout),
            message: `The engine's CA did not arrive from ${host} within ${Duration.format(timeout)}.`
          })
        })),
      (dispatcher) => Effect.promise(() => dispatcher.close())
    )
    const pem = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.exec(body.text)?.[0]
    if (body.status !== 200 || pem === undefined) {
      return yield* Effect.fail(new DecodeError({ ...context, code: body.status, message: `${host} answered the CA download with ${body.status} and no PEM certificate.` }))
    }
    let hex: string
    try {
      hex = new crypto.X509Certificate(pem).fingerprint256.replace(/:/g, "").toLowerCase()
    } catch {
      return yield* Effect.fail(new DecodeError({ ...context, message: `${host} answered the CA download with a PEM block that is not a certificate.` }))
    }
    const fingerprint = colons(hex)
    if (pin !== undefined && pin !== hex) {
      return yield* Effect.fail(new AuthError({
        ...context,
        message: `The CA served by ${host} has the SHA-256 fingerprint ${fingerprint}, not the pinned ${colons(pin)}: not trusted, nothing was sent.`
      }))
    }
    return { pem: `${pem}\n`, fingerprint }
  })
