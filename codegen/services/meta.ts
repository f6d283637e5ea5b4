/**
 * Service metadata: one plain-data file per service (src/services/generated/meta/<Service>.ts), the
 * table of all of them (src/services/generated/metadata.ts, for the simulator and `service(path)`), and
 * the wire constants (src/services/generated/wire.ts). The service modules import only their own file.
 */
import type { ConstraintsMeta, LocatorMeta, MethodMeta, ParamMeta } from "../../src/services/runtime/Metadata.js"
import { generatedFile, type GeneratedFile } from "../emit.js"
import { camelCase, flattenMembers, type Model, type ModelLocator, type ModelMethod, type ModelParameter, type ModelService } from "../model.js"

export const generator = "codegen/services.ts"
export const dir = "src/services/generated"

const str = (s: string): string => JSON.stringify(s)
const strings = (items: ReadonlyArray<string>): string => `[${items.map(str).join(", ")}]`

/**
 * The fields of a flat metadata value as written in an object literal (`name: "x", list: false`), in
 * its own order, leaving out those undefined. The generator builds the runtime's own types
 * (`ParamMeta`, `MethodMeta`, `LocatorMeta`) and writes them with this, so the two cannot drift apart.
 */
const fieldsOf = (value: object): string =>
  Object.entries(value)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}: ${JSON.stringify(v)}`)
    .join(", ")

/** The camelCase name of a model method (`AddFromScratch` -> `addFromScratch`). */
export const methodName = (method: ModelMethod): string => camelCase(method.words)

const baseName = (service: ModelService, method: ModelMethod): string | undefined => {
  if (method.signatureOf === undefined) return undefined
  const base = service.methods.find((m) => m.name === method.signatureOf)
  if (base === undefined) throw new Error(`${service.name}.${method.name}: unknown base ${method.signatureOf}`)
  return methodName(base)
}

/** The response parameter of a get/list/add/update method. */
export const responseParameter = (service: ModelService, method: ModelMethod) => {
  if (method.responseParameter === null) return undefined
  const p = method.parameters.find((q) => q.name === method.responseParameter)
  if (p === undefined) throw new Error(`${service.name}.${method.name}: no parameter ${method.responseParameter}`)
  return p
}

/**
 * Mandatory inputs the model's input details list for a signature that an engine 4.6 does not insist
 * on (ovirt-engine, restapi BackendDiskAttachmentsResource.add: without a disk id it creates the disk
 * and checks only the disk's size and format; `bootable` and `pass_discard` default to false).
 */
const ENGINE_DEFAULTS: ReadonlyArray<readonly [service: string, method: string, path: string]> = [
  ["DiskAttachmentsService", "AddSignature1", "attachment.bootable"],
  ["DiskAttachmentsService", "AddSignature1", "attachment.passDiscard"]
]

/** Whether the constraint path steps through a member the model deprecates. */
const throughDeprecated = (model: Model, service: ModelService, method: ModelMethod, path: string): boolean => {
  const [head, ...rest] = path.split(".").map((step) => step.replace(/\[\]$/, ""))
  const param = method.parameters.find((p) => p.name === head)
  if (param === undefined) throw new Error(`${service.name}.${method.name}: constraint ${path} names no parameter`)
  let type = param.type
  for (const step of rest) {
    const struct = model.structs.find((st) => st.name === type)
    const member = struct === undefined ? undefined : flattenMembers(model, struct).find((m) => camelCase(m.words) === step)
    if (member === undefined) throw new Error(`${service.name}.${method.name}: constraint ${path}: no member ${step} in ${type}`)
    if (member.deprecated === true) return true
    type = member.type
  }
  return false
}

/**
 * The mandatory paths of `method` that are not checked (`ConstraintsMeta.relaxed`): in the part common
 * to alternative signatures, those through a deprecated member (`disk.interface` of `DisksService.Add`,
 * moved to the disk attachment: `POST /disks` does not ask for it); and the engine's defaults above.
 */
const relaxedPaths = (model: Model, service: ModelService, method: ModelMethod): ReadonlyArray<string> => {
  const hasAlternatives = service.methods.some((m) => m.signatureOf === method.name)
  const mandatory = method.constraints?.mandatory ?? []
  return mandatory.filter(
    (path) =>
      (hasAlternatives && throughDeprecated(model, service, method, path)) ||
      ENGINE_DEFAULTS.some(([s, m, p]) => s === service.name && m === method.name && p === path)
  )
}

/** A parameter as the runtime reads it. */
const paramMeta = (p: ModelParameter): ParamMeta => ({
  name: p.name,
  kind: p.typeKind,
  type: p.type,
  list: p.list,
  in: p.in,
  out: p.out,
  query: p.query,
  xml: p.xml,
  ...(p.deprecated === true ? { deprecated: true } : {})
})

/** A method as the runtime reads it, but for its parameters and constraints (written on lines of their own). */
const methodHead = (service: ModelService, method: ModelMethod): Omit<MethodMeta, "parameters" | "constraints"> => {
  const base = baseName(service, method)
  const response = responseParameter(service, method)
  return {
    name: methodName(method),
    kind: method.kind,
    http: method.http,
    path: method.path,
    ...(base === undefined ? {} : { signatureOf: base }),
    body: method.bodyParameter,
    requestTag: method.requestTag,
    responseTag: method.responseTag,
    response: method.responseParameter,
    responseType: response?.type ?? null,
    responseList: response?.list ?? false,
    actionResult: method.actionResultMember,
    ...(method.deprecated === true ? { deprecated: true } : {})
  }
}

const constraintsMeta = (model: Model, service: ModelService, method: ModelMethod): ConstraintsMeta | undefined => {
  const c = method.constraints
  if (c === undefined) return undefined
  const relaxed = relaxedPaths(model, service, method)
  return { mandatory: c.mandatory ?? [], optional: c.optional ?? [], or: c.or ?? [], ...(relaxed.length > 0 ? { relaxed } : {}) }
}

const methodLines = (model: Model, service: ModelService, method: ModelMethod): string => {
  const params = method.parameters.map((p) => `        { ${fieldsOf(paramMeta(p))} }`)
  const c = constraintsMeta(model, service, method)
  const constraints =
    c === undefined
      ? []
      : [
          `      constraints: {`,
          `        mandatory: ${strings(c.mandatory)},`,
          `        optional: ${strings(c.optional)},`,
          `        or: [${c.or.map((g) => `{ mandatory: ${g.mandatory}, paths: ${strings(g.paths)} }`).join(", ")}]${c.relaxed !== undefined ? "," : ""}`,
          ...(c.relaxed !== undefined ? [`        relaxed: ${strings(c.relaxed)}`] : []),
          `      }`
        ]
  return [
    `    {`,
    `      ${fieldsOf(methodHead(service, method))},`,
    params.length === 0 ? `      parameters: []${constraints.length > 0 ? "," : ""}` : `      parameters: [\n${params.join(",\n")}\n      ]${constraints.length > 0 ? "," : ""}`,
    ...constraints,
    `    }`
  ].join("\n")
}

/** A locator as the runtime reads it. */
const locatorMeta = (service: ModelService, l: ModelLocator): LocatorMeta => {
  if (l.parameters.length > 1) throw new Error(`${service.name}.${l.name}: locators take at most one parameter`)
  return {
    name: l.name,
    service: l.service,
    path: l.path,
    parameter: l.parameters[0]?.name ?? null,
    ...(l.deprecated === true ? { deprecated: true } : {})
  }
}

const locatorLine = (service: ModelService, l: ModelLocator): string => `    { ${fieldsOf(locatorMeta(service, l))} }`

const serviceMetaFile = (model: Model, service: ModelService): GeneratedFile => {
  const methods = service.methods.map((m) => methodLines(model, service, m))
  const locators = service.locators.map((l) => locatorLine(service, l))
  const body = [
    `import type { ServiceMeta } from "../../runtime/Metadata.js"`,
    ``,
    `/** Wire metadata of \`${service.name}\`: its methods (signatures included) and locators. */`,
    `export const ${service.name}: ServiceMeta = {`,
    `  name: ${str(service.name)},`,
    ...(service.deprecated === true ? ["  deprecated: true,"] : []),
    methods.length === 0 ? `  methods: [],` : `  methods: [\n${methods.join(",\n")}\n  ],`,
    locators.length === 0 ? `  locators: []` : `  locators: [\n${locators.join(",\n")}\n  ]`,
    `}`,
    ``
  ].join("\n")
  return generatedFile(`${dir}/meta/${service.name}.ts`, generator, model, body)
}

const kinds = ["get", "list", "add", "update", "remove", "action"] as const

const wireFile = (model: Model): GeneratedFile =>
  generatedFile(
    `${dir}/wire.ts`,
    generator,
    model,
    [
      `import type { MethodKind } from "../runtime/Metadata.js"`,
      ``,
      `/** HTTP statuses that mean success, per method kind. */`,
      `export const successStatus: Readonly<Record<MethodKind, ReadonlyArray<number>>> = {`,
      kinds.map((k) => `  ${k}: [${model.wire.successStatus[k].join(", ")}]`).join(",\n"),
      `}`,
      ``,
      `/** Root element of action requests and replies, and of faults. */`,
      `export const actionTag: string = ${str(model.wire.actionTag)}`,
      `export const faultTag: string = ${str(model.wire.faultTag)}`,
      ``,
      `/** The service at the API root. */`,
      `export const rootService: string = ${str(model.root)}`,
      ``
    ].join("\n")
  )

const tableFile = (model: Model): GeneratedFile => {
  const names = model.services.map((s) => s.name)
  const body = [
    `import type { ServiceMeta } from "../runtime/Metadata.js"`,
    ...names.map((n) => `import { ${n} } from "./meta/${n}.js"`),
    ``,
    `export { actionTag, faultTag, rootService, successStatus } from "./wire.js"`,
    ``,
    `/** The service at the API root (\`SystemService\`). */`,
    `export const root: string = ${str(model.root)}`,
    ``,
    `/** Every service of the model, by name. */`,
    `export const services: ReadonlyArray<ServiceMeta> = [`,
    names.map((n) => `  ${n}`).join(",\n"),
    `]`,
    ``
  ].join("\n")
  return generatedFile(`${dir}/metadata.ts`, generator, model, body)
}

export const generateServiceMetadata = (model: Model): ReadonlyArray<GeneratedFile> => [
  ...model.services.map((s) => serviceMetaFile(model, s)),
  wireFile(model),
  tableFile(model)
]
