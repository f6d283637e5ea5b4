/**
 * The engine's correlation id: sent as the `Correlation-Id` header (ovirt-engine's restapi reads it in
 * its CurrentFilter and records it on the jobs and events the request starts), so the jobs of one
 * operation can be found with `jobs?search=correlation_id=X`.
 */
import { Effect, Either, FiberRef, Option } from "effect"
import { InvalidInputError } from "../Errors.js"

/** The header the engine reads. */
export const HEADER = "Correlation-Id"

/** The correlation id of the requests made in this fiber (set by `withCorrelationId`). */
export const current: FiberRef.FiberRef<Option.Option<string>> = FiberRef.unsafeMake<Option.Option<string>>(Option.none())

/**
 * The engine strips everything but letters, digits, `_` and `-` from the id and keeps 50 characters
 * at most; an id it would change could not be searched for, so it is refused before anything is sent.
 */
export const check = (id: string): Either.Either<string, InvalidInputError> =>
  /^[0-9A-Za-z_-]{1,50}$/.test(id)
    ? Either.right(id)
    : Either.left(new InvalidInputError({
      message: `correlation id ${JSON.stringify(id.slice(0, 60))} is not usable: give 1 to 50 letters, digits, "_" or "-" (the engine drops other characters).`,
      paths: ["correlationId"]
    }))

/** Runs `effect` with every request it makes carrying the correlation id `id`. */
export const withCorrelationId = (id: string) =>
  <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E | InvalidInputError, R> =>
    Effect.flatMap(check(id), () => Effect.locally(effect, current, Option.some(id)))

/** The correlation id in force in this fiber, if any. */
export const get: Effect.Effect<Option.Option<string>> = FiberRef.get(current)
