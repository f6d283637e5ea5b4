/**
 * Wait against the simulator: status sequences, fail-fast on the type's failure states, timeouts
 * naming the last state, removal, jobs, and interruption stopping the polls. Time is the TestClock
 * (the simulator's own timings are set so far out that only `settle()` moves an object on).
 */
import { describe, expect, expectTypeOf, it } from "@effect/vitest"
import { Effect, Exit, Fiber, Schedule, TestClock } from "effect"
import { Connection, system, type Types, Wait } from "../src/index.js"
import type { FaultError, TimeoutError } from "../src/core/Errors.js"
import { Simulator } from "../src/testing/index.js"
import { drive, until } from "./support/clock.js"

const NEVER = 1_000_000_000
const Sim = Simulator.layer({ seed: "wait-tests", timing: { vmStart: NEVER, vmStop: NEVER, lock: NEVER, host: NEVER } })

const downVm = Effect.map(system.vms.list({ search: "status=down", max: 1 }), ([vm]) => system.vms.vm(vm!.id!))

const failureOf = <A, E>(exit: Exit.Exit<A, E>): E => {
  if (Exit.isSuccess(exit)) throw new Error("expected a failure")
  const failure = exit.cause._tag === "Fail" ? exit.cause.error : undefined
  if (failure === undefined) throw new Error(`expected a typed failure, got ${String(exit.cause)}`)
  return failure
}

