/**
 * API answers to results or errors: status first, body second. 2xx (or the request's own success
 * statuses) must be the engine's XML; 401/403 are AuthError, 404 NotFoundError, anything else a
 * FaultError with the engine's `<fault>` (also inside an `<action>`) decoded.
 */
import { Effect } from "effect"
import { AuthError, DecodeError, FaultError, type FaultInfo, type HttpContext, NotFoundError, type OvirtError } from "../Errors.js"
import type { ApiRequest, ApiResponse, DecodeDocument } from "./Wire.js"
import type * as Redact from "./Redact.js"

export const classify = (
  apiUrl: URL,
  request: ApiRequest,
  context: HttpContext,
  answer: ApiResponse,
  scrubber: Redact.Scrubber,
  decode: DecodeDocument
): Effect.Effect<ApiResponse, OvirtError> => {
  const { status, body } = answer
  const type = answer.headers["content-type"] ?? ""
  const success = request.success
  const ok = success === undefined || success.length === 0 ? status >= 200 && status < 300 : success.includes(status)
  if (ok) {
    if (body !== "" && isHtmlOrJson(type, body)) return Effect.fail(wrongContent(apiUrl, context, status, type, body, scrubber))
    return Effect.succeed(answer)
  }
  return Effect.flatMap(faultOf(type, body, scrubber, decode), (fault): Effect.Effect<ApiResponse, OvirtError> => {
    const where = `${context.method} ${context.path === "" ? "/" : context.path}`
    const faultText = fault === undefined ? "" : `: ${describeFault(fault)}`
    const full = { ...context, code: status, ...(fault === undefined ? {} : { fault }) }
    if (status === 401 || status === 403) {
      return Effect.fail(new AuthError({
        ...full,
        message: status === 401
          ? `The engine refused the credentials for ${where} (401 Unauthorized), also after logging in again${faultText}.`
          : `The user may not do ${where} (403 Forbidden)${faultText}.`
      }))
    }
    if (status === 404) return Effect.fail(new NotFoundError({ ...full, message: `Not found: ${where} (404)${faultText}.` }))
    return Effect.fail(new FaultError({
      ...full,
      message: `The engine answered ${where} with ${status}${faultText !== "" ? faultText : body.trim() === "" ? "" : `: ${shorten(scrubber.scrub(plainText(type, body)))}`}`
    }))
  })
}

export const isHtmlOrJson = (type: string, body = ""): boolean =>
  /text\/html|application\/(?:[\w.+-]*\+)?json/i.test(type) || (type === "" && /^\s*(<!doctype html|<html)/i.test(body))

export const wrongContent = (apiUrl: URL, context: HttpContext, status: number, type: string, body: string, scrubber: Redact.Scrubber): DecodeError => {
  const what = /json/i.test(type) ? "JSON" : "HTML"
  const apiPath = apiUrl.pathname.replace(/\/+$/, "")
  const hint = apiPath === "/ovirt-engine/api"
    ? " Is something other than the engine answering at this address?"
    : ` The url's path is ${apiPath === "" ? "/" : apiPath}; the API root is usually /ovirt-engine/api (${apiUrl.origin}/ovirt-engine/api).`
  return new DecodeError({
    ...context,
    code: status,
    text: shorten(scrubber.scrub(body)),
    message: `The answer to ${context.method} ${context.path === "" ? "/" : context.path} is ${what} (${type || "no content type"}), not the engine's XML.${hint}`
  })
}

/** The engine's `<fault>` (also inside an `<action>`), when the body holds one. */
const faultOf = (type: string, body: string, scrubber: Redact.Scrubber, decode: DecodeDocument): Effect.Effect<FaultInfo | undefined> => {
  if (!/<(fault|action)[\s>]/.test(body) || isHtmlOrJson(type)) return Effect.succeed(undefined)
  // a body that is not the engine's XML has no fault to show: the status alone says what happened
  return Effect.map(Effect.orElseSucceed(decode(body), () => undefined), (decoded) => faultFrom(decoded, (text) => scrubber.scrub(text)))
}

/**
 * The one reader of the engine's faults: a decoded `<fault>`, or an `<action>` carrying one, as
 * `FaultInfo` with the connection's secrets scrubbed (an engine may echo what it was sent).
 */
export const faultFrom = (decoded: unknown, scrub: (text: string) => string): FaultInfo | undefined => {
  const candidate = (decoded as { readonly fault?: unknown } | undefined)?.fault ?? decoded
  if (typeof candidate !== "object" || candidate === null) return undefined
  const { reason, detail } = candidate as { readonly reason?: unknown; readonly detail?: unknown }
  const fault: { reason?: string; detail?: string } = {}
  if (typeof reason === "string") fault.reason = scrub(reason)
  if (typeof detail === "string") fault.detail = scrub(detail)
  return fault.reason === undefined && fault.detail === undefined ? undefined : fault
}

/** A fault for a message: `reason: detail`, either left out when empty. */
export const describeFault = (fault: FaultInfo): string =>
  [fault.reason, fault.detail].filter((s) => s !== undefined && s !== "").join(": ")

/** A body as one line of text for a message: an HTML page without its tags. */
export const plainText = (type: string, body: string): string =>
  /html/i.test(type) ? body.replace(/<[^>]*>/g, " ").replace(/\s+/g, " ").trim() : body.trim()

/** `text` cut to `max` characters for a message. */
export const shorten = (text: string, max = 300): string => (text.length <= max ? text : `${text.slice(0, max)}…`)
