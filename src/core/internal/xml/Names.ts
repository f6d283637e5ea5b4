/**
 * The process-wide table of interned XML names. The tokenizer looks every element and attribute
 * name up here instead of slicing a new string, so a name costs no allocation and carries a small
 * integer id; the reader finds a struct's member by that id in an array instead of hashing the
 * name. The catalog seeds the model's names first, so they always get ids; the table is bounded,
 * and names past the bound (a hostile document) are sliced each time and get the id -1.
 */

const BUCKETS = 4096
const LIMIT = 16384

export class NameTable {
  /** Per bucket: name, id, name, id, ... */
  private readonly buckets: Array<Array<string | number> | undefined> = new Array(BUCKETS)
  /** Number of names with an id (ids are 0 .. size-1). */
  size = 0
  /** The id of the name returned by the last `intern` call (-1 if it was not kept). */
  lastId = -1

  /** The name at [start, end) of `buf`: the interned string, adding it if there is room. */
  intern(buf: string, start: number, end: number): string {
    return this.internHashed(buf, start, end, hashOf(buf, start, end))
  }

  /** `intern` with the name's `hashOf` already computed (the tokenizer does it while scanning). */
  internHashed(buf: string, start: number, end: number, hash: number): string {
    const n = end - start
    const key = hash & (BUCKETS - 1)
    let bucket = this.buckets[key]
    if (bucket !== undefined) {
      for (let k = 0; k < bucket.length; k += 2) {
        const known = bucket[k] as string
        if (known.length === n && sameChars(buf, start, known)) {
          this.lastId = bucket[k + 1] as number
          return known
        }
      }
    }
    const name = buf.slice(start, end)
    if (this.size >= LIMIT) {
      this.lastId = -1
      return name
    }
    if (bucket === undefined) this.buckets[key] = bucket = []
    const kept = flatten(name)
    bucket.push(kept, this.size)
    this.lastId = this.size++
    return kept
  }

  /** The id of `name`, adding it if there is room (-1 if not). */
  id(name: string): number {
    this.intern(name, 0, name.length)
    return this.lastId
  }
}

/** The hash the table files a name under: the same as the tokenizer computes while scanning. */
export const hashOf = (buf: string, start: number, end: number): number => {
  let h = 0
  for (let i = start; i < end; i++) h = (Math.imul(h, 31) + buf.charCodeAt(i)) | 0
  return h
}

/** The one table shared by all tokenizers and catalogs. */
export const names = new NameTable()

/** Whether `buf` holds `name` at `at` (a plain loop: faster than `startsWith` for short names). */
export const sameChars = (buf: string, at: number, name: string): boolean => {
  for (let k = name.length - 1; k >= 0; k--) if (buf.charCodeAt(at + k) !== name.charCodeAt(k)) return false
  return true
}

/**
 * A copy of `s` that does not share the memory of the string it was sliced from (V8 makes a slice
 * of 13 or more characters a view that keeps its whole parent alive).
 */
export const flatten = (s: string): string => (s.length < 13 ? s : (" " + s).slice(1))
