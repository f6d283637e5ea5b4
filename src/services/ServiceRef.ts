/**
 * What every generated ref shares: the service's model name and its path below the API root. Refs
 * are values: two refs of the same service and path are `Equal` (and `toEqual` in tests).
 */
import { Equal, Hash } from "effect"
import type { ServiceRef } from "../core/internal/Wire.js"
import { notAStringSegment } from "../core/internal/Paths.js"

export type { ServiceRef }

export abstract class ServiceRefBase implements ServiceRef, Equal.Equal {
  constructor(
    readonly service: string,
    readonly path: string
  ) {}

  [Equal.symbol](that: Equal.Equal): boolean {
    return that instanceof ServiceRefBase && that.service === this.service && that.path === this.path
  }

  [Hash.symbol](): number {
    return Hash.cached(this, Hash.string(`${this.service} ${this.path}`))
  }

  toJSON(): ServiceRef {
    return { service: this.service, path: this.path }
  }

  toString(): string {
    return `${this.service}(/${this.path})`
  }
}

/** The path of a fixed locator segment below `path`. */
export const childPath = (path: string, segment: string): string => (path === "" ? segment : `${path}/${segment}`)

/**
 * The path of a locator's parameter (an id) below `path`: the value is escaped. Refs are pure values,
 * so a bad id (`""`, `"."`, `".."`, or not a string at all) is not refused here: it gives a path the
 * Connection refuses with `InvalidInputError` before anything is sent (see core/internal/Paths.ts).
 */
export const idPath = (path: string, id: string): string =>
  childPath(path, typeof id === "string" ? encodeURIComponent(id) : notAStringSegment(id))
