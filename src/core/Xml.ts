/**
 * The XML codec: engine documents to typed values and back, driven by the generated wire metadata.
 *
 * Reader: one pass over the text (src/core/xml/Tokenizer.ts) that builds the typed values directly
 * (src/core/xml/Reader.ts): plain objects with camelCase fields, numbers, booleans, `Date`s, arrays,
 * list links; no generic tree. It runs incrementally over chunks, so `decodeStream` yields the items
 * of a collection as the bytes arrive. Writer: request bodies (src/core/xml/Writer.ts).
 *
 * Besides the Effect API, synchronous helpers (`decodeDocumentSync`, `decodeStructSync`,
 * `decodeListSync`, `encodeStructSync`, `encodeListSync`, `ListDecoder`) address types by their model
 * name, for the services and the simulator; they throw `DecodeError` / `InvalidInputError`.
 */
import { Chunk, Effect, Stream } from "effect"
import type { Schema } from "effect"
import type * as AST from "effect/SchemaAST"
import { enums, structs } from "../types/generated/metadata.js"
import { DecodeError, InvalidInputError } from "./Errors.js"
import { StructNameAnnotationId } from "./Metadata.js"
import { Catalog, type CompiledStruct } from "./xml/Catalog.js"
import { XmlInputFailure, XmlSyntaxFailure, XmlValueFailure } from "./xml/Failure.js"
import { Reader, type RootMode } from "./xml/Reader.js"
import { Tokenizer } from "./xml/Tokenizer.js"
import { Writer, type WriterMode } from "./xml/Writer.js"

export type { WriterMode }

export interface DecodeOptions {
  /**
   * Fail on elements and attributes the model does not know (and on `<link rel>`s and enum values it
   * does not know, and on a member given twice), instead of skipping them. The server's `<actions>`
   * block is always skipped silently. Text between elements is not checked: the engine's own
   * documentation abbreviates with `...` there.
   */
  readonly strict?: boolean
  /**
   * Called for every unknown element, attribute, link rel or enum value skipped (and every member
   * given twice, where the last one wins), with its element path without indexes (e.g.
   * `/vms/vm/foo`) and a short description.
   */
  readonly onUnknown?: (path: string, what: string) => void
  /** The root tag expected by `decodeAs` / `decodeListAs` / `decodeStream`, when not the type's own. */
  readonly tag?: string
}

// ---------------------------------------------------------------------------------------------
// Metadata

let catalogInstance: Catalog | undefined

/** The lookup tables over the generated metadata, built on first use. */
export const catalog = (): Catalog => (catalogInstance ??= new Catalog(structs, enums))

/**
 * The model name of a generated struct Schema (its `StructNameAnnotationId` annotation), looking
 * through `Schema.suspend`, refinements and transformations.
 */
export const structNameOf = (schema: { readonly ast: AST.AST }): string | undefined => {
  let ast: AST.AST = schema.ast
  for (let hops = 0; hops < 16; hops++) {
    const name = ast.annotations[StructNameAnnotationId]
    if (typeof name === "string") return name
    switch (ast._tag) {
      case "Suspend":
        ast = ast.f()
        continue
      case "Refinement":
        ast = ast.from
        continue
      case "Transformation": {
        const to: unknown = ast.to.annotations[StructNameAnnotationId]
        ast = typeof to === "string" || ast.to._tag === "Suspend" ? ast.to : ast.from
        continue
      }
      default:
        return undefined
    }
  }
  return undefined
}

const structOf = (name: string): CompiledStruct => {
  const struct = catalog().find(name)
  if (struct === undefined) throw new DecodeError({ message: `no XML metadata for type ${name}` })
  return struct
}

const structOfSchema = (schema: { readonly ast: AST.AST }): CompiledStruct => {
  const name = structNameOf(schema)
  if (name === undefined) throw new DecodeError({ message: "the schema is not a generated oVirt struct type" })
  return structOf(name)
}

// ---------------------------------------------------------------------------------------------
// Failures

