/**
 * The model's input constraints, checked before a request is sent (by the SDK) or accepted (by the
 * simulator): `mandatory` paths and mandatory `or` groups ("one of these paths"), over the call's
 * input in the caller's names. A path is member names joined by `.`; `name[]` steps into a list
 * (every item must satisfy the rest; the list must not be empty). Missing inputs are reported with
 * the indexes of the offending items (`vm.snapshots[1].id`) and groups as `vm.cluster.id or vm.cluster.name`.
 *
 * An `add` with alternative signatures (VmsService's: `addFromScratch`, `addFromSnapshot`, ...) is
 * accepted, as the engine accepts it, when its input satisfies any one of them.
 */
import type { ConstraintsMeta, MethodMeta } from "./Metadata.js"

interface Step {
  readonly name: string
  readonly list: boolean
}

type Path = ReadonlyArray<Step>

/** One mandatory path, or a group of paths of which one must be present. */
export type Requirement = ReadonlyArray<Path>

const parse = (path: string): Path =>
  path.split(".").map((segment) => (segment.endsWith("[]") ? { name: segment.slice(0, -2), list: true } : { name: segment, list: false }))

/**
 * The requirements of the given constraints (a signature passes its base's and its own), deduplicated;
 * `relaxed` paths are not required.
 */
export const compileRequirements = (all: ReadonlyArray<ConstraintsMeta | undefined>): ReadonlyArray<Requirement> => {
  const seen = new Set<string>()
  const out: Array<Requirement> = []
  const add = (paths: ReadonlyArray<string>): void => {
    const key = paths.join("|")
    if (seen.has(key)) return
    seen.add(key)
    out.push(paths.map(parse))
  }
  for (const c of all) {
    if (c === undefined) continue
    for (const path of c.mandatory) if (c.relaxed === undefined || !c.relaxed.includes(path)) add([path])
    for (const group of c.or) if (group.mandatory) add(group.paths)
  }
  return out
}

/** One way to call a method: the signature's name (`addFromScratch`, or the method's own) and what it requires. */
export interface Signature {
  readonly name: string
  readonly requirements: ReadonlyArray<Requirement>
}

/**
 * The ways to call `method`, one of which its input must satisfy:
 * - an alternative signature called by name (`addFromScratch`): itself, that is its base's constraints
 *   (what every signature needs) and its own;
 * - an `add` with alternative signatures: each of them, in model order (the base only lists what they
 *   share: `VmsService.add` requires nothing itself, `addFromScratch` a name, a cluster and a template);
 * - any other method: itself. The alternatives of actions only document optional inputs (the engine
 *   approves a host without credentials, with its public key), so they are not insisted on.
 * Paths the generated metadata marks `relaxed` are not required (an engine 4.6 does not insist on
 * them: `disk.interface` of `POST /disks`, moved to the disk attachment).
 */
export const signaturesOf = (methods: ReadonlyArray<MethodMeta>, method: MethodMeta): ReadonlyArray<Signature> => {
  const withBase = (signature: MethodMeta, base: MethodMeta | undefined): Signature => ({
    name: signature.name,
    requirements: compileRequirements([base?.constraints, signature.constraints])
  })
  if (method.signatureOf !== undefined) return [withBase(method, methods.find((m) => m.name === method.signatureOf))]
  const alternatives = method.kind === "add" ? methods.filter((m) => m.signatureOf === method.name) : []
  return alternatives.length === 0 ? [withBase(method, undefined)] : alternatives.map((a) => withBase(a, method))
}

/** A signature the input does not satisfy, and what it misses (as `missingInputs` says it). */
export interface Unmet {
  readonly signature: string
  readonly missing: ReadonlyArray<string>
  /** Requirements of the signature the input meets. */
  readonly met: number
}

/**
 * Undefined when the input satisfies one of the signatures; otherwise what each one misses, the
 * signature missing the fewest inputs first; among equals the one whose requirements the input meets
 * most (a VM with a name is closer to `addFromScratch` than to `addFromConfiguration`), then model order.
 */
