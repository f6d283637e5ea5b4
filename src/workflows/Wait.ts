/**
 * Waiting for the engine: poll an object until it reaches a state, is removed, or the jobs of an
 * operation end. Every poll is a normal call (retries, 401 renewal, spans); polls are spaced by a
 * `Schedule`; a `timeout` ends the wait with a `TimeoutError` naming what was awaited and the last
 * state seen; interrupting the wait stops polling at once.
 *
 *   yield* vm.start()
 *   const up = yield* Wait.forStatus(vm, "up", { timeout: "5 minutes" })   // FaultError if it goes down
 */
import { Duration, Effect, Either, Option, Schedule } from "effect"
import type { Connection } from "../core/Connection.js"
import * as Correlation from "../core/internal/Correlation.js"
import { FaultError, InvalidInputError, type OvirtError, TimeoutError } from "../core/Errors.js"
import { durationOf, type DurationWithUnit } from "../core/Options.js"
import type { ServiceRef } from "../services/ServiceRef.js"
import { system } from "../services/system.js"
import type { Job } from "../types/generated/Job.js"
import type { JobServiceRef } from "../services/generated/JobService.js"
import { describe, jobBacked, ruleOf, stateOf, stateText, typeOf } from "./internal/states.js"

/** Any ref whose object can be read: `system.vms.vm(id)`, `vm.snapshots.snapshot(id)`, ... */
export interface Gettable<A> extends ServiceRef {
  get(): Effect.Effect<A, OvirtError, Connection>
}

/** The state type of a struct: a snapshot's `snapshotStatus`, an image transfer's `phase`, else `status`. */
export type StatusOf<A> = "snapshotStatus" extends keyof A ? Exclude<A["snapshotStatus" & keyof A], undefined>
  : "phase" extends keyof A ? Exclude<A["phase" & keyof A], undefined>
  : "status" extends keyof A ? Exclude<A["status" & keyof A], undefined>
  : never

/**
 * The default pause between polls: 1 second growing by half each time up to 10 seconds, jittered
 * (so that many waits started together do not poll in step).
 */
export const defaultSchedule: Schedule.Schedule<unknown> = Schedule.exponential("1 second", 1.5).pipe(
  Schedule.either(Schedule.spaced("10 seconds")),
  Schedule.jittered,
  Schedule.asVoid
)

export interface WaitOptions<A> {
  /** Pauses between polls (its output is ignored; when it ends, the wait fails). Default `defaultSchedule`. */
  readonly schedule?: Schedule.Schedule<unknown, unknown>
  /** How long to wait at most; then a `TimeoutError` (phase `wait`) with the last state seen. Default: no limit. */
  readonly timeout?: DurationWithUnit
  /** Ends the wait at once with a `FaultError` naming the state, when it holds for a polled value. */
  readonly failWhen?: (value: A) => boolean
  /** Called with every polled value (a progress line, a log). */
  readonly onPoll?: (value: A) => Effect.Effect<void>
}

export interface StatusOptions<A> extends WaitOptions<A> {
  /**
   * States that end the wait with a `FaultError` unless awaited. Default: the type's (a VM `down` or
   * `not_responding`, a disk or template `illegal`, a job or step `failed`/`aborted`, a host
   * `install_failed`/`non_responsive`/`non_operational`/`error`, an image transfer cancelled or failed, ...).
   */
  readonly failOn?: ReadonlyArray<StatusOf<A>>
  /**
   * For disks, snapshots and templates: once the state is reached, also wait for the jobs of this
   * correlation id (default: the one of `Connection.withCorrelationId` in force), since their `ok`
   * comes a moment before the job ends and the next call would meet a lock.
   */
  readonly correlationId?: string
}

// ---------------------------------------------------------------------------------------------

/** The latest answer of a wait, as text, for its timeout's message. */
interface Seen {
  last: string
}

const seen = (): Seen => ({ last: "nothing yet (no answer)" })

const withTimeout = <A, R>(
  effect: Effect.Effect<A, OvirtError, R>,
  timeout: DurationWithUnit | undefined,
  what: string,
  state: Seen
): Effect.Effect<A, OvirtError, R> => {
  if (timeout === undefined) return effect
  // a unit is required, as for every duration in code: is `60` seconds or milliseconds?
  const checked = durationOf("timeout", timeout)
  if (Either.isLeft(checked)) return Effect.fail(checked.left)
  const duration = checked.right
  return Effect.timeoutFail(effect, {
    duration,
    onTimeout: () =>
      new TimeoutError({
        phase: "wait",
        timeoutMillis: Duration.toMillis(duration),
        message: `Gave up waiting for ${what} after ${Duration.format(duration)}; last seen: ${state.last}.`
      })
  })
}

