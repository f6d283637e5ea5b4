/**
 * The XML codec: engine documents to typed values and back, driven by the wire metadata it is given (a
 * `Catalog` over it, first argument of every function); src/types/Xml.ts binds it to the generated
 * metadata as the public `Xml` module.
 *
 * Reader: one pass over the text (src/core/internal/xml/Tokenizer.ts) that builds the typed values directly
 * (src/core/internal/xml/Reader.ts): plain objects with camelCase fields, numbers, booleans, `Date`s, arrays,
 * list links; no generic tree. It runs incrementally over chunks, so `decodeStream` yields the items
 * of a collection as the bytes arrive. Writer: request bodies (src/core/internal/xml/Writer.ts).
 *
 * Besides the Effect API, synchronous helpers (`decodeDocumentSync`, `decodeStructSync`,
 * `decodeListSync`, `encodeStructSync`, `encodeListSync`, `ListDecoder`) address types by their model
 * name, for the services and the simulator; they return an `Either` of `DecodeError` / `InvalidInputError`
 * (an `Either` is also an Effect: `yield*` it, or `Effect.flatMap` to it).
 */
import { isUtf8 } from "node:buffer"
import { Chunk, Effect, Either, Stream } from "effect"
import type { Schema } from "effect"
import type * as AST from "effect/SchemaAST"
import { DecodeError, InvalidInputError } from "./Errors.js"
import { StructNameAnnotationId } from "./Metadata.js"
import type { Catalog, CompiledStruct } from "./internal/xml/Catalog.js"
import { XmlInputFailure, XmlSyntaxFailure, XmlValueFailure } from "./internal/xml/Failure.js"
import { Reader, type RootMode } from "./internal/xml/Reader.js"
import { Tokenizer } from "./internal/xml/Tokenizer.js"
import { completeUtf8End, writeUtf8 } from "./internal/xml/Utf8.js"
import { Writer, type WriterMode } from "./internal/xml/Writer.js"

export type { Catalog, WriterMode }

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

const structOf = (catalog: Catalog, name: string): CompiledStruct => {
  const struct = catalog.find(name)
  if (struct === undefined) throw new DecodeError({ message: `no XML metadata for type ${name}` })
  return struct
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
  throw failure
}

const toInputError = (failure: unknown): InvalidInputError => {
  if (failure instanceof InvalidInputError) return failure
  if (failure instanceof XmlInputFailure) return new InvalidInputError({ message: `${failure.path} ${failure.problem}`, paths: [failure.path] })
  if (failure instanceof DecodeError) return new InvalidInputError({ message: failure.message })
  throw failure
}

// ---------------------------------------------------------------------------------------------
// Synchronous helpers: the tokenizer, reader and writer throw their failures (a parser's callbacks
// cannot return them); here, at the codec's boundary, they become an `Either` of a tagged error.

const readerOptions = (options: DecodeOptions | undefined) => ({ strict: options?.strict, onUnknown: options?.onUnknown })

const readWhole = (catalog: Catalog, text: string, mode: RootMode, options: DecodeOptions | undefined, emit: (item: unknown) => void): unknown => {
  const reader = new Reader(catalog, mode, readerOptions(options), emit)
  try {
    const tokenizer = new Tokenizer(reader)
    tokenizer.write(text)
    tokenizer.end()
    return reader.result
  } catch (failure) {
    throw toDecodeError(failure, reader)
  }
}

/** `f`'s value, or its DecodeError; anything else it throws is a defect and is thrown on. */
const decoding = <A>(f: () => A): Either.Either<A, DecodeError> =>
  Either.try({ try: f, catch: (failure) => toDecodeError(failure, undefined) })

const ignore = (): void => {}

/**
 * Any engine document by its root tag: `<vm>` gives a Vm object, `<vms>` an array of them, and so on
 * for every struct (`<action>`, `<fault>`, `<api>`, ...).
 */
export const decodeDocumentSync = (catalog: Catalog, text: string, options?: DecodeOptions): Either.Either<unknown, DecodeError> =>
  decoding(() => readWhole(catalog, text, { _tag: "Any" }, options, ignore))

