/**
 * The public `Xml` module: the core's XML codec (src/core/Xml.ts) bound to the generated wire metadata
 * of the oVirt types. Engine documents to typed values and back: `decode`, `decodeAs`, `decodeListAs`,
 * `decodeStream`, `encode`, `encodeList`; and the synchronous helpers the services and the simulator
 * use, which address types by their model name and return an `Either` of `DecodeError` / `InvalidInputError`
 * (an `Either` is also an Effect: `yield*` it, or `Effect.flatMap` to it).
 */
import type { Effect, Either, Schema, Stream } from "effect"
import * as Codec from "../core/Xml.js"
import { Catalog } from "../core/internal/xml/Catalog.js"
import type { DecodeError, InvalidInputError } from "../core/Errors.js"
import { enums, structs } from "./generated/metadata.js"

export type { DecodeOptions, EncodeOptions, WriterMode } from "../core/Xml.js"
export { structNameOf } from "../core/Xml.js"

let catalogInstance: Catalog | undefined

/** The lookup tables over the generated metadata, built on first use. */
export const catalog = (): Catalog => (catalogInstance ??= new Catalog(structs, enums))

/**
 * Any engine document by its root tag: `<vm>` gives a Vm object, `<vms>` an array of them, and so on
 * for every struct (`<action>`, `<fault>`, `<api>`, ...).
 */
export const decodeDocumentSync = (text: string, options?: Codec.DecodeOptions): Either.Either<unknown, DecodeError> =>
  Codec.decodeDocumentSync(catalog(), text, options)

/** One document of the struct named `structName` (model name, e.g. `Vm`). */
export const decodeStructSync = (structName: string, text: string, options?: Codec.DecodeOptions): Either.Either<unknown, DecodeError> =>
  Codec.decodeStructSync(catalog(), structName, text, options)

/** A collection document (`<vms>`) of the struct named `structName`. */
export const decodeListSync = (structName: string, text: string, options?: Codec.DecodeOptions): Either.Either<ReadonlyArray<unknown>, DecodeError> =>
  Codec.decodeListSync(catalog(), structName, text, options)

/**
 * An incremental reader of a collection document of the struct named `structName`: feed it the body's
 * chunks (bytes, UTF-8 split anywhere, or strings) and it gives the items completed by each; `end()`
 * checks the document is complete. Memory stays bounded by the largest item plus one chunk.
 */
export type ListDecoder = Codec.ListDecoder
export const ListDecoder = {
  make: (structName: string, options?: Codec.DecodeOptions): Either.Either<Codec.ListDecoder, DecodeError> =>
    Codec.ListDecoder.make(catalog(), structName, options)
}

/**
 * A value of the struct named `structName` as XML, root tag `tag` or the type's.
 * `mode`: `request` (default) writes what the engine reads, `document` an answer with `href`s and `<link>`s.
 */
export const encodeStructSync = (structName: string, value: unknown, tag?: string, mode?: Codec.WriterMode): Either.Either<string, InvalidInputError> =>
  Codec.encodeStructSync(catalog(), structName, value, tag, mode)

/** A collection document of the struct named `structName`. */
export const encodeListSync = (
  structName: string,
  values: ReadonlyArray<unknown>,
  tag?: string,
  mode?: Codec.WriterMode
): Either.Either<string, InvalidInputError> => Codec.encodeListSync(catalog(), structName, values, tag, mode)

/** Any engine document, by its root tag: `<vm>` gives a `Types.Vm`, `<vms>` a `ReadonlyArray<Types.Vm>`. */
export const decode = (text: string, options?: Codec.DecodeOptions): Effect.Effect<unknown, DecodeError> => Codec.decode(catalog(), text, options)

/** One document of a known struct type (root tag: the type's, or `options.tag`). */
export const decodeAs =
  <A, I>(schema: Schema.Schema<A, I>, options?: Codec.DecodeOptions) => (text: string): Effect.Effect<A, DecodeError> =>
    Codec.decodeAs(catalog(), schema, options)(text)

/** A collection document (`<vms>`) of a known struct type. */
export const decodeListAs =
  <A, I>(schema: Schema.Schema<A, I>, options?: Codec.DecodeOptions) => (text: string): Effect.Effect<ReadonlyArray<A>, DecodeError> =>
    Codec.decodeListAs(catalog(), schema, options)(text)

/**
 * The items of a collection document, decoded as the body's chunks arrive: each chunk of bytes
 * gives the items it completes, so a 50,000-VM answer never sits in memory whole.
 */
export const decodeStream =
  <A, I>(schema: Schema.Schema<A, I>, options?: Codec.DecodeOptions) =>
  <E, R>(bytes: Stream.Stream<Uint8Array, E, R>): Stream.Stream<A, E | DecodeError, R> =>
    Codec.decodeStream(catalog(), schema, options)(bytes)

/** `decodeStream` by the struct's model name (the services' `listStream` runs it). */
export const decodeStreamOf =
  (structName: string, options?: Codec.DecodeOptions) =>
  <E, R>(bytes: Stream.Stream<Uint8Array, E, R>): Stream.Stream<unknown, E | DecodeError, R> =>
    Codec.decodeStreamOf(catalog(), structName, options)(bytes)

/** One value as the XML the engine expects (root tag: the type's tag, or `tag` when given). */
export const encode =
  <A, I>(schema: Schema.Schema<A, I>, options?: Codec.EncodeOptions) => (value: A): Effect.Effect<string, InvalidInputError> =>
    Codec.encode(catalog(), schema, options)(value)

/** A collection document (`<vms>...</vms>`); options as for `encode`. */
export const encodeList =
  <A, I>(schema: Schema.Schema<A, I>, options?: Codec.EncodeOptions) =>
  (values: ReadonlyArray<A>): Effect.Effect<string, InvalidInputError> =>
    Codec.encodeList(catalog(), schema, options)(values)
