/**
 * Links: a struct the engine sent only as a reference (`<cluster href="..." id="..."/>`) or a list
 * it did not inline (a `ListLink` with `href`). Following one GETs its `href` and decodes the answer
 * by its root tag: a struct for a struct link, an array for a list link.
 */
import { Effect, Either } from "effect"
import { DecodeError, InvalidInputError, type OvirtError } from "../Errors.js"
import type { ApiRequest, ApiResponse, CallOptions, DecodeDocument } from "./Wire.js"
import { checkPath } from "./Paths.js"

/** What following `A` gives: the items of a list link, or the full struct. */
export type Followed<A> = A extends ReadonlyArray<infer I> ? ReadonlyArray<I> : A

/** Whether `value` (a struct or a list) carries an `href` that `followLink` can fetch. */
export const isLink = (value: unknown): value is { readonly href: string } =>
  typeof value === "object" && value !== null && typeof (value as { readonly href?: unknown }).href === "string"

/**
 * The path below the API root of an `href` (`/ovirt-engine/api/vms/1` → `vms/1`), or undefined when it
 * is elsewhere or would not name its own segments: the href's path must be absolute, on the API's
 * origin, and exactly what URL normalisation leaves of it (no `..`, `%2e`, `\\` or `//` to resolve).
 */
export const pathOf = (href: string, apiUrl: URL): string | undefined => {
  if (typeof href !== "string" || /[\\\s\u0000-\u001f]/.test(href)) return undefined
  let target: URL
  try {
    target = new URL(href, apiUrl)
  } catch {
    return undefined
  }
  const root = apiUrl.pathname.replace(/\/+$/, "")
  if (target.origin !== apiUrl.origin || target.hash !== "" || href.includes("#")) return undefined
  // the path as written: after the scheme and authority when absolute, up to the query
  const written = href.replace(/^[a-z][a-z0-9+.-]*:\/\/[^/?#]*/i, "").split("?", 1)[0] as string
  if (!written.startsWith("/") || written.startsWith("//") || written !== target.pathname) return undefined
  if (target.pathname === root) return target.search === "" ? "" : target.search
  if (!target.pathname.startsWith(root + "/")) return undefined
  const path = target.pathname.slice(root.length + 1)
  return Either.isRight(checkPath(path, "followLink")) ? path + target.search : undefined
}

export const followLink =
  (
    apiUrl: URL,
    send: (request: ApiRequest) => Effect.Effect<ApiResponse, OvirtError>,
    errorPath: (request: ApiRequest) => string,
    scrub: (text: string) => string,
    decode: DecodeDocument
  ) =>
  <A>(value: A, options?: CallOptions): Effect.Effect<Followed<A>, OvirtError> =>
    Effect.gen(function* () {
      if (!isLink(value)) {
        return yield* Effect.fail(new InvalidInputError({ message: "followLink: the value has no `href`: it is not a link." }))
      }
      const path = pathOf(value.href, apiUrl)
      if (path === undefined) {
        return yield* Effect.fail(new InvalidInputError({
          message: `followLink: ${scrub(JSON.stringify(value.href))} is not a path below the API root ${apiUrl.href} that names exactly its segments (an absolute path on the same origin, without "." or ".." segments); nothing was sent.`
        }))
      }
      const [bare, query = ""] = path.split("?", 2) as [string, string?]
      const pairs = [...new URLSearchParams(query)].map(([k, v]) => [k, v] as const)
      const request: ApiRequest = {
        method: "GET",
        path: bare,
        ...(pairs.length === 0 ? {} : { query: pairs }),
        operation: "followLink",
        ...(options === undefined ? {} : { options })
      }
      const response = yield* send(request)
      const where = { method: "GET", path: errorPath(request), code: response.status }
      const decoded = yield* Effect.mapError(decode(response.body), (error) => new DecodeError({ ...error, ...where }))
      const wantsList = Array.isArray(value)
      if (wantsList !== Array.isArray(decoded)) {
        return yield* Effect.fail(new DecodeError({
          ...where,
          message: `followLink: /${where.path} gave ${Array.isArray(decoded) ? "a list" : "a single object"} where ${wantsList ? "a list" : "an object"} was expected.`
        }))
      }
      return decoded as Followed<A>
    })