/** One document of the struct named `structName` (model name, e.g. `Vm`). */
export const decodeStructSync = (catalog: Catalog, structName: string, text: string, options?: DecodeOptions): Either.Either<unknown, DecodeError> =>
  decoding(() => {
    const struct = structOf(catalog, structName)
    return readWhole(catalog, text, { _tag: "One", struct, tag: options?.tag ?? struct.xml }, options, ignore)
  })

/** A collection document (`<vms>`) of the struct named `structName`. */
export const decodeListSync = (
  catalog: Catalog,
  structName: string,
  text: string,
  options?: DecodeOptions
): Either.Either<ReadonlyArray<unknown>, DecodeError> =>
  decoding(() => {
    const items: Array<unknown> = []
    readWhole(catalog, text, listMode(structOf(catalog, structName), options), options, (item) => items.push(item))
    return items
  })

const listMode = (struct: CompiledStruct, options: DecodeOptions | undefined): RootMode => {
  const tag = options?.tag ?? struct.plural
  if (tag === null) throw new DecodeError({ message: `${struct.name} has no collection documents` })
  return { _tag: "List", struct, tag }
}

/**
 * An incremental reader of a collection document: feed it the body's chunks (bytes, UTF-8 split
 * anywhere, or strings) and it gives the items completed by each; `end()` checks the document is
 * complete. Memory stays bounded by the largest item plus one chunk (text is handed over as it
 * arrives; only one unfinished tag, comment or CDATA section is held whole).
 */
export class ListDecoder {
  private readonly reader: Reader
  private readonly tokenizer: Tokenizer
  /** The bytes of a UTF-8 sequence the last chunk ended inside of. */
  private carry: Uint8Array | undefined = undefined
  private out: Array<unknown> = []

  private constructor(catalog: Catalog, mode: RootMode, options: DecodeOptions | undefined) {
    // items are handed out while later chunks arrive: they must not pin the chunks' text
    this.reader = new Reader(catalog, mode, { ...readerOptions(options), ownStrings: true }, (item) => this.out.push(item))
    this.tokenizer = new Tokenizer(this.reader)
  }

  /** A decoder of a collection of the struct named `structName`. */
  static make(catalog: Catalog, structName: string, options?: DecodeOptions): Either.Either<ListDecoder, DecodeError> {
    return decoding(() => new ListDecoder(catalog, listMode(structOf(catalog, structName), options), options))
  }

  /** Unknown things skipped so far. */
  get unknownCount(): number {
    return this.reader.unknownCount
  }

  /** Characters of text held for the next chunk (an unfinished tag, reference or line end). */
  get buffered(): number {
    return this.tokenizer.buffered
  }

  /** The items `chunk` completes; on a failure, `take()` gives those completed before it. */
  write(chunk: Uint8Array | string): Either.Either<Array<unknown>, DecodeError> {
    return this.reading(() => (typeof chunk === "string" ? this.tokenizer.write(chunk) : this.writeBytes(chunk)))
  }

