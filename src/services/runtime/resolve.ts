/**
 * `service(path)`: the ref at a path below the API root, found by walking the locators from `system`,
 * so `service("vms/123/diskattachments")` is the same ref as `system.vms.vm("123").diskAttachments`.
 * Path segments are taken as URL-escaped (as in an `href`); a locator's parameter gets the unescaped
 * value, which the ref escapes again.
 */
import { Effect, Either } from "effect"
import { InvalidInputError } from "../../core/Errors.js"
import { checkPath } from "../../core/internal/Paths.js"
import { services } from "../generated/metadata.js"
import type { LocatorMeta, ServiceMeta } from "./Metadata.js"
import type { ServiceRef } from "../ServiceRef.js"
import { system } from "../system.js"

let byName: ReadonlyMap<string, ServiceMeta> | undefined

const metaOf = (name: string): ServiceMeta => {
  byName ??= new Map(services.map((s) => [s.name, s]))
  const meta = byName.get(name)
  if (meta === undefined) throw new Error(`no metadata for service ${name}`)
  return meta
}

const unescape = (segment: string): string | undefined => {
  try {
    return decodeURIComponent(segment)
  } catch {
    return undefined
  }
}

const step = (ref: ServiceRef, locator: LocatorMeta, value: string | undefined): ServiceRef => {
  const member: unknown = (ref as unknown as Readonly<Record<string, unknown>>)[locator.name]
  if (value === undefined) return member as ServiceRef
  return (member as (this: ServiceRef, value: string) => ServiceRef).call(ref, value)
}

/** The ref at `path` (e.g. `vms/123/diskattachments`; leading and trailing `/` ignored). */
export const resolveSync = (path: string): Either.Either<ServiceRef, InvalidInputError> => {
  const segments = path.split("/").filter((s, i, all) => s !== "" || (i > 0 && i < all.length - 1))
  let ref: ServiceRef = system
  let done = ""
  for (const segment of segments) {
    const meta = metaOf(ref.service)
    const fixed = meta.locators.find((l) => l.parameter === null && l.path === segment)
    const where = done === "" ? "the API root" : `/${done}`
    if (fixed !== undefined) {
      ref = step(ref, fixed, undefined)
    } else {
      const byValue = meta.locators.find((l) => l.parameter !== null)
      const value = segment === "" ? undefined : unescape(segment)
      if (byValue === undefined || value === undefined) {
        return Either.left(new InvalidInputError({
          message: `unknown path segment ${JSON.stringify(segment)} below ${where} (${meta.name}); known: ${
            meta.locators.map((l) => l.path).join(", ") || "none"
          }`,
          paths: [segment]
        }))
      }
      ref = step(ref, byValue, value)
    }
    done = ref.path
  }
  return Either.right(ref)
}

/**
 * The ref at `path`, or `InvalidInputError` naming the first segment no locator knows, or an id that
 * cannot name one segment (`..`, `%2e`, an empty one): such a ref could reach another object.
 */
export const service = (path: string): Effect.Effect<ServiceRef, InvalidInputError> =>
  Effect.suspend(() => {
    if (typeof path !== "string") {
      return Effect.fail(new InvalidInputError({ message: `service(path): the path must be a string (got ${typeof path}).`, paths: ["path"] }))
    }
    return Either.flatMap(resolveSync(path), (ref) => Either.map(checkPath(ref.path, `service(${JSON.stringify(path)})`), () => ref))
  })