const toDecodeError = (failure: unknown, reader: Reader | undefined): DecodeError => {
  if (failure instanceof DecodeError) return failure
  if (failure instanceof XmlValueFailure) {
    return new DecodeError({
      message: failure.message,
      element: failure.element,
      ...(failure.text !== undefined ? { text: failure.text } : {})
    })
  }
  if (failure instanceof XmlSyntaxFailure) {
    const element = reader?.path(true)
    return new DecodeError({
      message: `malformed XML: ${failure.message} (at character ${failure.offset})`,
      ...(element ? { element } : {})
    })
  }
  if (failure instanceof TypeError && (failure as { code?: unknown }).code === "ERR_ENCODING_INVALID_ENCODED_DATA") {
    return new DecodeError({ message: "the body is not valid UTF-8" })
  }
  throw failure
}

const toInputError = (failure: unknown): InvalidInputError => {
  if (failure instanceof InvalidInputError) return failure
  if (failure instanceof XmlInputFailure) return new InvalidInputError({ message: `${failure.path} ${failure.problem}`, paths: [failure.path] })
  if (failure instanceof DecodeError) return new InvalidInputError({ message: failure.message })
  throw failure
}

// ---------------------------------------------------------------------------------------------
// Synchronous helpers

const readerOptions = (options: DecodeOptions | undefined) => ({ strict: options?.strict, onUnknown: options?.onUnknown })

const readWhole = (text: string, mode: RootMode, options: DecodeOptions | undefined, emit: (item: unknown) => void): unknown => {
  const reader = new Reader(catalog(), mode, readerOptions(options), emit)
  try {
    const tokenizer = new Tokenizer(reader)
    tokenizer.write(text)
    tokenizer.end()
    return reader.result
  } catch (failure) {
    throw toDecodeError(failure, reader)
  }
}

const ignore = (): void => {}

/**
 * Any engine document by its root tag: `<vm>` gives a Vm object, `<vms>` an array of them, and so on
 * for every struct (`<action>`, `<fault>`, `<api>`, ...). Throws `DecodeError`.
 */
export const decodeDocumentSync = (text: string, options?: DecodeOptions): unknown =>
  readWhole(text, { _tag: "Any" }, options, ignore)

/** One document of the struct named `structName` (model name, e.g. `Vm`). Throws `DecodeError`. */
export const decodeStructSync = (structName: string, text: string, options?: DecodeOptions): unknown => {
  const struct = structOf(structName)
  return readWhole(text, { _tag: "One", struct, tag: options?.tag ?? struct.xml }, options, ignore)
}

/** A collection document (`<vms>`) of the struct named `structName`. Throws `DecodeError`. */
export const decodeListSync = (structName: string, text: string, options?: DecodeOptions): ReadonlyArray<unknown> => {
  const struct = structOf(structName)
  const items: Array<unknown> = []
  readWhole(text, listMode(struct, options), options, (item) => items.push(item))
  return items
}

const listMode = (struct: CompiledStruct, options: DecodeOptions | undefined): RootMode => {
  const tag = options?.tag ?? struct.plural
  if (tag === null) throw new DecodeError({ message: `${struct.name} has no collection documents` })
  return { _tag: "List", struct, tag }
}

/**
 * An incremental reader of a collection document: feed it the body's chunks (bytes, UTF-8 split
 * anywhere, or strings) and it returns the items completed by each; `end()` checks the document is
 * complete. Memory stays bounded by the largest item plus one chunk (text is handed over as it
 * arrives; only one unfinished tag, comment or CDATA section is held whole). Throws `DecodeError`.
 */
