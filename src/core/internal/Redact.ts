/**
 * Keeping secrets out of logs, errors and spans: header, form, JSON, XML and query redaction by
 * name, plus a scrubber that removes the literal password and tokens wherever they might appear.
 */

import type { ApiRequest } from "./Wire.js"

export const REDACTED = "<redacted>"

/** Names whose values are secret: `password`, `root_password`, `access_token`, `X-Auth-Token`, `Authorization`, ... */
export const secretName = /passw(or)?d|passphrase|secret|(^|[-_])token$|authorization|cookie|api[-_]?key|credential/i

/** Headers with secret values (`Authorization`, cookies, ...) replaced. Names are kept as given. */
export const headers = (input: Readonly<Record<string, string>>): Record<string, string> => {
  const out: Record<string, string> = {}
  for (const [name, value] of Object.entries(input)) out[name] = secretName.test(name) ? REDACTED : value
  return out
}

/** A form body (`grant_type=password&username=...&password=...`) with secret fields replaced. */
export const form = (body: string): string =>
  body.replace(/(^|&)([^=&]*)=([^&]*)/g, (match, sep: string, name: string) =>
    secretName.test(formDecoded(name)) ? `${sep}${name}=${REDACTED}` : match
  )

/** A form-encoded name as text; one that is not valid percent-encoding (`%zz`) as written. */
const formDecoded = (text: string): string => {
  try {
    return decodeURIComponent(text.replace(/\+/g, " "))
  } catch {
    return text
  }
}

/** A JSON text with the string values of secret keys (`access_token`, `password`, ...) replaced. */
export const json = (text: string, extraNames: ReadonlyArray<string> = []): string =>
  text.replace(/"([^"\\]*)"(\s*:\s*)("(?:[^"\\]|\\.)*"|\[\s*"(?:[^"\\]|\\.)*"\s*\])/g, (match, name: string, colon: string) =>
    secretName.test(name) || extraNames.includes(name) ? `"${name}"${colon}"${REDACTED}"` : match
  )

/**
 * An XML body with the text of secret elements (`<root_password>`, `<password>`, ...) replaced, and
 * the ticket in image transfers' `<transfer_url>`/`<proxy_url>` (see `imageioUrl`).
 */
export const xml = (text: string): string =>
  text.replace(/<([\w.-]*(?:password|secret|token)[\w.-]*)(\s[^>]*)?>([^<]*)<\/\1>/gi, (_m, tag: string, attrs: string | undefined) =>
    `<${tag}${attrs ?? ""}>${REDACTED}</${tag}>`
  ).replace(/<(transfer_url|proxy_url)>([^<]*)<\/\1>/g, (_m, tag: string, url: string) => `<${tag}>${imageioUrl(url)}</${tag}>`)

/**
 * An imageio URL (`https://host:54322/images/<ticket>`) with its ticket replaced: the ticket grants
 * access to a disk's bytes to whoever holds it, so it is a secret like a token.
 */
