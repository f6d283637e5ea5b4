/**
 * `effect-ovirt/promise`: the SDK for code outside Effect. The same service tree, with methods that
 * return Promises; a thin layer over a `ManagedRuntime` that holds one `Connection`. It sits above
 * the services and the core and is the whole of src/promise.
 *
 * ```ts
 * import { connect } from "effect-ovirt/promise"
 * const conn = await connect({ url, username, password, caFile })
 * try {
 *   const vms = await conn.system.vms.list({ search: "name=web*" })
 * } finally {
 *   await conn.close() // revokes the SSO token, closes the pool
 * }
 * ```
 *
 * A failed call rejects with the SDK's own tagged error (`AuthError`, `NotFoundError`, `FaultError`, ...):
 * an `Error` subclass with `_tag`, `message` and, for answers of the engine, `code` and `fault`.
 * `...Stream` methods give an `AsyncIterable` of the items, decoded as the body arrives.
 */
import { Cause, Effect, Exit, ManagedRuntime, Stream } from "effect"
import * as Connection from "../services/Connection.js"
import { ConnectionError, type OvirtError } from "../core/Errors.js"
import type { ConnectionOptions } from "../core/Options.js"
import type { SystemServiceRef } from "../services/generated/SystemService.js"
import { type ServiceRef, ServiceRefBase } from "../services/ServiceRef.js"
import { system } from "../services/system.js"

export type { ConnectionOptions } from "../core/Options.js"
// The error classes, to test a rejection with `instanceof` (and `HttpContext`, `FaultInfo`, `OvirtError`).
export * from "../core/Errors.js"

/** What a ref's member becomes: an Effect a Promise, a Stream an AsyncIterable, a ref a promised ref. */
export type PromisedValue<T> =
  T extends Effect.Effect<infer A, infer _E, infer _R>
    ? Promise<A>
    : T extends Stream.Stream<infer A, infer _E, infer _R>
      ? AsyncIterable<A>
      : T extends ServiceRef
        ? PromisedRef<T>
        : T

/** A service ref whose methods return Promises (resolved per member when used, so tsc stays fast). */
export type PromisedRef<R extends ServiceRef> = {
  readonly [K in keyof R]: R[K] extends (...args: infer P) => infer T ? (...args: P) => PromisedValue<T> : PromisedValue<R[K]>
}

/** An open connection: the service tree and `close()`. */
export interface PromiseConnection {
  /** The root of the service tree (`conn.system.vms.vm(id).start()`). */
  readonly system: PromisedRef<SystemServiceRef>
  /** Revokes the SSO token and closes the pool; calls made afterwards reject with `ConnectionError`. */
  close(): Promise<void>
}

/** The failure itself (a tagged error), not a wrapper, so that `instanceof` and `_tag` work. */
const failure = (cause: Cause.Cause<unknown>): unknown => Cause.squash(cause)

/**
 * Opens a connection: validates `options` (rejecting with `InvalidInputError`) and sets up the pool.
 * It does not log in: the first call does (and a wrong password rejects that call with `AuthError`).
 */
export const connect = async (options: ConnectionOptions): Promise<PromiseConnection> => {
  const runtime = ManagedRuntime.make(Connection.layer(options))
  const built = await Effect.runPromiseExit(runtime.runtimeEffect)
  if (Exit.isFailure(built)) {
    await runtime.dispose()
    throw failure(built.cause)
  }
  let closed = false
  const closedError = (): ConnectionError => new ConnectionError({ message: "the connection is closed", reason: "CLOSED" })

  const run = async <A>(effect: Effect.Effect<A, OvirtError, Connection.Connection>): Promise<A> => {
    if (closed) throw closedError()
    const exit = await runtime.runPromiseExit(effect)
    if (Exit.isFailure(exit)) throw failure(exit.cause)
    return exit.value
  }

  const iterate = <A>(stream: Stream.Stream<A, OvirtError, Connection.Connection>): AsyncIterable<A> => {
    if (closed) return Stream.toAsyncIterable(Stream.fail(closedError()))
    return Stream.toAsyncIterableRuntime(stream, built.value)
  }

  /** The value a member of a ref gives, made Promise-shaped. */
  const promised = (value: unknown): unknown => {
    if (Effect.isEffect(value)) return run(value as Effect.Effect<unknown, OvirtError, Connection.Connection>)
    if (typeof value === "object" && value !== null && Stream.StreamTypeId in value) return iterate(value as Stream.Stream<unknown, OvirtError, Connection.Connection>)
    if (value instanceof ServiceRefBase) return wrap(value)
    return value
  }

  const wrap = (ref: ServiceRefBase): unknown =>
    new Proxy(ref, {
      get(target, key) {
        const member: unknown = Reflect.get(target, key, target)
        if (typeof key === "symbol" || key === "service" || key === "path") return member
        if (typeof member === "function") {
          return (...args: Array<unknown>) => promised((member as (...a: Array<unknown>) => unknown).apply(target, args))
        }
        return member instanceof ServiceRefBase ? wrap(member) : member
      }
    })

  return {
    system: wrap(system as unknown as ServiceRefBase) as PromisedRef<SystemServiceRef>,
    close: async () => {
      if (closed) return
      closed = true
      await runtime.dispose()
    }
  }
}