  /**
   * `chunk` decoded and handed to the tokenizer in pieces (see src/core/internal/xml/Utf8.ts). What the
   * tokenizer left of the last chunk (an unfinished tag, mostly) and a UTF-8 sequence cut at its end
   * are joined as bytes with this chunk's start up to its first `>` only, so the chunk is not copied to
   * be joined, and joined strings are never flattened (see `Tokenizer.takeRest`). A sequence cut at
   * the end waits for the next chunk. Nothing is written unless all of it is valid UTF-8. The
   * tokenizer drops the one BOM allowed.
   */
  private writeBytes(chunk: Uint8Array): void {
    const rest = this.tokenizer.takeRest()
    const carry = this.carry
    let body: Buffer = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength)
    let head: Buffer | undefined
    if (rest !== "" || carry !== undefined) {
      const gt = body.indexOf(GT)
      const cut = gt === -1 ? body.length : gt + 1
      const parts: Array<Uint8Array> = rest === "" ? [] : [Buffer.from(rest)]
      if (carry !== undefined) parts.push(carry)
      parts.push(body.subarray(0, cut))
      head = Buffer.concat(parts)
      body = body.subarray(cut)
    }
    const last = head === undefined || body.length > 0 ? body : head
    const end = completeUtf8End(last)
    this.carry = end < last.length ? last.subarray(end).slice() : undefined
    if (last === body) body = body.subarray(0, end)
    else head = last.subarray(0, end)
    if ((head !== undefined && !isUtf8(head)) || !isUtf8(body)) throw invalidUtf8()
    if (head !== undefined) writeUtf8(head, this.writeText)
    writeUtf8(body, this.writeText)
  }

  private readonly writeText = (text: string): void => this.tokenizer.write(text)

  /** The last items, once the document is checked complete. */
  end(): Either.Either<Array<unknown>, DecodeError> {
    return this.reading(() => {
      if (this.carry !== undefined) throw invalidUtf8()
      this.tokenizer.end()
    })
  }

  /** The items completed and not handed out yet: after a failure, those before it in the failing chunk. */
  take(): Array<unknown> {
    const items = this.out
    if (items.length > 0) this.out = []
    return items
  }

  private reading(step: () => void): Either.Either<Array<unknown>, DecodeError> {
    try {
      step()
    } catch (failure) {
      return Either.left(toDecodeError(failure, this.reader))
    }
    return Either.right(this.take())
  }
}

const GT = 62

const invalidUtf8 = (): DecodeError => new DecodeError({ message: "the body is not valid UTF-8" })

/** `f`'s value, or its InvalidInputError with paths from the document's root `root`; anything else is a defect. */
const encoding = (root: string, f: () => string): Either.Either<string, InvalidInputError> =>
  Either.try({ try: f, catch: (failure) => toInputError(failure instanceof XmlInputFailure ? failure.within(root) : failure) })

/**
 * A value of the struct named `structName` as XML, root tag `tag` or the type's.
 * `mode`: `request` (default) writes what the engine reads, `document` an answer with `href`s and `<link>`s.
 */
export const encodeStructSync = (
  catalog: Catalog,
  structName: string,
  value: unknown,
  tag?: string,
  mode?: WriterMode
): Either.Either<string, InvalidInputError> =>
  encoding(lowerFirst(structName), () => {
    const struct = structOf(catalog, structName)
    return new Writer(catalog, mode).struct(struct, tag ?? struct.xml, value)
  })

/** A collection document of the struct named `structName`. */
export const encodeListSync = (
  catalog: Catalog,
  structName: string,
  values: ReadonlyArray<unknown>,
  tag?: string,
  mode?: WriterMode
): Either.Either<string, InvalidInputError> =>
  encoding(`${lowerFirst(structName)}s`, () => {
    const struct = structOf(catalog, structName)
    const plural = tag ?? struct.plural
    if (plural === null) throw new XmlInputFailure(`has no collection documents (${structName})`)
    return new Writer(catalog, mode).collection(struct, plural, values)
  })

const lowerFirst = (name: string): string => name.charAt(0).toLowerCase() + name.slice(1)

// ---------------------------------------------------------------------------------------------
// The Effect API

/** The model name of a generated struct Schema, or why it has none. */
const nameOfSchema = <E>(schema: { readonly ast: AST.AST }, error: (message: string) => E): Either.Either<string, E> => {
  const name = structNameOf(schema)
  return name === undefined ? Either.left(error("the schema is not a generated oVirt struct type")) : Either.right(name)
}

const decodeError = (message: string) => new DecodeError({ message })
const inputError = (message: string) => new InvalidInputError({ message })

/** Any engine document, by its root tag: `<vm>` gives a `Types.Vm`, `<vms>` a `ReadonlyArray<Types.Vm>`. */
export const decode = (catalog: Catalog, text: string, options?: DecodeOptions): Effect.Effect<unknown, DecodeError> =>
  Effect.suspend(() => decodeDocumentSync(catalog, text, options))

/** One document of a known struct type (root tag: the type's, or `options.tag`). */
export const decodeAs =
  <A, I>(catalog: Catalog, schema: Schema.Schema<A, I>, options?: DecodeOptions) =>
  (text: string): Effect.Effect<A, DecodeError> =>
    Effect.suspend(() => Either.flatMap(nameOfSchema(schema, decodeError), (name) => decodeStructSync(catalog, name, text, options) as Either.Either<A, DecodeError>))

