/**
 * CONTRACT STUB (to be replaced by the real codec): the public signatures other modules code against.
 * Reader: one metadata-driven streaming pass, no generic tree. Writer: request bodies.
 */
import type { Schema, Stream } from "effect"
import { Effect } from "effect"
import { DecodeError, InvalidInputError } from "./Errors.js"

export interface DecodeOptions {
  /** Fail on elements and attributes the model does not know, instead of skipping them. */
  readonly strict?: boolean
  /** Called with the element path of every unknown element or attribute that was skipped. */
  readonly onUnknown?: (path: string) => void
}

/** Any engine document, by its root tag: `<vm>` gives a `Types.Vm`, `<vms>` a `ReadonlyArray<Types.Vm>`. */
export const decode = (_text: string, _options?: DecodeOptions): Effect.Effect<unknown, DecodeError> =>
  Effect.fail(new DecodeError({ message: "not implemented" }))

/** One document of a known struct type. */
export const decodeAs =
  <A, I>(_schema: Schema.Schema<A, I>, _options?: DecodeOptions) =>
  (_text: string): Effect.Effect<A, DecodeError> =>
    Effect.fail(new DecodeError({ message: "not implemented" }))

/** A collection document (`<vms>`) of a known struct type. */
export const decodeListAs =
  <A, I>(_schema: Schema.Schema<A, I>, _options?: DecodeOptions) =>
  (_text: string): Effect.Effect<ReadonlyArray<A>, DecodeError> =>
    Effect.fail(new DecodeError({ message: "not implemented" }))

/** The items of a collection document, decoded as the body's chunks arrive. */
export const decodeStream =
  <A, I>(_schema: Schema.Schema<A, I>, _options?: DecodeOptions) =>
  <E, R>(_bytes: Stream.Stream<Uint8Array, E, R>): Stream.Stream<A, E | DecodeError, R> => {
    throw new Error("not implemented")
  }

/** One value as the XML the engine expects (root tag: the type's tag, or `tag` when given). */
export const encode =
  <A, I>(_schema: Schema.Schema<A, I>, _options?: { readonly tag?: string }) =>
  (_value: A): Effect.Effect<string, InvalidInputError> =>
    Effect.fail(new InvalidInputError({ message: "not implemented" }))

/** A collection document (`<vms>...</vms>`), used by the simulator. */
export const encodeList =
  <A, I>(_schema: Schema.Schema<A, I>) =>
  (_values: ReadonlyArray<A>): Effect.Effect<string, InvalidInputError> =>
    Effect.fail(new InvalidInputError({ message: "not implemented" }))