/**
 * The loop every wait shares: `poll` until `check` gives a result (`Some`) or fails, pausing on the
 * schedule in between; `show` describes each answer into `state` for the timeout's message.
 */
const pollUntil = <A, B, R>(
  what: string,
  poll: Effect.Effect<A, OvirtError, R>,
  check: (value: A) => Effect.Effect<Option.Option<B>, OvirtError>,
  show: (value: A) => string,
  state: Seen,
  options: WaitOptions<A>
): Effect.Effect<B, OvirtError, R> => {
  const step = poll.pipe(
    Effect.tap((value) => {
      state.last = show(value)
      return options.onPoll === undefined ? Effect.void : options.onPoll(value)
    }),
    Effect.flatMap((value) =>
      options.failWhen?.(value) === true
        ? Effect.fail(new FaultError({ message: `Stopped waiting for ${what}: ${state.last} (failWhen).` }))
        : check(value)
    )
  )
  const ended = () => new TimeoutError({ phase: "wait", message: `Gave up waiting for ${what}: the schedule ended; last seen: ${state.last}.` })
  return Effect.flatMap(Schedule.driver(options.schedule ?? defaultSchedule), (driver) => {
    // the driver sleeps for the schedule's next pause (an interruption stops it there) or says it ended
    const loop: Effect.Effect<B, OvirtError, R> = Effect.flatMap(step, (result) =>
      Option.isSome(result)
        ? Effect.succeed(result.value)
        : Effect.matchEffect(driver.next(undefined), { onFailure: () => Effect.fail(ended()), onSuccess: () => loop }))
    return loop
  })
}

/**
 * Gets the object behind `ref` until `predicate` holds for it, and gives that last value.
 *
 *   Wait.until(vm, (v) => v.status === "up" && v.host !== undefined, { timeout: "10 minutes" })
 */
export const until = <A>(
  ref: Gettable<A>,
  predicate: (value: A) => boolean,
  options: WaitOptions<A> & { readonly what?: string } = {}
): Effect.Effect<A, OvirtError, Connection> =>
  Effect.flatMap(typeOf(ref), (type) => {
    const rule = ruleOf(type)
    const what = options.what ?? `${describe(ref, type)} to match the condition`
    const state = seen()
    const loop = pollUntil(what, ref.get(), (value) => Effect.succeed(predicate(value) ? Option.some(value) : Option.none()),
      (value) => `${describe(ref, type, value)} ${stateText(rule, value)}`, state, options)
    return withTimeout(loop, options.timeout, what, state)
  })

/**
 * Gets the object behind `ref` until its state (`status`; a snapshot's `snapshotStatus`; an image
 * transfer's `phase`) is `status` or one of `statuses`. Fails fast with a `FaultError` on a state of
 * `failOn` (by default the type's failure states) that is not awaited.
 *
 *   Wait.forStatus(system.disks.disk(id), "ok")
 *   Wait.forStatus(vm, ["down", "suspended"], { schedule: Schedule.spaced("2 seconds") })
 */
export const forStatus = <A>(
  ref: Gettable<A>,
  status: StatusOf<A> | ReadonlyArray<StatusOf<A>>,
  options: StatusOptions<A> = {}
): Effect.Effect<A, OvirtError, Connection> =>
  Effect.flatMap(typeOf(ref), (type) => {
    const rule = ruleOf(type)
    const wanted: ReadonlyArray<string> = typeof status === "string" ? [status] : (status as unknown as ReadonlyArray<string>)
    const failing = ((options.failOn as unknown as ReadonlyArray<string> | undefined) ?? rule.failing).filter((s) => !wanted.includes(s))
    const what = `${describe(ref, type)} to be ${wanted.join(" or ")}`
    const show = (value: A) => `${describe(ref, type, value)} ${stateText(rule, value)}`
    const check = (value: A): Effect.Effect<Option.Option<A>, OvirtError> => {
      const current = stateOf(rule, value)
      if (wanted.includes(current)) return Effect.succeed(Option.some(value))
      return failing.includes(current)
        ? Effect.fail(new FaultError({ message: `${show(value)} while waiting for it to be ${wanted.join(" or ")}.` }))
        : Effect.succeed(Option.none())
    }
    const state = seen()
    const reached = pollUntil(what, ref.get(), check, show, state, options)
    const all = type === undefined || !jobBacked.has(type)
      ? reached
      : Effect.flatMap(reached, (value) =>
        Effect.flatMap(Correlation.get, (inherited) => {
          const id = options.correlationId ?? Option.getOrUndefined(inherited)
          return id === undefined
            ? Effect.succeed(value)
            : Effect.as(jobsDone(id, state, options.schedule === undefined ? {} : { schedule: options.schedule }), value)
        }))
    return withTimeout(all, options.timeout, what, state)
  })

