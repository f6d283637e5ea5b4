/**
 * Writing the simulator's answers: gzip when the client accepts it, no body for HEAD, the slow-body
 * knob (the body in pieces with a pause between), and what is left of an unread request body
 * drained with a bound.
 */
import type * as http from "node:http"
import * as zlib from "node:zlib"
import { discardBounded } from "./Requests.js"

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

export interface SendOptions {
  /** The pause between the body's pieces, in milliseconds (0: all at once). */
  readonly slowBodyMs: number
  /** The most of an unread request body drained before the sender is held back. */
  readonly maxRequestBytes: number
}

/** Sends `text` as the answer, with `status` and content `type`. */
export const send = async (req: http.IncomingMessage, res: http.ServerResponse, options: SendOptions, status: number, type: string, text: string): Promise<void> => {
  let payload: Buffer = Buffer.from(text, "utf8")
  const headers: Record<string, string> = { "Content-Type": type }
  if (payload.length > 0 && /\bgzip\b/.test(String(req.headers["accept-encoding"] ?? ""))) {
    payload = zlib.gzipSync(payload, { level: 1 })
    headers["Content-Encoding"] = "gzip"
  }
  if (req.method === "HEAD") payload = Buffer.alloc(0)
  headers["Content-Length"] = String(payload.length)
  if (!req.complete && req.listenerCount("data") === 0) {
    // Answered without reading the body (401, 413, a fault knob): read and drop at most
    // `maxRequestBytes` more of it, then hold the sender back until it closes. Closing at once
    // would reset the connection under a client still sending, which can lose the answer;
    // reading all of it would take a 300 MiB upload in full.
    discardBounded(req, options.maxRequestBytes)
  }
  res.writeHead(status, headers)
  const pause = options.slowBodyMs
  if (pause <= 0 || payload.length === 0) {
    res.end(payload)
    return
  }
  const piece = Math.max(64, Math.ceil(payload.length / 20))
  for (let offset = 0; offset < payload.length; offset += piece) {
    if (res.destroyed) return
    res.write(payload.subarray(offset, offset + piece))
    await sleep(pause)
  }
  res.end()
}
