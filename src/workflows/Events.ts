/**
 * Following the engine's event log: `Events.follow({ from: 1234 })` is a Stream of the events after
 * index 1234, oldest first, that polls `GET /events?from=<last index seen>` on a Schedule forever
 * (or until the schedule ends or the stream is interrupted). No event is given twice and none is
 * skipped across polls, since the engine's indexes only grow; to resume after a restart, pass the
 * `index` of the last event handled as `from`.
 */
import { Chunk, Effect, Option, Schedule, Stream } from "effect"
import type { Connection } from "../core/Connection.js"
import type { OvirtError } from "../core/Errors.js"
import { system } from "../services/system.js"
import type { Event } from "../types/generated/Event.js"

export interface FollowOptions {
  /** Give the events after this index. Default: the newest event's index when the stream starts (only new events). */
  readonly from?: number
  /** The engine's search, to follow some events only (`"severity=error"`, `"vm.name=web1"`). */
  readonly search?: string
  /** Pauses between polls. Default every 5 seconds. */
  readonly schedule?: Schedule.Schedule<unknown, unknown>
}

export const defaultSchedule: Schedule.Schedule<unknown> = Schedule.asVoid(Schedule.spaced("5 seconds"))

const indexOf = (event: Event): number => event.index ?? Number(event.id ?? Number.NaN)

/** The newest event's index (the engine lists events newest first), or 0 when there is none. */
const newestIndex: Effect.Effect<number, OvirtError, Connection> = Effect.map(system.events.list({ max: 1 }), (events) =>
  events.reduce((max, e) => (Number.isFinite(indexOf(e)) ? Math.max(max, indexOf(e)) : max), 0))

/** The engine's events after `from` (or from now on), oldest first, polling on `schedule`. */
export const follow = (options: FollowOptions = {}): Stream.Stream<Event, OvirtError, Connection> =>
  Stream.unwrap(Effect.gen(function* () {
    const driver = yield* Schedule.driver(options.schedule ?? defaultSchedule)
    const start = options.from ?? (yield* newestIndex)
    const poll = (last: number) =>
      Effect.map(system.events.list({ from: last, ...(options.search === undefined ? {} : { search: options.search }) }), (events) => {
        // only what is newer than the last index given, oldest first: no repeats even if `from` is not honoured
        const fresh = events.filter((e) => indexOf(e) > last).sort((a, b) => indexOf(a) - indexOf(b))
        return [Chunk.fromIterable(fresh), fresh.length === 0 ? last : indexOf(fresh[fresh.length - 1] as Event)] as const
      })
    return Stream.unfoldChunkEffect({ last: start, first: true }, ({ last, first }) => {
      const pause = first ? Effect.succeed(true) : Effect.match(driver.next(undefined), { onFailure: () => false, onSuccess: () => true })
      return Effect.flatMap(pause, (more) =>
        more
          ? Effect.map(poll(last), ([events, next]) => Option.some([events, { last: next, first: false }] as const))
          : Effect.succeed(Option.none()))
    })
  }))