/**
 * Gets the object behind `ref` until the engine answers 404 (it is gone), e.g. after a `remove`.
 * Any other failure ends the wait as it is.
 */
export const forRemoval = <A>(ref: Gettable<A>, options: WaitOptions<A> = {}): Effect.Effect<void, OvirtError, Connection> =>
  Effect.flatMap(typeOf(ref), (type) => {
    const rule = ruleOf(type)
    const what = `${describe(ref, type)} to be removed`
    const state = seen()
    const gone = Symbol("gone")
    const poll = Effect.catchTag(ref.get() as Effect.Effect<A | typeof gone, OvirtError, Connection>, "NotFoundError", () => Effect.succeed(gone))
    const loop = pollUntil(
      what,
      poll,
      (value) => Effect.succeed(value === gone ? Option.some(undefined) : Option.none()),
      (value) => (value === gone ? "removed" : `${describe(ref, type, value)} ${stateText(rule, value)}`),
      state,
      { ...options, failWhen: (value) => value !== gone && options.failWhen?.(value) === true, onPoll: (value) => value === gone || options.onPoll === undefined ? Effect.void : options.onPoll(value) }
    )
    return withTimeout(loop, options.timeout, what, state)
  })

// ---------------------------------------------------------------------------------------------
// Jobs

const jobText = (jobs: ReadonlyArray<Job>): string =>
  jobs.length === 0 ? "no jobs" : jobs.map((j) => `"${j.description ?? j.id ?? "?"}" ${j.status ?? "?"}`).join(", ")

/** Polls the jobs of a correlation id until none is `started`; fails on one `failed` or `aborted`. */
const jobsDone = (correlationId: string, state: Seen, options: WaitOptions<ReadonlyArray<Job>>): Effect.Effect<ReadonlyArray<Job>, OvirtError, Connection> => {
  const what = `the jobs of correlation id ${correlationId} to finish`
  const check = (jobs: ReadonlyArray<Job>): Effect.Effect<Option.Option<ReadonlyArray<Job>>, OvirtError> => {
    const failed = jobs.filter((j) => j.status === "failed" || j.status === "aborted")
    if (failed.length > 0) return Effect.fail(new FaultError({ message: `The jobs of correlation id ${correlationId} did not finish: ${jobText(failed)}.` }))
    return Effect.succeed(jobs.some((j) => j.status === "started") ? Option.none() : Option.some(jobs))
  }
  const poll = system.jobs.list({ search: `correlation_id=${correlationId}` })
  return pollUntil(what, poll, check, (jobs) => `jobs: ${jobText(jobs)}`, state, options)
}

/**
 * Waits until the jobs of an operation end: by correlation id (every job the engine recorded for
 * requests sent with `Connection.withCorrelationId(id)` or the `correlationId` call option; done when
 * none is `started`, failing with a `FaultError` when one `failed` or was `aborted`), or one job by its
 * ref (`system.jobs.job(id)`, or the `job` an async action answered). Gives the jobs' last state.
 */
export const forJob = (
  job: string | JobServiceRef,
  options: WaitOptions<ReadonlyArray<Job>> = {}
): Effect.Effect<ReadonlyArray<Job>, OvirtError | InvalidInputError, Connection> =>
  Effect.suspend(() => {
    if (typeof job !== "string") {
      const { onPoll, failWhen, ...rest } = options
      return Effect.map(forStatus(job, "finished", {
        ...rest,
        ...(onPoll === undefined ? {} : { onPoll: (j: Job) => onPoll([j]) }),
        ...(failWhen === undefined ? {} : { failWhen: (j: Job) => failWhen([j]) })
      }), (j) => [j])
    }
    return Effect.flatMap(Correlation.check(job), (id) => {
      const state = seen()
      return withTimeout(jobsDone(id, state, options), options.timeout, `the jobs of correlation id ${id} to finish`, state)
    })
  })