export class ListDecoder {
  private readonly reader: Reader
  private readonly tokenizer: Tokenizer
  private readonly utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }) // the tokenizer drops the one BOM allowed
  private out: Array<unknown> = []

  constructor(structName: string, options?: DecodeOptions) {
    const struct = structOf(structName)
    // items are handed out while later chunks arrive: they must not pin the chunks' text
    this.reader = new Reader(catalog(), listMode(struct, options), { ...readerOptions(options), ownStrings: true }, (item) =>
      this.out.push(item)
    )
    this.tokenizer = new Tokenizer(this.reader)
  }

  /** Unknown things skipped so far. */
  get unknownCount(): number {
    return this.reader.unknownCount
  }

  /** Characters of text held for the next chunk (an unfinished tag, reference or line end). */
  get buffered(): number {
    return this.tokenizer.buffered
  }

  write(chunk: Uint8Array | string): Array<unknown> {
    try {
      this.tokenizer.write(typeof chunk === "string" ? chunk : this.utf8.decode(chunk, { stream: true }))
    } catch (failure) {
      throw toDecodeError(failure, this.reader)
    }
    return this.take()
  }

  end(): Array<unknown> {
    try {
      const rest = this.utf8.decode()
      if (rest.length > 0) this.tokenizer.write(rest)
      this.tokenizer.end()
    } catch (failure) {
      throw toDecodeError(failure, this.reader)
    }
    return this.take()
  }

  /** The items completed and not handed out yet: after a failure, those before it in the failing chunk. */
  take(): Array<unknown> {
    const items = this.out
    if (items.length > 0) this.out = []
    return items
  }
}

/**
 * A value of the struct named `structName` as XML, root tag `tag` or the type's. Throws `InvalidInputError`.
 * `mode`: `request` (default) writes what the engine reads, `document` an answer with `href`s and `<link>`s.
 */
export const encodeStructSync = (structName: string, value: unknown, tag?: string, mode?: WriterMode): string => {
  try {
    const struct = structOf(structName)
    return new Writer(catalog(), mode).struct(struct, tag ?? struct.xml, value)
  } catch (failure) {
    throw toInputError(failure instanceof XmlInputFailure ? failure.within(lowerFirst(structName)) : failure)
  }
}

/** A collection document of the struct named `structName`. Throws `InvalidInputError`. */
export const encodeListSync = (structName: string, values: ReadonlyArray<unknown>, tag?: string, mode?: WriterMode): string => {
  try {
    const struct = structOf(structName)
    const plural = tag ?? struct.plural
    if (plural === null) throw new XmlInputFailure(`has no collection documents (${structName})`)
    return new Writer(catalog(), mode).collection(struct, plural, values)
  } catch (failure) {
    throw toInputError(failure instanceof XmlInputFailure ? failure.within(`${lowerFirst(structName)}s`) : failure)
  }
}

const lowerFirst = (name: string): string => name.charAt(0).toLowerCase() + name.slice(1)

// ---------------------------------------------------------------------------------------------
// The Effect API

/** Any engine document, by its root tag: `<vm>` gives a `Types.Vm`, `<vms>` a `ReadonlyArray<Types.Vm>`. */
export const decode = (text: string, options?: DecodeOptions): Effect.Effect<unknown, DecodeError> =>
  Effect.try({ try: () => decodeDocumentSync(text, options), catch: (e) => toDecodeError(e, undefined) })

/** One document of a known struct type (root tag: the type's, or `options.tag`). */
export const decodeAs =
  <A, I>(schema: Schema.Schema<A, I>, options?: DecodeOptions) =>
  (text: string): Effect.Effect<A, DecodeError> =>
    Effect.try({
      try: () => {
        const struct = structOfSchema(schema)
        return readWhole(text, { _tag: "One", struct, tag: options?.tag ?? struct.xml }, options, ignore) as A
      },
      catch: (e) => toDecodeError(e, undefined)
    })

/** A collection document (`<vms>`) of a known struct type. */
export const decodeListAs =
  <A, I>(schema: Schema.Schema<A, I>, options?: DecodeOptions) =>
  (text: string): Effect.Effect<ReadonlyArray<A>, DecodeError> =>
    Effect.try({
      try: () => decodeListSync(structOfSchema(schema).name, text, options) as ReadonlyArray<A>,
      catch: (e) => toDecodeError(e, undefined)
    })