describe("Wait.forStatus", () => {
  it("is typed by each type's state member", () => {
    expectTypeOf<Wait.StatusOf<Types.Vm>>().toEqualTypeOf<Types.VmStatus>()
    expectTypeOf<Wait.StatusOf<Types.Snapshot>>().toEqualTypeOf<Types.SnapshotStatus>()
    expectTypeOf<Wait.StatusOf<Types.ImageTransfer>>().toEqualTypeOf<Types.ImageTransferPhase>()
    expectTypeOf<Wait.StatusOf<Types.Job>>().toEqualTypeOf<Types.JobStatus>()
    expectTypeOf<Wait.StatusOf<Types.Cluster>>().toEqualTypeOf<never>()
  })

  it.effect("polls a starting VM through its states until up, pausing on the schedule", () =>
    Effect.gen(function* () {
      const sim = yield* Simulator.SimulatorTag
      const vm = yield* downVm
      yield* vm.start()
      const seen: Array<string> = []
      const fiber = yield* Effect.fork(Wait.forStatus(vm, "up", {
        onPoll: (v) => Effect.sync(() => {
          seen.push(v.status ?? "?")
          if (seen.length === 3) sim.settle() // the VM comes up only after the third poll
        })
      }))
      const exit = yield* drive(fiber)
      expect(Exit.isSuccess(exit) && exit.value.status).toBe("up")
      expect(seen).toEqual(["wait_for_launch", "wait_for_launch", "wait_for_launch", "up"])
      // default schedule: about 1 s, 1.5 s, 2.25 s between the polls (jittered 0.8x to 1.2x)
      const elapsed = yield* TestClock.currentTimeMillis
      expect(elapsed).toBeGreaterThanOrEqual(0.8 * 4750)
      expect(elapsed).toBeLessThanOrEqual(1.2 * 4750)
    }).pipe(Effect.provide(Sim)))

  it.effect("refuses a timeout without its unit before polling, as every duration in code", () =>
    Effect.gen(function* () {
      const vm = yield* downVm
      let polls = 0
      const bare = { timeout: 60 } as unknown as { timeout: "60 seconds" }
      const error = yield* Effect.flip(Wait.forStatus(vm, "down", { ...bare, onPoll: () => Effect.sync(() => void polls++) }))
      expect(error).toMatchObject({ _tag: "InvalidInputError", paths: ["timeout"], message: expect.stringContaining('"60 seconds"') })
      expect(polls).toBe(0)
    }).pipe(Effect.provide(Sim)))

  it.effect("fails fast with a FaultError naming the state when a VM is down while waiting for up", () =>
    Effect.gen(function* () {
      const vm = yield* downVm
      let polls = 0
      const exit = yield* Effect.exit(Wait.forStatus(vm, "up", { onPoll: () => Effect.sync(() => void polls++) }))
      const error = failureOf(exit) as FaultError
      expect(error._tag).toBe("FaultError")
      expect(error.message).toMatch(/^Vm .+ status=down while waiting for it to be up\.$/)
      expect(polls).toBe(1)
    }).pipe(Effect.provide(Sim)))

  it.effect("a state that is awaited never fails the wait; failOn replaces the type's failure states", () =>
    Effect.gen(function* () {
      const vm = yield* downVm
      expect((yield* Wait.forStatus(vm, ["up", "down"])).status).toBe("down")
      yield* vm.start()
      const exit = yield* Effect.exit(Wait.forStatus(vm, "up", { failOn: ["wait_for_launch"] }))
      expect((failureOf(exit) as FaultError).message).toContain("status=wait_for_launch while waiting for it to be up")
    }).pipe(Effect.provide(Sim)))

  it.effect("times out with a TimeoutError that says what was awaited and the last state seen", () =>
    Effect.gen(function* () {
      const vm = yield* downVm
      yield* vm.start()
      const fiber = yield* Effect.fork(Wait.forStatus(vm, "up", { timeout: "30 seconds", schedule: Schedule.spaced("5 seconds") }))
      const error = failureOf(yield* drive(fiber, 2)) as TimeoutError
      expect(error._tag).toBe("TimeoutError")
      expect(error.phase).toBe("wait")
      expect(error.message).toMatch(/^Gave up waiting for Vm \S+ to be up after 30s; last seen: Vm \S+ \(.+\) status=wait_for_launch\.$/)
    }).pipe(Effect.provide(Sim)))

  it.effect("a disk that turns illegal fails a wait for ok", () =>
    Effect.gen(function* () {
      const sim = yield* Simulator.SimulatorTag
      const disk = sim.objects("disks")[0]!
      disk.status = "illegal"
      const exit = yield* Effect.exit(Wait.forStatus(system.disks.disk(disk.id as string), "ok"))
      expect((failureOf(exit) as FaultError).message).toMatch(/^Disk .+ status=illegal while waiting for it to be ok\.$/)
    }).pipe(Effect.provide(Sim)))

  it.effect("a snapshot is awaited by its snapshotStatus", () =>
    Effect.gen(function* () {
      const sim = yield* Simulator.SimulatorTag
      const vm = yield* downVm
      const snapshot = yield* vm.snapshots.add({ description: "before upgrade" })
      const ref = vm.snapshots.snapshot(snapshot.id!)
      const fiber = yield* Effect.fork(Wait.forStatus(ref, "ok", {
        schedule: Schedule.spaced("1 second"),
        onPoll: (s) => Effect.sync(() => s.snapshotStatus === "locked" && sim.settle())
      }))
      const exit = yield* drive(fiber)
      expect(Exit.isSuccess(exit) && exit.value.snapshotStatus).toBe("ok")
    }).pipe(Effect.provide(Sim)))

  it.effect("interrupting a wait stops its polls at once", () =>
    Effect.gen(function* () {
      const sim = yield* Simulator.SimulatorTag
      const vm = yield* downVm
      yield* vm.start()
      let polls = 0
      const fiber = yield* Effect.fork(Wait.forStatus(vm, "up", { schedule: Schedule.spaced("1 second"), onPoll: () => Effect.sync(() => void polls++) }))
      yield* until(() => polls === 1)
      yield* Fiber.interrupt(fiber)
      const requests = sim.stats().requests
      yield* TestClock.adjust("1 minute")
      yield* until(() => true)
      expect(polls).toBe(1)
      expect(sim.stats().requests).toBe(requests)
    }).pipe(Effect.provide(Sim)))
})

