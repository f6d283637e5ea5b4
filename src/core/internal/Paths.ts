/**
 * Paths below the API root, checked before anything is sent: each segment must reach the engine as
 * exactly the one segment it names. URL normalisation (WHATWG URL in the HTTP client, proxies, the
 * engine's servlet container) turns a `.` or `..` segment, also percent-encoded (`%2e%2E`), into
 * nothing or a step up, so `vm(id).nics.nic("..").remove()` would remove the VM itself. Such segments
 * are refused, as are empty ones, characters a segment may not hold unescaped (`/`, `?`, `#`, `\`, a
 * lone `%`, spaces, ...) and the mark a locator leaves for an id that is not a string.
 */
import { Either } from "effect"
import { InvalidInputError } from "../Errors.js"

/** RFC 3986 `pchar`s: what a segment may hold as is; WHATWG URL changes none of them. */
const SEGMENT = /^(?:[A-Za-z0-9\-._~!$&'()*+,;=:@]|%[0-9A-Fa-f]{2})+$/

/** The segment a locator writes for an id that is not a string: `{undefined}`, `{object}`, ... (never a valid segment). */
export const notAStringSegment = (value: unknown): string => `{${value === null ? "null" : typeof value}}`

const NOT_A_STRING = /^\{(\w+)\}$/

/** Non-empty segments without dots or escapes (ids, the model's words): the common case, all sound. */
const PLAIN = /^[A-Za-z0-9\-_~!$&'()*+,;=:@]+(?:\/[A-Za-z0-9\-_~!$&'()*+,;=:@]+)*$/

/** Whether `path` is plain: segments the URL parser keeps exactly as written (checked by `checkPath` too). */
export const isPlainPath = (path: string): boolean => path === "" || PLAIN.test(path)

const decoded = (segment: string): string => {
  try {
    return decodeURIComponent(segment)
  } catch {
    return segment
  }
}

/** Why `segment` (escaped) cannot name one path segment, or undefined when it can. */
export const segmentProblem = (segment: string): string | undefined => {
  if (segment === "") return "an empty segment (an id \"\"?)"
  const kind = NOT_A_STRING.exec(segment)?.[1]
  if (kind !== undefined) return `an id that is not a string (${kind})`
  if (!SEGMENT.test(segment)) return `the segment ${JSON.stringify(segment)}, which holds characters that must be percent-encoded`
  const value = decoded(segment)
  if (value === "." || value === "..") return `the dot segment ${JSON.stringify(segment)}, which URL normalisation would turn into ${value === "." ? "the same" : "the parent"} path`
  return undefined
}

/**
 * `path` (escaped, below the API root, no leading slash; "" for the root) when it can be sent as
 * written, else why not. `where` names the call for the message.
 */
export const checkPath = (path: string, where: string): Either.Either<string, InvalidInputError> => {
  if (isPlainPath(path)) return Either.right(path)
  for (const segment of path.split("/")) {
    const problem = segmentProblem(segment)
    if (problem !== undefined) {
      return Either.left(new InvalidInputError({
        message: `${where}: the path /${path} has ${problem}: an id or path segment must be a non-empty string other than "." and "..". Nothing was sent.`,
        paths: ["path"]
      }))
    }
  }
  return Either.right(path)
}
