/**
 * The bits of HTTP the simulator's front reads by hand: a request target taken apart as sent, boolean
 * parameters read as the engine reads them, and request bodies read with a bound (what is over it is
 * discarded, never held).
 */
import type * as http from "node:http"

/** The path and the query (with its `?`) of a request target, taken apart without resolving anything. */
export const splitTarget = (target: string): { readonly path: string; readonly search: string } => {
  // An absolute-form target (`GET https://host/path`) names the path after the authority.
  const absolute = /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*/i.exec(target)
  const rest = absolute ? target.slice(absolute[0].length) || "/" : target
  const q = rest.indexOf("?")
  const path = (q < 0 ? rest : rest.slice(0, q)).replace(/#.*$/, "")
  return { path, search: q < 0 ? "" : rest.slice(q).replace(/#.*$/, "") }
}

/**
 * A boolean query parameter as the engine reads one (its ParametersHelper): `whenEmpty` when present
 * without a value (`?all_content`), `whenMissing` when absent or not a boolean (the engine logs and
 * ignores it); else t, true, y, yes, 1 or f, false, n, no, 0 in any case.
 */
export const booleanParameter = (text: string | null | undefined, whenEmpty: boolean, whenMissing: boolean): boolean => {
  if (text === null || text === undefined) return whenMissing
  if (text === "") return whenEmpty
  if (/^(t(rue)?|y(es)?|1)$/i.test(text)) return true
  if (/^(f(alse)?|n(o)?|0)$/i.test(text)) return false
  return whenMissing
}

/** The most common boolean parameter: true when present and empty or true, false when absent. */
export const isTrue = (text: string | null | undefined): boolean => booleanParameter(text, true, false)

/**
 * The whole body, "too large" as soon as more than `limit` bytes arrived (the rest is discarded), or
 * "aborted" when the client went away before sending all of it (nothing to answer, nothing failed).
 */
export const readBounded = (req: http.IncomingMessage, limit: number): Promise<Buffer | "too large" | "aborted"> =>
  new Promise((resolve) => {
    const chunks: Array<Buffer> = []
    let size = 0
    const onData = (c: Buffer) => {
      size += c.length
      if (size > limit) {
        req.off("data", onData)
        chunks.length = 0
        resolve("too large")
        return
      }
      chunks.push(c)
    }
    req.on("data", onData)
    req.once("error", () => resolve("aborted"))
    req.once("close", () => {
      if (!req.complete) resolve("aborted")
    })
    req.once("end", () => resolve(Buffer.concat(chunks)))
  })

/** How long a connection whose upload was refused may stay open for its client to read the answer. */
const LINGER_MS = 10_000

/**
 * Reads and drops what is left of a body, up to `limit` bytes. Past that it stops reading, so the
 * sender is held back by TCP rather than reset (a reset can destroy the answer before the client read
 * it), and closes the connection once the client does, or after `LINGER_MS`.
 */
export const discardBounded = (req: http.IncomingMessage, limit: number): void => {
  let size = 0
  const onData = (c: Buffer) => {
    size += c.length
    if (size <= limit) return
    req.off("data", onData)
    req.pause()
    const socket = req.socket
    const timer = setTimeout(() => socket.destroy(), LINGER_MS)
    timer.unref()
    socket.once("close", () => clearTimeout(timer))
  }
  req.on("data", onData)
  req.on("error", () => undefined)
  req.resume()
}