describe("Wait.until, forRemoval, forJob", () => {
  it.effect("until gives the first value the predicate accepts; failWhen ends the wait with a FaultError", () =>
    Effect.gen(function* () {
      const vm = yield* downVm
      const value = yield* Wait.until(vm, (v) => v.status === "down")
      expect(value.status).toBe("down")
      const exit = yield* Effect.exit(Wait.until(vm, (v) => v.status === "up", { failWhen: (v) => v.status === "down" }))
      expect((failureOf(exit) as FaultError).message).toMatch(/^Stopped waiting for Vm \S+ to match the condition: Vm .+ status=down \(failWhen\)\.$/)
    }).pipe(Effect.provide(Sim)))

  it.effect("forRemoval polls until the object answers 404", () =>
    Effect.gen(function* () {
      const sim = yield* Simulator.SimulatorTag
      const vm = yield* downVm
      let polls = 0
      const fiber = yield* Effect.fork(Wait.forRemoval(vm, {
        schedule: Schedule.spaced("1 second"),
        onPoll: () => Effect.sync(() => void polls++)
      }))
      yield* until(() => polls === 1)
      yield* vm.remove()
      const exit = yield* drive(fiber)
      expect(Exit.isSuccess(exit)).toBe(true)
      expect(polls).toBe(1) // the answer that said 404 is not a state
      expect(sim.objects("vms").some((v) => v.id === vm.path.split("/")[1])).toBe(false)
    }).pipe(Effect.provide(Sim)))

  it.effect("forJob with a job's ref waits for finished", () =>
    Effect.gen(function* () {
      const sim = yield* Simulator.SimulatorTag
      const vm = yield* downVm
      const before = new Set((yield* system.jobs.list()).map((j) => j.id))
      yield* vm.start()
      const job = (yield* system.jobs.list()).find((j) => !before.has(j.id))!
      expect(job.status).toBe("started")
      const fiber = yield* Effect.fork(Wait.forJob(system.jobs.job(job.id!), {
        schedule: Schedule.spaced("1 second"),
        onPoll: ([j]) => Effect.sync(() => j?.status === "started" && sim.settle())
      }))
      const exit = yield* drive(fiber)
      expect(Exit.isSuccess(exit) && exit.value.map((j) => j.status)).toEqual(["finished"])
    }).pipe(Effect.provide(Sim)))

  it.effect("a snapshot wait under withCorrelationId also waits for the jobs of that operation", () =>
    Effect.gen(function* () {
      const sim = yield* Simulator.SimulatorTag
      const vm = yield* downVm
      let pauses = 0
      // the second pause is the first one spent waiting for the job: the job ends there
      const schedule = Schedule.spaced("1 second").pipe(Schedule.tapOutput(() => Effect.sync(() => ++pauses === 2 && sim.settle())))
      const fiber = yield* Effect.fork(Connection.withCorrelationId("snap-op-1")(Effect.gen(function* () {
        const snapshot = yield* vm.snapshots.add({ description: "traced" })
        const stored = sim.objects(`${vm.path}/snapshots`).find((s) => s.id === snapshot.id)!
        return yield* Wait.forStatus(vm.snapshots.snapshot(snapshot.id!), "ok", {
          schedule,
          // the snapshot turns ok while its job still runs, as on the engine
          onPoll: () => Effect.sync(() => void (stored.snapshotStatus = "ok"))
        })
      })))
      const exit = yield* drive(fiber)
      expect(Exit.isSuccess(exit) && exit.value.snapshotStatus).toBe("ok")
      expect(pauses).toBe(2) // done only after the job ended, not when the snapshot said ok
      const jobs = yield* system.jobs.list({ search: "correlation_id=snap-op-1" })
      expect(jobs.map((j) => j.status)).toEqual(["finished"])
    }).pipe(Effect.provide(Sim)))

  it.effect("forJob refuses a correlation id the engine would change, before anything is sent", () =>
    Effect.gen(function* () {
      const sim = yield* Simulator.SimulatorTag
      const requests = sim.stats().requests
      const exit = yield* Effect.exit(Wait.forJob("a b;c"))
      expect(failureOf(exit)._tag).toBe("InvalidInputError")
      expect(sim.stats().requests).toBe(requests)
    }).pipe(Effect.provide(Sim)))
})
