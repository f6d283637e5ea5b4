/**
 * Events.follow against the simulator while events keep coming: every event once, in index order,
 * across polls; resumable from an index; the search filter; interruption stopping the polls.
 */
import { describe, expect, it } from "@effect/vitest"
import { Chunk, Effect, Fiber, Schedule, Stream, TestClock } from "effect"
import { Events, system } from "../src/index.js"
import { Simulator } from "../src/testing/index.js"
import { until } from "./support/clock.js"

const Sim = Simulator.layer({ seed: "events-tests" })

/** Adds `count` events after the highest index so far, as the engine logs them. */
const emit = (sim: Simulator.Simulator, count: number, severity = "normal") => {
  const top = Math.max(1000, ...sim.objects("events").map((e) => Number(e.index ?? 0)))
  for (let i = 1; i <= count; i++) {
    const index = top + i
    sim.insert("events", { id: String(index), index, code: 30, severity, description: `event ${index}`, time: new Date(), origin: "oVirt" })
  }
}

describe("Events.follow", () => {
  it.effect("gives every event once, oldest first, while the engine keeps logging between polls", () =>
    Effect.gen(function* () {
      const sim = yield* Simulator.SimulatorTag
      emit(sim, 2) // 1001, 1002: before the starting index
      // three more events land before each poll after the first
      const schedule = Schedule.recurs(4).pipe(Schedule.tapOutput(() => Effect.sync(() => emit(sim, 3))))
      const events = yield* Events.follow({ from: 1002, schedule }).pipe(Stream.runCollect)
      expect(Chunk.toReadonlyArray(events).map((e) => e.index)).toEqual(Array.from({ length: 12 }, (_, i) => 1003 + i))
    }).pipe(Effect.provide(Sim)))

  it.effect("resumes after the last index the consumer saw", () =>
    Effect.gen(function* () {
      const sim = yield* Simulator.SimulatorTag
      emit(sim, 5) // 1001..1005
      const firstTwo = yield* Events.follow({ from: 1000, schedule: Schedule.recurs(0) }).pipe(Stream.take(2), Stream.runCollect)
      const last = Chunk.unsafeLast(firstTwo).index!
      const rest = yield* Events.follow({ from: last, schedule: Schedule.recurs(0) }).pipe(Stream.runCollect)
      expect([...firstTwo, ...rest].map((e) => e.index)).toEqual([1001, 1002, 1003, 1004, 1005])
    }).pipe(Effect.provide(Sim)))

  it.effect("without from, starts after the newest event: only new events", () =>
    Effect.gen(function* () {
      const sim = yield* Simulator.SimulatorTag
      emit(sim, 5) // 1001..1005
      const schedule = Schedule.recurs(1).pipe(Schedule.tapOutput(() => Effect.sync(() => emit(sim, 1))))
      const fresh = yield* Events.follow({ schedule }).pipe(Stream.runCollect)
      expect(Chunk.toReadonlyArray(fresh).map((e) => e.index)).toEqual([1006])
    }).pipe(Effect.provide(Sim)))

  it.effect("follows only what the search selects", () =>
    Effect.gen(function* () {
      const sim = yield* Simulator.SimulatorTag
      emit(sim, 2, "normal")
      emit(sim, 1, "error")
      emit(sim, 1, "normal")
      const errors = yield* Events.follow({ from: 1000, search: "severity=error", schedule: Schedule.recurs(0) }).pipe(Stream.runCollect)
      expect(Chunk.toReadonlyArray(errors).map((e) => [e.index, e.severity])).toEqual([[1003, "error"]])
    }).pipe(Effect.provide(Sim)))

  it.effect("interrupting the stream stops the polls", () =>
    Effect.gen(function* () {
      const sim = yield* Simulator.SimulatorTag
      const fiber = yield* Effect.fork(Stream.runDrain(Events.follow({ from: 0, schedule: Schedule.spaced("5 seconds") })))
      // the first poll answered and the stream asleep until the next one
      yield* Effect.repeat(Effect.promise(() => new Promise<void>((r) => setImmediate(r))), {
        until: () => Effect.map(TestClock.sleeps(), (sleeps) => Chunk.size(sleeps) > 0)
      })
      const before = sim.stats().requests
      yield* Fiber.interrupt(fiber)
      yield* TestClock.adjust("1 minute")
      yield* until(() => true)
      expect(sim.stats().requests).toBe(before)
    }).pipe(Effect.provide(Sim)))

  it.effect("follows the events the engine logs for a VM started meanwhile", () =>
    Effect.gen(function* () {
      const sim = yield* Simulator.SimulatorTag
      const [down] = yield* system.vms.list({ search: "status=down", max: 1 })
      const from = Math.max(0, ...sim.objects("events").map((e) => Number(e.index ?? 0)))
      yield* system.vms.vm(down!.id!).start()
      sim.settle()
      const logged = yield* Events.follow({ from, schedule: Schedule.recurs(0) }).pipe(Stream.runCollect)
      expect(Chunk.toReadonlyArray(logged).some((e) => (e.description ?? "").includes(down!.name!))).toBe(true)
    }).pipe(Effect.provide(Sim)))
})