/** A collection document (`<vms>`) of a known struct type. */
export const decodeListAs =
  <A, I>(catalog: Catalog, schema: Schema.Schema<A, I>, options?: DecodeOptions) =>
  (text: string): Effect.Effect<ReadonlyArray<A>, DecodeError> =>
    Effect.suspend(() =>
      Either.flatMap(nameOfSchema(schema, decodeError), (name) => decodeListSync(catalog, name, text, options) as Either.Either<ReadonlyArray<A>, DecodeError>)
    )

const FAILED: unique symbol = Symbol("effect-ovirt/Xml/failed")

/**
 * The items of a collection document, decoded as the body's chunks arrive: each chunk of bytes
 * gives the items it completes, so a 50,000-VM answer never sits in memory whole.
 */
export const decodeStream =
  <A, I>(catalog: Catalog, schema: Schema.Schema<A, I>, options?: DecodeOptions) =>
  <E, R>(bytes: Stream.Stream<Uint8Array, E, R>): Stream.Stream<A, E | DecodeError, R> =>
    Stream.suspend(() =>
      Either.match(nameOfSchema(schema, decodeError), {
        onLeft: (error) => Stream.fail(error),
        onRight: (name) => decodeStreamOf(catalog, name, options)(bytes) as Stream.Stream<A, E | DecodeError, R>
      })
    )

/**
 * `decodeStream` by the struct's model name (the services' `listStream` runs it): the one streaming
 * decoder. Each run reads with a decoder of its own.
 */
export const decodeStreamOf =
  (catalog: Catalog, structName: string, options?: DecodeOptions) =>
  <E, R>(bytes: Stream.Stream<Uint8Array, E, R>): Stream.Stream<unknown, E | DecodeError, R> =>
    Stream.suspend(() =>
      Either.match(ListDecoder.make(catalog, structName, options), {
        onLeft: (error) => Stream.fail(error),
        onRight: (decoder) => itemsOf(decoder, bytes)
      })
    )

const itemsOf = <E, R>(decoder: ListDecoder, bytes: Stream.Stream<Uint8Array, E, R>): Stream.Stream<unknown, E | DecodeError, R> => {
  // A failure inside a chunk still delivers the items before it: the chunk ends with a marker,
  // the stream stops pulling bytes there, and the failure follows the items.
  let failed: DecodeError | undefined
  const items = bytes.pipe(
    Stream.mapChunks((chunk): Chunk.Chunk<unknown> => {
      let out: Array<unknown> = []
      for (const piece of chunk) {
        const done = decoder.write(piece)
        if (Either.isLeft(done)) {
          failed = done.left
          out = out.concat(decoder.take(), [FAILED])
          break
        }
        if (done.right.length > 0) out = out.length === 0 ? done.right : out.concat(done.right)
      }
      return Chunk.unsafeFromArray(out)
    }),
    Stream.takeWhile((item) => item !== FAILED)
  )
  const rest = Stream.suspend(() =>
    failed !== undefined
      ? Stream.fail(failed)
      : Either.match(decoder.end(), { onLeft: (error) => Stream.fail(error), onRight: (last) => Stream.fromIterable(last) })
  )
  return Stream.concat(items, rest)
}

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
  <A, I>(catalog: Catalog, schema: Schema.Schema<A, I>, options?: EncodeOptions) =>
  (value: A): Effect.Effect<string, InvalidInputError> =>
    Effect.suspend(() => Either.flatMap(nameOfSchema(schema, inputError), (name) => encodeStructSync(catalog, name, value, options?.tag, options?.mode)))

/** A collection document (`<vms>...</vms>`); options as for `encode`. */
export const encodeList =
  <A, I>(catalog: Catalog, schema: Schema.Schema<A, I>, options?: EncodeOptions) =>
  (values: ReadonlyArray<A>): Effect.Effect<string, InvalidInputError> =>
    Effect.suspend(() => Either.flatMap(nameOfSchema(schema, inputError), (name) => encodeListSync(catalog, name, values, options?.tag, options?.mode)))