const FAILED: unique symbol = Symbol("effect-ovirt/Xml/failed")

/**
 * The items of a collection document, decoded as the body's chunks arrive: each chunk of bytes
 * gives the items it completes, so a 50,000-VM answer never sits in memory whole.
 */
export const decodeStream =
  <A, I>(schema: Schema.Schema<A, I>, options?: DecodeOptions) =>
  <E, R>(bytes: Stream.Stream<Uint8Array, E, R>): Stream.Stream<A, E | DecodeError, R> =>
    Stream.suspend(() => {
      const name = structNameOf(schema)
      if (name === undefined) return Stream.fail(new DecodeError({ message: "the schema is not a generated oVirt struct type" }))
      return decodeStreamOf(name, options)(bytes) as Stream.Stream<A, E | DecodeError, R>
    })

/**
 * `decodeStream` by the struct's model name (the services' `listStream` runs it): the one streaming
 * decoder. Each run reads with a decoder of its own.
 */
export const decodeStreamOf =
  (structName: string, options?: DecodeOptions) =>
  <E, R>(bytes: Stream.Stream<Uint8Array, E, R>): Stream.Stream<unknown, E | DecodeError, R> =>
    Stream.suspend(() => {
      let decoder: ListDecoder
      try {
        decoder = new ListDecoder(structName, options)
      } catch (e) {
        return Stream.fail(toDecodeError(e, undefined))
      }
      // A failure inside a chunk still delivers the items before it: the chunk ends with a marker,
      // the stream stops pulling bytes there, and the failure follows the items.
      let failed: DecodeError | undefined
      const items = bytes.pipe(
        Stream.mapChunks((chunk): Chunk.Chunk<unknown> => {
          let out: Array<unknown> = []
          try {
            for (const piece of chunk) {
              const done = decoder.write(piece)
              if (done.length > 0) out = out.length === 0 ? done : out.concat(done)
            }
          } catch (e) {
            failed = toDecodeError(e, undefined)
            out = out.concat(decoder.take(), [FAILED])
          }
          return Chunk.unsafeFromArray(out)
        }),
        Stream.takeWhile((item) => item !== FAILED)
      )
      const rest = Stream.suspend(() => {
        if (failed !== undefined) return Stream.fail(failed)
        try {
          return Stream.fromIterable(decoder.end())
        } catch (e) {
          return Stream.fail(toDecodeError(e, undefined))
        }
      })
      return Stream.concat(items, rest)
    })

/** How `encode` and `encodeList` write: the root tag (default: the type's), and the mode (default `request`). */
export interface EncodeOptions {
  readonly tag?: string
  /**
   * `request` (default): what the engine reads in a request body, without `href`s and list `<link>`s (a
   * value read from the engine can be sent back as it is); `document`: as the engine writes its answers.
   */
  readonly mode?: WriterMode
}

/** One value as the XML the engine expects (root tag: the type's tag, or `tag` when given). */
export const encode =
  <A, I>(schema: Schema.Schema<A, I>, options?: EncodeOptions) =>
  (value: A): Effect.Effect<string, InvalidInputError> =>
    Effect.try({
      try: () => {
        const name = structNameOf(schema)
        if (name === undefined) throw new InvalidInputError({ message: "the schema is not a generated oVirt struct type" })
        return encodeStructSync(name, value, options?.tag, options?.mode)
      },
      catch: toInputError
    })

/** A collection document (`<vms>...</vms>`); options as for `encode`. */
export const encodeList =
  <A, I>(schema: Schema.Schema<A, I>, options?: EncodeOptions) =>
  (values: ReadonlyArray<A>): Effect.Effect<string, InvalidInputError> =>
    Effect.try({
      try: () => {
        const name = structNameOf(schema)
        if (name === undefined) throw new InvalidInputError({ message: "the schema is not a generated oVirt struct type" })
        return encodeListSync(name, values, options?.tag, options?.mode)
      },
      catch: toInputError
    })
