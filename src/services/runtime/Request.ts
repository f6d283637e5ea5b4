/**
 * The ONE generic invoke every generated service function calls:
 * validate -> encode -> send -> decode, all driven by the service's metadata
 * (src/services/generated/meta/*). Per-method work (constraint paths, query table, result shape) is
 * prepared once, on the method's first call.
 */
import { Effect, Either, Stream } from "effect"
import type { ApiRequest, CallOptions, ConnectionService } from "../../core/Connection.js"
import { Connection } from "../../core/internal/ConnectionTag.js"
import { DecodeError, FaultError, InvalidInputError, type OvirtError } from "../../core/Errors.js"
import { faultFrom } from "../../core/internal/Answers.js"
import { decodeListSync, decodeStreamOf, decodeStructSync, encodeListSync, encodeStructSync } from "../../types/Xml.js"
import { actionTag, successStatus } from "../generated/wire.js"
import { describeUnmet, type Signature, signaturesOf, unmetSignatures } from "./Constraints.js"
import type { MethodMeta, ParamMeta, ServiceMeta } from "./Metadata.js"
import { checkParameter, formatQueryValue } from "./Parameters.js"

type Input = Readonly<Record<string, unknown>>

/**
 * A method's options plus `CallOptions`, as the generated functions pass them. A method may have a
 * parameter of the same name as a call option (HostService.upgrade's `timeout` is a number of
 * seconds, sent as `<timeout>`): such a key is the method's, so its type is open here.
 */
type MethodOptions = { readonly [K in keyof CallOptions]?: unknown }

/** A method, ready to send: everything that does not depend on the call's input. */
interface Prepared {
  readonly service: string
  readonly method: MethodMeta
  /** `Service.method`, as messages name the call. */
  readonly where: string
  readonly http: ApiRequest["method"]
  readonly success: ReadonlyArray<number>
  readonly actionPath: string | null
  /** The ways to call the method: its input must satisfy one of them. */
  readonly signatures: ReadonlyArray<Signature>
  /** Inputs other than the body, checked by type before anything is sent. */
  readonly inputs: ReadonlyArray<ParamMeta>
  readonly queryInputs: ReadonlyArray<ParamMeta>
  /** Inputs sent inside `<action>`: action parameters, or a remove's structured input. */
  readonly actionInputs: ReadonlyArray<ParamMeta>
  readonly body: ParamMeta | undefined
  /** `CallOptions` keys the method's own parameters take over (HostService.upgrade has `timeout`). */
  readonly shadowed: ReadonlySet<string>
  readonly outputs: ReadonlyArray<ParamMeta>
}

const callOptionKeys = ["headers", "query", "timeout", "correlationId", "retryConflicts"] as const

const prepare = (service: ServiceMeta, method: MethodMeta): Prepared => {
  const inputs = method.parameters.filter((p) => p.in && p.name !== method.body)
  const names = new Set(method.parameters.map((p) => p.name))
  return {
    service: service.name,
    method,
    where: `${service.name}.${method.name}`,
    http: method.http,
    success: successStatus[method.kind],
    actionPath: method.path,
    signatures: signaturesOf(service.methods, method),
    inputs,
    queryInputs: inputs.filter((p) => p.query !== null),
    actionInputs:
      method.kind === "action"
        ? inputs.filter((p) => p.xml !== null)
        : inputs.filter((p) => p.query === null && p.kind === "struct"),
    body: method.body === null ? undefined : method.parameters.find((p) => p.name === method.body),
    shadowed: new Set(callOptionKeys.filter((k) => names.has(k))),
    outputs: method.kind === "action" ? method.parameters.filter((p) => p.out) : []
  }
}

/** The requests of one service: its methods prepared on first use. */
export class Operations {
  private readonly prepared = new Map<string, Prepared>()

  constructor(readonly meta: ServiceMeta) {}

  private method(name: string): Prepared {
    let prepared = this.prepared.get(name)
    if (prepared === undefined) {
      const method = this.meta.methods.find((m) => m.name === name)
      if (method === undefined) throw new Error(`${this.meta.name} has no method ${name}`)
      prepared = prepare(this.meta, method)
      this.prepared.set(name, prepared)
    }
    return prepared
  }

  /**
   * Calls method `name` of the service at `path` (escaped, below the API root). `body` is the body
   * value of add/update (undefined otherwise); `options` the method's options plus `CallOptions`.
   * `A` is the method's result type, as the generated signature declares it.
   */
  call<A>(name: string, path: string, body: unknown, options: MethodOptions | undefined): Effect.Effect<A, OvirtError, Connection> {
    return Effect.suspend(() => {
      const p = this.method(name)
      return Effect.flatMap(build(p, path, body, options), (built) =>
        Effect.flatMap(Connection, (connection) =>
          Effect.flatMap(connection.send(built), (response) =>
            decodeResponse<A>(p, whereOf(connection, built), response.status, response.body))
        ))
    })
  }