export const unmetSignatures = (
  signatures: ReadonlyArray<Signature>,
  input: (name: string) => unknown
): ReadonlyArray<Unmet> | undefined => {
  const unmet: Array<Unmet> = []
  for (const s of signatures) {
    const missing = missingInputs(s.requirements, input)
    if (missing.length === 0) return undefined
    const met = s.requirements.filter((r) => missingInputs([r], input).length === 0).length
    unmet.push({ signature: s.name, missing, met })
  }
  return unmet.sort((a, b) => a.missing.length - b.missing.length || b.met - a.met)
}

/**
 * What `unmetSignatures` found, in the caller's names: `missing mandatory input: vm.name` for a method
 * called one way; for several, each signature with what it misses.
 */
export const describeUnmet = (unmet: ReadonlyArray<Unmet>): string =>
  unmet.length === 1
    ? `missing mandatory input: ${(unmet[0] as Unmet).missing.join("; ")}`
    : `the input satisfies none of its signatures: ${unmet.map((u) => `${u.signature} needs ${u.missing.join(", ")}`).join("; ")}`

/** Set, and for a list not empty. */
const isPresent = (value: unknown): boolean =>
  value !== undefined && value !== null && !(Array.isArray(value) && value.length === 0)

const member = (value: unknown, name: string): unknown =>
  typeof value === "object" && value !== null ? (value as Readonly<Record<string, unknown>>)[name] : undefined

const join = (prefix: string, name: string): string => (prefix === "" ? name : `${prefix}.${name}`)

/** The rest of a path from step `i`, as text below `prefix`. */
const rest = (prefix: string, path: Path, i: number): string =>
  path.slice(i).reduce((acc, step) => `${join(acc, step.name)}${step.list ? "[]" : ""}`, prefix)

/** Missing places of `path` from step `i` in `value` (reached as `prefix`). */
const missingPath = (value: unknown, path: Path, i: number, prefix: string): ReadonlyArray<string> => {
  if (i === path.length) return []
  const step = path[i] as Step
  const v = member(value, step.name)
  const here = join(prefix, step.name)
  if (!isPresent(v)) return [rest(prefix, path, i)]
  if (!step.list) return missingPath(v, path, i + 1, here)
  if (!Array.isArray(v)) return [rest(prefix, path, i)]
  return v.flatMap((item, k) => (isPresent(item) ? missingPath(item, path, i + 1, `${here}[${k}]`) : [rest(`${here}[${k}]`, path, i + 1) || `${here}[${k}]`]))
}

const sameStep = (paths: ReadonlyArray<Path>, i: number): Step | undefined => {
  const first = paths[0]?.[i]
  if (first === undefined) return undefined
  for (const p of paths) {
    const step = p[i]
    if (p.length === i + 1 || step === undefined || step.name !== first.name || step.list !== first.list) return undefined
  }
  return first
}

/** A group: steps into the common prefix (per item for lists), then wants one of the paths complete. */
const missingGroup = (value: unknown, paths: ReadonlyArray<Path>, i: number, prefix: string): ReadonlyArray<string> => {
  const alternatives = (): string => paths.map((p) => rest(prefix, p, i)).join(" or ")
  const step = sameStep(paths, i)
  if (step === undefined) {
    return paths.some((p) => missingPath(value, p, i, prefix).length === 0) ? [] : [alternatives()]
  }
  const v = member(value, step.name)
  const here = join(prefix, step.name)
  if (!isPresent(v)) return [alternatives()]
  if (!step.list) return missingGroup(v, paths, i + 1, here)
  if (!Array.isArray(v)) return [alternatives()]
  return v.flatMap((item, k) => missingGroup(item, paths, i + 1, `${here}[${k}]`))
}

/**
 * Every requirement not met, in the caller's names. `input(name)` gives the value of the top-level
 * input `name` (the body or an option).
 */
export const missingInputs = (requirements: ReadonlyArray<Requirement>, input: (name: string) => unknown): ReadonlyArray<string> => {
  if (requirements.length === 0) return []
  const out: Array<string> = []
  for (const requirement of requirements) {
    const heads = new Set(requirement.map((p) => (p[0] as Step).name))
    const root: Record<string, unknown> = {}
    for (const head of heads) root[head] = input(head)
    const missing = requirement.length === 1 ? missingPath(root, requirement[0] as Path, 0, "") : missingGroup(root, requirement, 0, "")
    out.push(...missing)
  }
  return out
}
