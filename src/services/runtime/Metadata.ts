/**
 * How the generated services describe themselves (src/services/generated/meta/*): their methods, each
 * method's parameters and input constraints, and the locators to child services. The service runtime
 * (Request.ts) sends and decodes by these descriptions; the simulator answers by them.
 */
import type { ServiceRef } from "../../core/internal/Wire.js"

/** The kinds of service methods, as the model names them. */
export type MethodKind = "get" | "list" | "add" | "update" | "remove" | "action"

/** One parameter of a service method (src/services/generated/meta/*). */
export interface ParamMeta {
  /** Option name in TypeScript (camelCase words), e.g. `allContent`; also the `Action` member name. */
  readonly name: string
  readonly kind: "primitive" | "enum" | "struct"
  /** Primitive name, enum name or struct name. */
  readonly type: string
  readonly list: boolean
  readonly in: boolean
  readonly out: boolean
  /** Query-string name when the parameter travels in the URL, e.g. `all_content`; else null. */
  readonly query: string | null
  /** Child element name inside `<action>` for action parameters, e.g. `use_cloud_init`; else null. */
  readonly xml: string | null
  readonly deprecated?: boolean
}

/** Input constraints of a method, as paths of camelCase names (`vm.cluster.id`; `[]` steps into a list). */
export interface ConstraintsMeta {
  readonly mandatory: ReadonlyArray<string>
  readonly optional: ReadonlyArray<string>
  /** "One of these paths": mandatory groups must have one path present. */
  readonly or: ReadonlyArray<{ readonly mandatory: boolean; readonly paths: ReadonlyArray<string> }>
  /**
   * Paths of `mandatory` that are not checked, because an engine 4.6 does not insist on them
   * (codegen/services/meta.ts says which and why: `disk.interface`, moved to the disk attachment).
   */
  readonly relaxed?: ReadonlyArray<string>
}

export interface MethodMeta {
  /** Method name in TypeScript: its words in camelCase, signature words included (`addFromScratch`). */
  readonly name: string
  readonly kind: MethodKind
  readonly http: "GET" | "POST" | "PUT" | "DELETE"
  /** URL segment appended to the service's path for actions (`start`, `commitsnapshot`); else null. */
  readonly path: string | null
  /**
   * For an alternative signature: the camelCase name of its base method (`add`). It is sent exactly like
   * the base; its `constraints` are its own, the base's apply too.
   */
  readonly signatureOf?: string
  /** The parameter sent as the request body (add/update); else null. */
  readonly body: string | null
  /** Root element of the request body (`vm`, `action`); null when no body. */
  readonly requestTag: string | null
  /** Root element of the success response (`vm`, `vms`, `action`); null when none. */
  readonly responseTag: string | null
  /** The parameter carried by the response body (get/list/add/update); else null. */
  readonly response: string | null
  /** Struct name of `response`, and whether the response is a collection. */
  readonly responseType: string | null
  readonly responseList: boolean
  /** Actions with an output: the `Action` member carrying it (same name as the out parameter); else null. */
  readonly actionResult: string | null
  readonly parameters: ReadonlyArray<ParamMeta>
  readonly constraints?: ConstraintsMeta
  readonly deprecated?: boolean
}

export interface LocatorMeta {
  /** Member name on the ref (camelCase words): a property without parameter, a function with one. */
  readonly name: string
  /** Target service name, e.g. `VmService`. */
  readonly service: string
  /** URL segment: fixed (`diskattachments`) or `{id}` / `{<param>}` for the parameter's value. */
  readonly path: string
  /** camelCase name of the locator's single parameter (`id`), or null for a fixed segment. */
  readonly parameter: string | null
  readonly deprecated?: boolean
}

export interface ServiceMeta {
  /** Model name, e.g. `VmsService`. */
  readonly name: string
  readonly methods: ReadonlyArray<MethodMeta>
  readonly locators: ReadonlyArray<LocatorMeta>
  readonly deprecated?: boolean
}

/** What a generated service module gives a lazy ref (src/services/runtime/lazy.ts) and the workflows: its eager ref and its description. */
export interface ServiceModule {
  readonly ref: (path: string) => ServiceRef
  readonly meta: ServiceMeta
}

/**
 * A service's ref shape in the lazy tree (src/services/generated/tree.ts): member names and locators
 * (`[name, service, fixed segment | null for an id]`).
 */
export interface ServiceShape {
  readonly load: () => Promise<ServiceModule>
  readonly methods: ReadonlyArray<string>
  readonly streams: ReadonlyArray<string>
  readonly locators: ReadonlyArray<readonly [name: string, service: string, segment: string | null]>
}

/**
 * A service's shape as src/services/generated/tree.ts spells it, to keep the tree (and a bundle) small:
 * its loader, a literal `import()` that bundlers split on, and one line of text read on the service's
 * first use, `methods|streams|locators`, each part words separated by spaces. A locator is
 * `name:Target:segment` (a fixed segment), `name:Target:` (the segment is the name in lower case) or
 * `name:Target` (it takes an id), `Target` the service's name without its `Service` suffix, e.g.
 * `"get remove update||hostLabels:AffinityGroupHostLabels: group:AffinityGroup"`.
 */
export type ServiceShapeText = readonly [load: () => Promise<ServiceModule>, text: string]

const words = (part: string): ReadonlyArray<string> => (part === "" ? [] : part.split(" "))

/** A shape from its text form (see `ServiceShapeText`); text the generator could not have written throws. */
export const shapeFromText = ([load, text]: ServiceShapeText): ServiceShape => {
  const parts = text.split("|")
  if (parts.length !== 3) throw new Error(`malformed service shape: ${text}`)
  const locators = words(parts[2]).map((locator) => {
    const [name, target, segment, ...rest] = locator.split(":")
    if (name === "" || target === undefined || target === "" || rest.length > 0) throw new Error(`malformed service shape: ${text}`)
    return [name, `${target}Service`, segment === "" ? name.toLowerCase() : segment ?? null] as const
  })
  return { load, methods: words(parts[0]), streams: words(parts[1]), locators }
}

/** A shape's text (see `ServiceShapeText`): what the generator writes, `shapeFromText` reads back. */
export const shapeToText = (shape: Omit<ServiceShape, "load">): string => {
  const locators = shape.locators.map(([name, service, segment]) => {
    if (!service.endsWith("Service")) throw new Error(`service name ${JSON.stringify(service)} does not end in Service`)
    const target = service.slice(0, -"Service".length)
    return [name, target, ...(segment === null ? [] : [segment === name.toLowerCase() ? "" : segment])]
  })
  for (const word of [...shape.methods, ...shape.streams, ...locators.flatMap(([name, target]) => [name, target]), ...shape.locators.flatMap(([, , s]) => s ?? [])]) {
    if (!/^[\w.-]+$/.test(word)) throw new Error(`service shape word ${JSON.stringify(word)} cannot be written as text`)
  }
  return [shape.methods.join(" "), shape.streams.join(" "), locators.map((l) => l.join(":")).join(" ")].join("|")
}