export const imageioUrl = (url: string): string =>
  url.replace(/(\/images\/)([^/?#\s]+)/, (match, prefix: string, ticket: string) => (ticket === "*" ? match : `${prefix}${REDACTED}`))

/** A query string or a path with a query, with the values of secret parameters replaced. */
export const pathWithQuery = (path: string): string => {
  const at = path.indexOf("?")
  return at < 0 ? path : path.slice(0, at + 1) + form(path.slice(at + 1))
}

/** A request's path below the API root with its query, as sent: `vms?search=name%3Dweb`, "" for the root. */
export const pathAndQuery = (request: Pick<ApiRequest, "path" | "query" | "options">): string => {
  const params = new URLSearchParams()
  for (const [name, value] of request.query ?? []) params.append(name, value)
  for (const [name, value] of Object.entries(request.options?.query ?? {})) params.append(name, String(value))
  const query = params.toString()
  return query === "" ? request.path : `${request.path}?${query}`
}

/** The `path` every error of a request carries: `pathAndQuery` with the values of secret parameters replaced. */
export const requestPath = (request: Pick<ApiRequest, "path" | "query" | "options">): string => pathWithQuery(pathAndQuery(request))

/**
 * Every shape in which the SDK writes a secret, so an answer that echoes the request shows none of
 * them: as is, `encodeURIComponent` (paths), `application/x-www-form-urlencoded` (the SSO form and
 * query strings: space as `+`, `!'()~` escaped), XML/HTML text, and a JSON string's content.
 */
export const shapes = (secret: string): ReadonlyArray<string> => [
  secret,
  encodeURIComponent(secret),
  new URLSearchParams([["", secret]]).toString().slice(1),
  secret.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;").replace(/'/g, "&apos;"),
  secret.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;").replace(/'/g, "&#39;"),
  JSON.stringify(secret).slice(1, -1)
]

/**
 * Removes known secret values (the password, every token seen) from any text: the last line of
 * defence for messages built from server answers, which may echo what they were sent.
 */
export class Scrubber {
  private readonly secrets = new Set<string>()
  /** Longest first: a shape that contains another is removed whole. */
  private ordered: ReadonlyArray<string> = []

  add(secret: string | undefined): void {
    // very short values would redact ordinary words; they are not worth hiding that way
    if (secret === undefined || secret.length < 4) return
    for (const shape of shapes(secret)) this.secrets.add(shape)
    this.ordered = [...this.secrets].sort((a, b) => b.length - a.length)
  }

  scrub(text: string): string {
    let out = text
    for (const secret of this.ordered) if (out.includes(secret)) out = out.split(secret).join(REDACTED)
    return out
  }
}

/**
 * Secrets that a failure's text may carry by their shape rather than by a known value: `Bearer`,
 * `Basic` or `Negotiate` credentials, a URL's password, the values of secret query or form parameters
 * and JSON keys, and imageio tickets.
 */
export const text = (input: string): string =>
  json(input)
    .replace(/\b(Bearer|Basic|Negotiate)\s+[^\s"',;]+/gi, `$1 ${REDACTED}`)
    .replace(/(\/\/[^/:@\s]*:)[^@/\s]+@/g, `$1${REDACTED}@`)
    .replace(/(^|[?&;\s])([^=&?;\s]+)=([^&;\s#"']*)/g, (match, sep: string, name: string) =>
      secretName.test(formDecoded(name)) ? `${sep}${name}=${REDACTED}` : match
    )
    .replace(/(\/images\/)([^/?#\s]+)/g, (match, prefix: string, ticket: string) => (ticket === "*" ? match : `${prefix}${REDACTED}`))

/** How deep a `cause` chain is copied: undici nests two or three levels; a loop must end. */
const MAX_CAUSE_DEPTH = 6

/**
 * A copy of a failure to keep as an error's `cause`, so that `Cause.pretty`, loggers and spans show
 * what failed underneath: name, code, message and stack frames, and along the `cause` chain and an
 * AggregateError's `errors`, with every text passed through `scrub` (the connection's known secrets)
 * and `text` (secrets by shape). The code joins the name as Node prints it (`Error [ECONNRESET]`),
 * since `Cause.pretty` shows a cause's name and message only.
 */
export const failure = (value: unknown, scrub: (text: string) => string = (t) => t, depth = 0): Error => {
  const clean = (t: string) => text(scrub(t))
  if (!(value instanceof Error)) return new Error(clean(typeof value === "string" ? value : String(value)))
  const { cause, code, syscall, errors } = value as { cause?: unknown; code?: unknown; syscall?: unknown; errors?: unknown }
  const deeper = depth + 1 < MAX_CAUSE_DEPTH
  const copy = new Error(clean(value.message), cause !== undefined && deeper ? { cause: failure(cause, scrub, depth + 1) } : undefined)
  copy.name = typeof code === "string" && !value.message.includes(code) ? `${value.name} [${code}]` : value.name
  if (typeof code === "string") Object.assign(copy, { code })
  if (typeof syscall === "string") Object.assign(copy, { syscall })
  if (Array.isArray(errors) && deeper) Object.assign(copy, { errors: errors.slice(0, 8).map((e) => failure(e, scrub, depth + 1)) })
  const frames = (value.stack ?? "").split("\n").filter((line) => /^\s+at /.test(line))
  copy.stack = [`${copy.name}: ${copy.message}`, ...frames.map(clean)].join("\n")
  return copy
}