  /** The items of list method `name` as a Stream, decoded as the body arrives. */
  stream<A>(name: string, path: string, options: MethodOptions | undefined): Stream.Stream<A, OvirtError, Connection> {
    return Stream.unwrap(
      Effect.suspend(() => {
        const p = this.method(name)
        return Effect.flatMap(build(p, path, undefined, options), (built) =>
          Effect.map(Connection, (connection) => decodeItems<A>(p, whereOf(connection, built), connection.sendStream(built))))
      })
    )
  }
}

/** The operations of a service, for its generated module. */
export const operations = (meta: ServiceMeta): Operations => new Operations(meta)

// ---------------------------------------------------------------------------------------------
// validate and encode

const invalid = (message: string, paths: ReadonlyArray<string>): Either.Either<never, InvalidInputError> =>
  Either.left(new InvalidInputError({ message, paths }))

/** The request for one call, or why its input cannot be sent (nothing is sent then). */
const build = (p: Prepared, path: string, body: unknown, options: MethodOptions | undefined): Either.Either<ApiRequest, InvalidInputError> => {
  const input: Input = (options ?? {}) as Input
  return Either.flatMap(validate(p, body, input), () =>
    Either.map(encodeBody(p, body, input), (encoded): ApiRequest => {
      const query = queryOf(p, input, options)
      const callOptions = callOptionsOf(p, options)
      return {
        method: p.http,
        path: p.actionPath === null ? path : path === "" ? p.actionPath : `${path}/${p.actionPath}`,
        ...(query.length > 0 ? { query } : {}),
        ...(encoded === undefined ? {} : { body: encoded }),
        success: p.success,
        service: p.service,
        operation: p.method.name,
        ...(callOptions === undefined ? {} : { options: callOptions })
      }
    }))
}

/** The model's constraints, then the type of each option (struct members are checked by the writer). */
const validate = (p: Prepared, body: unknown, input: Input): Either.Either<void, InvalidInputError> => {
  const where = p.where
  if (p.body !== undefined && (body === undefined || body === null)) {
    return invalid(`${where}: the ${p.body.name} to send is missing`, [p.body.name])
  }
  const unmet = unmetSignatures(p.signatures, (head) => (head === p.body?.name ? body : input[head]))
  if (unmet !== undefined) return invalid(`${where}: ${describeUnmet(unmet)}`, [...new Set(unmet.flatMap((u) => u.missing))])
  const wrong: Array<string> = []
  const problems: Array<string> = []
  for (const param of p.inputs) {
    const problem = checkParameter(param, input[param.name])
    if (problem !== undefined) {
      wrong.push(param.name)
      problems.push(problem)
    }
  }
  return wrong.length > 0 ? invalid(`${where}: ${problems.join("; ")}`, wrong) : Either.void
}

/** The method's query parameters in model order, then the call's own `query`. */
const queryOf = (p: Prepared, input: Input, options: MethodOptions | undefined): ReadonlyArray<readonly [string, string]> => {
  const query: Array<readonly [string, string]> = []
  for (const param of p.queryInputs) {
    const value = input[param.name]
    if (value === undefined) continue
    if (Array.isArray(value)) for (const item of value) query.push([param.query as string, formatQueryValue(param, item)])
    else query.push([param.query as string, formatQueryValue(param, value)])
  }
  const extra = p.shadowed.has("query") ? undefined : (options as CallOptions | undefined)?.query
  if (extra !== undefined) {
    for (const key of Object.keys(extra)) {
      const value = extra[key]
      if (value !== undefined) query.push([key, typeof value === "string" ? value : String(value)])
    }
  }
  return query
}

/** The `CallOptions` for the Connection (`query` is already folded into the request's query). */
const callOptionsOf = (p: Prepared, methodOptions: MethodOptions | undefined): CallOptions | undefined => {
  if (methodOptions === undefined) return undefined
  // the keys a method does not take over are the caller's CallOptions (checked by the Connection)
  const options = methodOptions as CallOptions
  const kept: Record<string, unknown> = {}
  for (const key of ["headers", "timeout", "correlationId", "retryConflicts"] as const) {
    if (!p.shadowed.has(key) && options[key] !== undefined) kept[key] = options[key]
  }
  return Object.keys(kept).length === 0 ? undefined : kept as CallOptions
}

/** The writer names paths after the struct (`action.vm.name`, `hostNic.name`); the caller knows `vm.name`. */
const renamed = (where: string, error: InvalidInputError, from: string, to: string): InvalidInputError => {
  const rename = (path: string): string =>
    path === from ? to
    : path.startsWith(`${from}.`) ? (to === "" ? path.slice(from.length + 1) : `${to}${path.slice(from.length)}`)
    : path.startsWith(`${from}[`) ? `${to}${path.slice(from.length)}`
    : path
  const paths = error.paths?.map(rename)
  const first = error.paths?.[0]
  const message = first === undefined ? error.message : error.message.replace(first, rename(first))
  return new InvalidInputError({ message: `${where}: ${message}`, ...(paths === undefined ? {} : { paths }) })
}

const lowerFirst = (name: string): string => name.charAt(0).toLowerCase() + name.slice(1)

