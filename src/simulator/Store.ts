/**
 * The simulator's state: objects as plain typed values (the same shape as `Types.*`), kept in one
 * bucket per collection path (`vms`, `vms/<id>/nics`), plus scheduled state changes (a VM going
 * `up` some time after `start`) applied lazily whenever a request arrives: no timers to clean up.
 */

export type Obj = Record<string, unknown>

/** A small deterministic PRNG (mulberry32), so a seed name always gives the same ids and data. */
export class Random {
  private state: number
  constructor(seed: string) {
    let h = 2166136261
    for (let i = 0; i < seed.length; i++) h = Math.imul(h ^ seed.charCodeAt(i), 16777619)
    this.state = h >>> 0
  }
  next(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) >>> 0)
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  int(n: number): number {
    return Math.floor(this.next() * n)
  }
  pick<A>(items: ReadonlyArray<A>): A {
    return items[this.int(items.length)]
  }
  hex(n: number): string {
    let s = ""
    for (let i = 0; i < n; i++) s += "0123456789abcdef"[this.int(16)]
    return s
  }
  uuid(): string {
    return `${this.hex(8)}-${this.hex(4)}-4${this.hex(3)}-${"89ab"[this.int(4)]}${this.hex(3)}-${this.hex(12)}`
  }
}

interface Scheduled {
  readonly at: number
  readonly run: () => void
  /** The object whose state the change belongs to: a new transition of it cancels the change. */
  readonly owner: object | undefined
}

export class Store {
  private readonly buckets = new Map<string, Map<string, Obj>>()
  private readonly singletons = new Map<string, Obj>()
  private scheduled: Array<Scheduled> = []
  readonly random: Random

  constructor(
    seed: string,
    /** The clock (ms); tests of behaviour may drive it. */
    readonly now: () => number = Date.now
  ) {
    this.random = new Random(seed)
  }

  newId(): string {
    return this.random.uuid()
  }

  bucket(path: string): Map<string, Obj> {
    let b = this.buckets.get(path)
    if (b === undefined) {
      b = new Map()
      this.buckets.set(path, b)
    }
    return b
  }

  list(path: string): ReadonlyArray<Obj> {
    const b = this.buckets.get(path)
    return b === undefined ? [] : Array.from(b.values())
  }

  get(path: string, id: string): Obj | undefined {
    return this.buckets.get(path)?.get(id)
  }

  /** Finds an object by id or, failing that, by name (locators such as `{idOrName}`). */
  find(path: string, key: string): Obj | undefined {
    const b = this.buckets.get(path)
    if (b === undefined) return undefined
    const byId = b.get(key)
    if (byId !== undefined) return byId
    for (const o of b.values()) if (o.name === key) return o
    return undefined
  }

  put(path: string, obj: Obj): Obj {
    const id = obj.id as string
    this.bucket(path).set(id, obj)
    return obj
  }

  /** Removes an object and everything stored below it (`vms/<id>/nics`, ...). */
  remove(path: string, id: string): boolean {
    const removed = this.buckets.get(path)?.delete(id) ?? false
    const prefix = `${path}/${id}/`
    for (const key of Array.from(this.buckets.keys())) if (key.startsWith(prefix)) this.buckets.delete(key)
    for (const key of Array.from(this.singletons.keys())) if (key.startsWith(prefix)) this.singletons.delete(key)
    return removed
  }

  singleton(path: string): Obj {
    let o = this.singletons.get(path)
    if (o === undefined) {
      o = {}
      this.singletons.set(path, o)
    }
    return o
  }

  setSingleton(path: string, obj: Obj): void {
    this.singletons.set(path, obj)
  }

  /**
   * Runs `run` once `afterMs` has passed (at the first request after that). With an `owner`, the
   * change belongs to that object's current transition and `cancel(owner)` drops it.
   */
  schedule(afterMs: number, run: () => void, owner?: object): void {
    if (afterMs <= 0) {
      run()
      return
    }
    this.scheduled.push({ at: this.now() + afterMs, run, owner })
  }

  /**
   * Drops the pending changes of `owner`: a VM stopped while starting must not come `up` later
   * when the start's remaining steps fall due.
   */
  cancel(owner: object): void {
    if (this.scheduled.some((s) => s.owner === owner)) this.scheduled = this.scheduled.filter((s) => s.owner !== owner)
  }

  /** Applies every scheduled change that is due, in time order. */
  tick(): void {
    if (this.scheduled.length === 0) return
    const now = this.now()
    const due = this.scheduled.filter((s) => s.at <= now).sort((a, b) => a.at - b.at)
    if (due.length === 0) return
    this.scheduled = this.scheduled.filter((s) => s.at > now)
    for (const s of due) s.run()
  }

  /** Applies every scheduled change now, whatever its time (tests and `settle()`). */
  settle(): void {
    while (this.scheduled.length > 0) {
      const all = this.scheduled.sort((a, b) => a.at - b.at)
      this.scheduled = []
      for (const s of all) s.run()
    }
  }

  /** Counts the objects of each collection path (for the CLI's start message and tests). */
  counts(): ReadonlyMap<string, number> {
    const out = new Map<string, number>()
    for (const [k, b] of this.buckets) out.set(k, b.size)
    return out
  }
}
