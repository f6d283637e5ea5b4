/**
 * Driving a fiber that waits on the TestClock while it also does real I/O: whenever it (and
 * whatever else runs) sleeps on at least `sleepers` timers, the clock jumps to the earliest one;
 * otherwise the event loop gets a turn (the HTTP exchange in flight). No wall-clock budget.
 */
import { Chunk, Effect, Fiber, Option, TestClock } from "effect"
import type { Exit } from "effect"

export const drive = <A, E>(fiber: Fiber.RuntimeFiber<A, E>, sleepers = 1): Effect.Effect<Exit.Exit<A, E>> =>
  Effect.gen(function* () {
    for (;;) {
      const done = yield* Fiber.poll(fiber)
      if (Option.isSome(done)) return done.value
      const sleeps = yield* TestClock.sleeps()
      if (Chunk.size(sleeps) >= sleepers) {
        const now = yield* TestClock.currentTimeMillis
        const next = Math.min(...Chunk.toReadonlyArray(sleeps))
        yield* TestClock.adjust(Math.max(0, next - now))
      } else {
        yield* Effect.promise(() => new Promise<void>((resolve) => setImmediate(resolve)))
      }
    }
  })

/** Gives the event loop turns until `ready` holds (a poll answered, a fiber suspended). */
export const until = (ready: () => boolean): Effect.Effect<void> =>
  Effect.gen(function* () {
    while (!ready()) yield* Effect.promise(() => new Promise<void>((resolve) => setImmediate(resolve)))
  })
