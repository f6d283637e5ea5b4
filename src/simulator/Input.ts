/**
 * How the REST core reads a request as the engine does: URL segments, integer parameters (`max`,
 * `from`), XML bodies, the method's parameter constraints with the engine's wording of what is
 * missing, `Expect: 202-accepted`, and the merge of a PUT's members into the stored object.
 */
import { Either } from "effect"
import type { MethodMeta } from "../services/runtime/Metadata.js"
import { signaturesOf, type Unmet, unmetSignatures } from "../services/runtime/Constraints.js"
import { decodeStructSync } from "../types/Xml.js"
import { isPlainObject } from "./Defaults.js"
import { badRequest, incomplete } from "./Faults.js"
import type { ServiceInfo } from "./Model.js"
import type { Obj } from "./Store.js"
import type { EngineRequest } from "./Targets.js"

/** An integer query parameter as the engine reads one (ParametersHelper): anything else is absent. */
export const intParam = (text: string | null): number | undefined =>
  text === null || !/^\s*[+-]?\d+\s*$/.test(text) ? undefined : Number(text)

/**
 * The `max` parameter as the engine reads it (ParametersHelper.getIntegerParameter): absent, empty or
 * not an integer (or past 2^31-1) is no limit: the engine logs it and goes on; -1 is no limit. A
 * limit below -1 is passed on by the engine to its search as the row limit, which the database
 * refuses: a 400 here, saying why.
 */
export const maxParam = (text: string | null): number | undefined => {
  const n = intParam(text)
  if (n === undefined) return undefined
  if (n === -1 || n > 2 ** 31 - 1) return undefined
  if (n < -1) throw badRequest(`Value '${text}' of parameter 'max' is negative: give a number of results from 0, or -1 for no limit`)
  return n
}

export const decodeSegment = (s: string): string => {
  try {
    return decodeURIComponent(s)
  } catch {
    throw badRequest(`malformed URL segment: ${s}`)
  }
}

/** A request body as a `<tag>` document of `structName`, or a 400 saying why it is not one. */
export const decodeBody = (structName: string, text: string, tag: string): Obj => {
  if (text.trim() === "") throw badRequest(`Request syntactically incorrect: the body must be a <${tag}> document`)
  return Either.getOrThrowWith(decodeStructSync(structName, text, { tag }), (e) => badRequest(`Request syntactically incorrect: ${e.message}`)) as Obj
}

/** The name of the parameter a method's body fills. */
export const bodyParameter = (method: MethodMeta): string =>
  method.body ?? method.parameters.find((p) => p.in && p.out)?.name ?? "body"

/** `Expect: 202-accepted` asks the engine not to block. */
export const expectsNonBlocking = (req: EngineRequest): boolean => /\b202-accepted\b/i.test(req.headers["expect"] ?? "")

/**
 * The input must satisfy one of the method's signatures, by the rule the SDK checks before sending
 * (src/services/runtime/Constraints.ts): `POST /disks` with `storage_domains` and a size is an add on a
 * storage domain and needs no `interface`. A refusal names what the closest signature misses, as the
 * engine's `validateParameters` words it: `Disk [format, provisionedSize] required for add`.
 */
export const checkConstraints = (
  service: ServiceInfo,
  method: MethodMeta,
  input: Obj,
  structName: string,
  verb: string,
  body?: string
): void => {
  const unmet = unmetSignatures(signaturesOf(service.methods, method), (name) => input[name])
  if (unmet !== undefined) throw incomplete(structName, engineWording((unmet[0] as Unmet).missing, body), verb)
}

/**
 * Missing inputs (`disk.provisionedSize`, `vm.cluster.id or vm.cluster.name`, `disk.storageDomains[0].id`)
 * as the engine names them: below the body's object, without list indexes, alternatives joined by `|`
 * after their common part (`cluster.id|name`).
 */
const engineWording = (missing: ReadonlyArray<string>, body: string | undefined): Array<string> =>
  missing.map((item) => {
    const alternatives = item.split(" or ").map((path) => {
      const steps = path.replace(/\[[0-9]*\]/g, "").split(".")
      return steps.length > 1 && steps[0] === body ? steps.slice(1) : steps
    })
    const first = alternatives[0] as Array<string>
    let common = 0
    while (common < first.length - 1 && alternatives.every((a) => a.length > common + 1 && a[common] === first[common])) common++
    const prefix = first.slice(0, common).join(".")
    const rests = alternatives.map((a) => a.slice(common).join(".")).join("|")
    return prefix === "" ? rests : `${prefix}.${rests}`
  })

/** PUT semantics: members sent replace the stored ones; nested structs merge member by member. */
export const mergeInto = (target: Obj, changes: Obj): void => {
  for (const [k, v] of Object.entries(changes)) {
    if (v === undefined) continue
    const current = target[k]
    if (isPlainObject(v) && isPlainObject(current)) {
      const copy = { ...current }
      mergeInto(copy, v)
      target[k] = copy
    } else target[k] = v
  }
}
