/**
 * `ServiceAt<"vms/123/diskattachments">` is `DiskAttachmentsServiceRef`: the ref type `service(path)`
 * gives for a literal path, found by walking the generated ref interfaces the way `resolveSync` walks
 * the metadata (a segment is a fixed locator when one is named so in lower case, else an id). Computed
 * only for the literals a program writes, so it costs the type checker nothing for paths not used.
 * A path that is not a literal gives `ServiceRef`; a literal no locator knows gives `never`.
 */
import type { SystemServiceRef } from "./generated/SystemService.js"
import type { ServiceRef } from "./ServiceRef.js"

type Trim<P extends string> = P extends `/${infer R}` ? Trim<R> : P extends `${infer R}/` ? Trim<R> : P

type Segments<P extends string> = P extends "" ? [] : P extends `${infer H}/${infer T}` ? [H, ...Segments<T>] : [P]

/** The member of `R` that is a fixed locator written `segment` in a path. */
type Fixed<R, Segment extends string> = {
  [K in keyof R]: K extends string ? (Lowercase<K> extends Segment ? (R[K] extends ServiceRef ? K : never) : never) : never
}[keyof R]

/** The ref an id locator of `R` gives (`vm(id)` of the VMs), never when `R` has none. */
type ById<R> = { [K in keyof R]: R[K] extends (id: string) => infer S ? (S extends ServiceRef ? S : never) : never }[keyof R]

type Step<R, Segment extends string> = [Fixed<R, Segment>] extends [never] ? (Segment extends "" ? never : ById<R>) : R[Fixed<R, Segment> & keyof R]

type Walk<R, S extends ReadonlyArray<string>> = S extends readonly [infer H extends string, ...infer T extends ReadonlyArray<string>]
  ? [Step<R, H>] extends [never] ? never : Walk<Step<R, H>, T>
  : R

export type ServiceAt<P extends string> = string extends P ? ServiceRef : Walk<SystemServiceRef, Segments<Trim<P>>>
