/**
 * Links: a struct the engine sent only as a reference (`<cluster href="..." id="..."/>`) or a list
 * it did not inline (a `ListLink` with `href`). Following one GETs its `href` and decodes the answer
 * by its root tag: a struct for a struct link, an array for a list link.
 */
import { Effect } from "effect"
import type { ApiRequest, ApiResponse, CallOptions } from "./Connection.js"
import { DecodeError, InvalidInputError, type OvirtError } from "./Errors.js"
import * as Xml from "./Xml.js"

/** What following `A` gives: the items of a list link, or the full struct. */
export type Followed<A> = A extends ReadonlyArray<infer I> ? ReadonlyArray<I> : A

/** Whether `value` (a struct or a list) carries an `href` that `followLink` can fetch. */
export const isLink = (value: unknown): value is { readonly href: string } =>
  typeof value === "object" && value !== null && typeof (value as { readonly href?: unknown }).href === "string"

/** The path below the API root of an `href` (`/ovirt-engine/api/vms/1` → `vms/1`), or undefined when it is elsewhere. */
export const pathOf = (href: string, apiUrl: URL): string | undefined => {
  const target = new URL(href, apiUrl)
  const root = apiUrl.pathname.replace(/\/+$/, "")
  if (target.origin !== apiUrl.origin) return undefined
  if (target.pathname === root) return target.search === "" ? "" : target.search
  if (!target.pathname.startsWith(root + "/")) return undefined
  return target.pathname.slice(root.length + 1) + target.search
}

export const followLink =
  (apiUrl: URL, send: (request: ApiRequest) => Effect.Effect<ApiResponse, OvirtError>) =>
  <A>(value: A, options?: CallOptions): Effect.Effect<Followed<A>, OvirtError> =>
    Effect.gen(function* () {
      if (!isLink(value)) {
        return yield* Effect.fail(new InvalidInputError({ message: "followLink: the value has no `href`: it is not a link." }))
      }
      const path = pathOf(value.href, apiUrl)
      if (path === undefined) {
        return yield* Effect.fail(new InvalidInputError({
          message: `followLink: ${value.href} is not below the API root ${apiUrl.href}.`
        }))
      }
      const [bare, query = ""] = path.split("?", 2) as [string, string?]
      const pairs = [...new URLSearchParams(query)].map(([k, v]) => [k, v] as const)
      const response = yield* send({
        method: "GET",
        path: bare,
        ...(pairs.length === 0 ? {} : { query: pairs }),
        operation: "followLink",
        ...(options === undefined ? {} : { options })
      })
      const decoded = yield* Effect.mapError(Xml.decode(response.body), (error) =>
        new DecodeError({ ...error, method: "GET", path: bare, code: response.status }))
      const wantsList = Array.isArray(value)
      if (wantsList !== Array.isArray(decoded)) {
        return yield* Effect.fail(new DecodeError({
          method: "GET",
          path: bare,
          code: response.status,
          message: `followLink: ${value.href} gave ${Array.isArray(decoded) ? "a list" : "a single object"} where ${wantsList ? "a list" : "an object"} was expected.`
        }))
      }
      return decoded as Followed<A>
    })