const encodeBody = (p: Prepared, body: unknown, input: Input): Either.Either<string | undefined, InvalidInputError> => {
  const where = p.where
  if (p.body !== undefined) {
    const tag = p.method.requestTag ?? undefined
    const { list, type, name } = p.body
    const encoded = list ? encodeListSync(type, body as ReadonlyArray<unknown>, tag) : encodeStructSync(type, body, tag)
    return Either.mapLeft(encoded, (error) => renamed(where, error, list ? `${lowerFirst(type)}s` : lowerFirst(type), name))
  }
  if (p.actionInputs.length === 0) return Either.right(p.method.kind === "action" ? `<${actionTag}/>` : undefined)
  const action: Record<string, unknown> = {}
  for (const param of p.actionInputs) {
    const value = input[param.name]
    if (value !== undefined) action[param.name] = value
  }
  if (p.method.kind !== "action" && Object.keys(action).length === 0) return Either.right(undefined)
  return Either.mapLeft(encodeStructSync("Action", action, actionTag), (error) => renamed(where, error, "action", ""))
}

// ---------------------------------------------------------------------------------------------
// decode

/**
 * Where a request went, for its errors: the same `path` as the Connection's errors (query included,
 * secrets removed), made only when an error needs it.
 */
interface Where {
  readonly path: () => string
  readonly method: ApiRequest["method"]
  /** Removes the connection's secrets from a text of the answer. */
  readonly scrub: (text: string) => string
}

const whereOf = (connection: ConnectionService, request: ApiRequest): Where => ({
  path: () => connection.errorPath(request),
  method: request.method,
  scrub: connection.scrub
})

const context = (where: Where, code: number) => ({ method: where.method, path: where.path(), code })

/** A DecodeError of the codec, with where the request went. */
const located = (error: DecodeError, where: Where, code: number): DecodeError =>
  new DecodeError({ ...error, ...context(where, code), message: error.message })

interface ActionReply {
  readonly status?: string
  readonly fault?: unknown
  readonly [member: string]: unknown
}

const decodeResponse = <A>(p: Prepared, request: Where, code: number, text: string): Effect.Effect<A, DecodeError | FaultError> => {
  const m = p.method
  switch (m.kind) {
    case "remove":
      return Effect.void as Effect.Effect<A>
    case "action":
      return decodeAction<A>(p, request, code, text)
    default: {
      const type = m.responseType as string
      const tag = m.responseTag ?? undefined
      const options = tag === undefined ? undefined : { tag }
      const value = m.responseList ? decodeListSync(type, text, options) : decodeStructSync(type, text, options)
      return Either.mapLeft(value as Either.Either<A, DecodeError>, (error) => located(error, request, code))
    }
  }
}

const decodeAction = <A>(p: Prepared, request: Where, code: number, text: string): Effect.Effect<A, DecodeError | FaultError> => {
  // an action without result may be answered without a body
  if (p.outputs.length === 0 && text.trim() === "") return Effect.void as Effect.Effect<A>
  const decoded = decodeStructSync("Action", text, { tag: actionTag }) as Either.Either<ActionReply, DecodeError>
  return Effect.flatMap(Either.mapLeft(decoded, (error) => located(error, request, code)), (reply) => actionResult<A>(p, request, code, reply))
}

/** What an `<action>` reply gives: its fault, or the method's output(s). */
const actionResult = <A>(p: Prepared, request: Where, code: number, reply: ActionReply): Effect.Effect<A, DecodeError | FaultError> => {
  if (reply.status === "failed" || reply.fault !== undefined) {
    const fault = faultFrom(reply.fault, request.scrub)
    const reason = fault?.reason ?? "the action failed"
    return Effect.fail(
      new FaultError({
        message: `${p.where}: ${reason}${fault?.detail === undefined ? "" : `: ${fault.detail}`}`,
        ...context(request, code),
        ...(fault === undefined ? {} : { fault })
      })
    )
  }
  if (p.outputs.length === 0) return Effect.void as Effect.Effect<A>
  if (p.outputs.length > 1) {
    const result: Record<string, unknown> = {}
    for (const out of p.outputs) if (reply[out.name] !== undefined) result[out.name] = reply[out.name]
    return Effect.succeed(result as A)
  }
  const out = p.outputs[0] as ParamMeta
  const value = reply[out.name]
  if (value !== undefined) return Effect.succeed(value as A)
  if (out.list) return Effect.succeed([] as unknown as A)
  return Effect.fail(
    new DecodeError({ message: `${p.where}: the <action> reply has no ${out.name}`, ...context(request, code) })
  )
}

/** The list's items as the body arrives, by the codec's one streaming decoder; its failures say where the request went. */
const decodeItems = <A>(p: Prepared, request: Where, bytes: Stream.Stream<Uint8Array, OvirtError>): Stream.Stream<A, OvirtError> => {
  const tag = p.method.responseTag ?? undefined
  const items = decodeStreamOf(p.method.responseType as string, tag === undefined ? undefined : { tag })(bytes) as Stream.Stream<A, OvirtError>
  // the codec's failures carry no request yet; the Connection's already do
  return Stream.mapError(items, (error) => (error._tag === "DecodeError" && error.path === undefined ? located(error, request, 200) : error))
}
