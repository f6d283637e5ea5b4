/**
 * The engine's error answers, thrown inside the simulator and turned into `<fault>` documents
 * (or the SSO service's JSON, or the HTML 401 page) at the edge.
 */
import { Either } from "effect"
import { encodeStructSync } from "../types/Xml.js"

export class HttpFault extends Error {
  constructor(
    readonly status: number,
    readonly reason: string,
    readonly detail: string
  ) {
    super(`${status} ${reason}: ${detail}`)
  }

  xml(): string {
    return Either.getOrThrowWith(encodeStructSync("Fault", { reason: this.reason, detail: this.detail }), (e) => e)
  }
}

export const notFound = (what: string): HttpFault =>
  new HttpFault(404, "Operation Failed", `Entity not found: ${what}`)

export const conflict = (detail: string): HttpFault => new HttpFault(409, "Operation Failed", `[${detail}]`)

export const badRequest = (detail: string): HttpFault => new HttpFault(400, "Operation Failed", detail)

export const incomplete = (struct: string, paths: ReadonlyArray<string>, method: string): HttpFault =>
  new HttpFault(400, "Incomplete parameters", `${struct} [${paths.join(", ")}] required for ${method}`)

export const notAllowed = (verb: string, path: string): HttpFault =>
  new HttpFault(405, "Method Not Allowed", `${verb} is not supported on /${path}`)
