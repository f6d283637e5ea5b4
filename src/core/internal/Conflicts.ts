/**
 * Which 409 answers are worth sending again: the engine refuses an action on a locked or busy object
 * with 409 and does nothing (`The following disks are locked`, `Related operation is currently in
 * progress`, `VM is performing an operation on a Snapshot`), so the same request may succeed later.
 * Other 409s (a name in use, a VM that is running) would fail the same way again.
 */
import { Effect, Either, type Schedule } from "effect"
import type { FaultError, OvirtError } from "../Errors.js"

const BUSY = /\block(ed)?\b|\bbusy\b|in progress|being (created|updated|removed|migrated)|performing an operation|try again later/i

/** Whether an error is a 409 whose fault says the object is locked or busy. */
export const isLockConflict = (error: OvirtError): error is FaultError =>
  error._tag === "FaultError" && error.code === 409 &&
  BUSY.test(`${error.fault?.reason ?? ""} ${error.fault?.detail ?? ""}`)

/** `effect` again on `schedule` while it fails with a lock conflict; the final error keeps the last fault. */
export const retryLockConflicts = <A, R>(
  effect: Effect.Effect<A, OvirtError, R>,
  schedule: Schedule.Schedule<unknown, FaultError> | undefined
): Effect.Effect<A, OvirtError, R> =>
{
  if (schedule === undefined) return effect
  // only lock conflicts reach the schedule; any other failure ends the retries as it is
  const attempt: Effect.Effect<Either.Either<A, OvirtError>, FaultError, R> = Effect.matchEffect(effect, {
    onFailure: (error) => (isLockConflict(error) ? Effect.fail(error) : Effect.succeed(Either.left(error))),
    onSuccess: (value) => Effect.succeed(Either.right(value))
  })
  return Effect.flatMap(Effect.retry(attempt, schedule), (result) =>
    Either.isRight(result) ? Effect.succeed(result.right) : Effect.fail(result.left))
}
