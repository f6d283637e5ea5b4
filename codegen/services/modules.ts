/**
 * One module per service (src/services/generated/<Service>.ts): an options interface and a plain
 * function per method (path first, calling services/runtime/Request.ts), the service's ref interface, and `ref(path)`,
 * its pure constructor. A locator to another service gives a lazy ref (src/services/runtime/lazy.ts), so a module
 * imports no other service module and loading one service stays cheap. Plus
 * src/services/generated/index.ts with every module as a namespace, and src/services/generated/tree.ts,
 * the shape of every ref (method, stream and locator names) that lazy refs are built from.
 */
import { generatedFile, type GeneratedFile } from "../emit.js"
import { camelCase, pascalCase, type Model, type ModelMethod, type ModelParameter, type ModelService } from "../model.js"
import { CALL_OPTION_KEYS } from "../../src/core/internal/Wire.js"
import { shapeToText } from "../../src/services/runtime/Metadata.js"
import { identifier } from "../naming.js"
import { dir, generator, methodName, responseParameter } from "./meta.js"

/** Bindings every module declares or imports; a method named like one of them would shadow it. */
const moduleBindings = new Set([
  "Effect", "Stream", "CallOptions", "Connection", "OvirtError", "ServiceRef", "ServiceRefBase", "childPath", "idPath",
  "operations", "op", "meta", "ref", "Ref", "path", "options", "lazyRef", "pages", "PagedOptions"
])
/** Members of every ref (from ServiceRefBase); no method or locator may take them. */
const refMembers = new Set(["service", "path", "toJSON", "toString", "constructor"])

const primitiveTypes: Readonly<Record<string, string>> = {
  String: "string",
  Boolean: "boolean",
  Integer: "number",
  Decimal: "number",
  Date: "Date"
}

interface TypeUse {
  readonly type: string
  readonly typeKind: ModelParameter["typeKind"]
  readonly list: boolean
}

/** The TypeScript type of a parameter; records the model types it needs in `refs`. */
const typeOf = (p: TypeUse, refs: Set<string>): string => {
  let one: string
  if (p.typeKind === "primitive") {
    const t = primitiveTypes[p.type]
    if (t === undefined) throw new Error(`unknown primitive ${p.type}`)
    one = t
  } else {
    refs.add(p.type)
    one = p.type
  }
  return p.list ? `ReadonlyArray<${one}>` : one
}

const optionsName = (m: ModelMethod): string => `${pascalCase(m.words)}Options`

/** A list whose search pages (`search=... page N` with `max`) also gets `<name>All`, a Stream page by page. */
const pages = (m: ModelMethod): boolean =>
  m.kind === "list" && m.parameters.some((p) => p.in && p.name === "search") && m.parameters.some((p) => p.in && p.name === "max")

const sameParameters = (a: ModelMethod, b: ModelMethod): boolean =>
  a.parameters.length === b.parameters.length &&
  a.parameters.every((p, i) => {
    const q = b.parameters[i]
    return q !== undefined && q.name === p.name && q.type === p.type && q.list === p.list && q.in === p.in && q.deprecated === p.deprecated
  })

const outputs = (m: ModelMethod): ReadonlyArray<ModelParameter> => (m.kind === "action" ? m.parameters.filter((p) => p.out) : [])

const resultType = (s: ModelService, m: ModelMethod, refs: Set<string>): string => {
  switch (m.kind) {
    case "remove":
      return "void"
    case "action": {
      const outs = outputs(m)
      if (outs.length === 0) return "void"
      if (outs.length === 1) return typeOf(outs[0] as ModelParameter, refs)
      return `{ ${outs.map((p) => `readonly ${p.name}?: ${typeOf(p, refs)}`).join("; ")} }`
    }
    default: {
      const r = responseParameter(s, m)
      if (r === undefined) throw new Error(`${s.name}.${m.name}: no response parameter`)
      return m.kind === "list" ? `ReadonlyArray<${typeOf({ ...r, list: false }, refs)}>` : typeOf(r, refs)
    }
  }
}

const doc = (lines: ReadonlyArray<string>, indent = ""): ReadonlyArray<string> =>
  lines.length === 0 ? []
  : lines.length === 1 ? [`${indent}/** ${lines[0]} */`]
  : [`${indent}/**`, ...lines.map((l) => `${indent} * ${l}`), `${indent} */`]

const code = (s: string): string => `\`${s}\``

const methodDoc = (s: ModelService, m: ModelMethod): ReadonlyArray<string> => {
  const target = m.path === null ? "{path}" : `{path}/${m.path}`
  const sent = m.requestTag === null ? "" : `, body ${code(`<${m.requestTag}>`)}`
  const lines = [`${code(`${m.http} ${target}`)}${sent} (${s.name}.${m.name}).`]
  if (m.signatureOf !== undefined) {
    lines.push(`A signature of ${code(camelCase(s.methods.find((b) => b.name === m.signatureOf)?.words ?? []))}: sent exactly like it.`)
  }
  const c = m.constraints
  const base = m.signatureOf === undefined ? undefined : s.methods.find((b) => b.name === m.signatureOf)?.constraints
  const mandatory = [
    ...[...(base?.mandatory ?? []), ...(c?.mandatory ?? [])].map(code),
    ...[...(base?.or ?? []), ...(c?.or ?? [])].filter((g) => g.mandatory).map((g) => g.paths.map(code).join(" or "))
  ]
  if (mandatory.length > 0) lines.push(`Mandatory: ${[...new Set(mandatory)].join("; ")}.`)
  if (m.deprecated === true) lines.push("@deprecated")
  return lines
}

interface MethodCode {
  readonly declarations: ReadonlyArray<string>
  readonly refMembers: ReadonlyArray<string>
  readonly classMembers: ReadonlyArray<string>
}

const methodCode = (s: ModelService, m: ModelMethod, refs: Set<string>): MethodCode => {
  const name = methodName(m)
  const fn = identifier(name, `${s.name}.${name}`)
  const where = `${s.name}.${name}`
  if (moduleBindings.has(name) || refMembers.has(name)) throw new Error(`${where}: the name is taken by the generated module`)
  const options = optionsName(m)
  const result = resultType(s, m, refs)
  const effect = `Effect.Effect<${result}, OvirtError, Connection>`
  const body = m.bodyParameter === null ? undefined : m.parameters.find((p) => p.name === m.bodyParameter)
  if (m.bodyParameter !== null && body === undefined) throw new Error(`${where}: no body parameter ${m.bodyParameter}`)
  const bodyArg = body === undefined ? undefined : identifier(body.name, `${where} body`)
  if (bodyArg !== undefined && moduleBindings.has(bodyArg)) throw new Error(`${where}: body parameter name ${bodyArg} is taken`)
  const bodyDecl = body === undefined ? "" : `${bodyArg}: ${typeOf(body, refs)}, `
  const bodyPass = bodyArg ?? "undefined"

  // options: the method's own inputs (not the body), plus CallOptions unless a parameter takes the key
  const inputs = m.parameters.filter((p) => p.in && p.name !== m.bodyParameter)
  const shadowed: ReadonlyArray<string> = CALL_OPTION_KEYS.filter((k) => inputs.some((p) => p.name === k))
  const base = m.signatureOf === undefined ? undefined : s.methods.find((b) => b.name === m.signatureOf)
  const declarations: Array<string> = []
  if (base !== undefined && sameParameters(base, m)) {
    declarations.push(`/** Options of ${code(name)}: those of ${code(methodName(base))}. */`)
    declarations.push(`export type ${options} = ${optionsName(base)}`)
  } else {
    const extendsClause = shadowed.length === 0 ? "CallOptions" : `Omit<CallOptions, ${shadowed.map((k) => JSON.stringify(k)).join(" | ")}>`
    const fields = inputs.flatMap((p) => [
      ...doc([
        ...(p.query !== null ? [`Query ${code(p.query)}.`] : p.xml !== null ? [`Sent as ${code(`<${p.xml}>`)}.`] : []),
        ...(shadowed.includes(p.name) ? [`The model's parameter; this call has no ${code(`CallOptions.${p.name}`)}.`] : []),
        ...(p.deprecated === true ? ["@deprecated"] : [])
      ], "  "),
      `  readonly ${p.name}?: ${typeOf(p, refs)}`
    ])
    declarations.push(`/** Options of ${code(name)}. */`)
    declarations.push(fields.length === 0 ? `export interface ${options} extends ${extendsClause} {}` : `export interface ${options} extends ${extendsClause} {\n${fields.join("\n")}\n}`)
  }
  declarations.push("")
  declarations.push(...doc(methodDoc(s, m)))
  declarations.push(`export const ${fn} = (path: string, ${bodyDecl}options?: ${options}): ${effect} =>`)
  declarations.push(`  op.call(${JSON.stringify(name)}, path, ${bodyPass}, options)`)
  const refMember = [...doc([...methodDoc(s, m).slice(0, 1), ...(m.deprecated === true ? ["@deprecated"] : [])], "  "), `  ${name}(${bodyDecl}options?: ${options}): ${effect}`]
  const classMember = [`  ${name}(${bodyDecl}options?: ${options}): ${effect} {`, `    return ${fn}(this.path, ${bodyArg === undefined ? "" : `${bodyArg}, `}options)`, `  }`]
  if (m.kind === "list") {
    const item = result.replace(/^ReadonlyArray<(.*)>$/, "$1")
    const stream = `Stream.Stream<${item}, OvirtError, Connection>`
    declarations.push("")
    declarations.push(...doc([`${code(name)} as a Stream of items, decoded as the body arrives (bounded memory).`]))
    declarations.push(`export const ${name}Stream = (path: string, options?: ${options}): ${stream} =>`)
    declarations.push(`  op.stream(${JSON.stringify(name)}, path, options)`)
    refMember.push(`  /** ${code(name)} as a Stream of items, decoded as the body arrives. */`, `  ${name}Stream(options?: ${options}): ${stream}`)
    classMember.push(`  ${name}Stream(options?: ${options}): ${stream} {`, `    return ${name}Stream(this.path, options)`, `  }`)
    if (pages(m)) {
      const paged = `PagedOptions<${options}>`
      declarations.push("")
      declarations.push(...doc([
        `${code(name)} page by page as a Stream: ${code("search=<search> page N")} with ${code("max=<pageSize>")} (default 100),`,
        "the next page fetched when the consumer pulls, until a short page; one page in memory at a time."
      ]))
      declarations.push(`export const ${name}All = (path: string, options?: ${paged}): ${stream} =>`)
      declarations.push(`  pages((o: ${options}) => ${fn}(path, o), options)`)
      refMember.push(`  /** ${code(name)} page by page as a Stream (${code("search ... page N")}, ${code("max")}); one page in memory. */`, `  ${name}All(options?: ${paged}): ${stream}`)
      classMember.push(`  ${name}All(options?: ${paged}): ${stream} {`, `    return ${name}All(this.path, options)`, `  }`)
    }
  }
  declarations.push("")
  return { declarations, refMembers: refMember, classMembers: classMember }
}

/** The alias a module imports another service's module under. */
const moduleAlias = (service: string): string => service

const serviceModule = (model: Model, s: ModelService): GeneratedFile => {
  const refs = new Set<string>()
  const methods = s.methods.map((m) => methodCode(s, m, refs))
  const targets = new Set<string>()
  const refName = `${s.name}Ref`
  const locatorMembers = s.locators.map((l) => {
    if (refMembers.has(l.name)) throw new Error(`${s.name}.${l.name}: the locator name is taken by ServiceRef`)
    const self = l.service === s.name
    if (!self) targets.add(l.service)
    const targetRef = self ? refName : `${moduleAlias(l.service)}.${l.service}Ref`
    // Another service's ref is lazy: this module does not import that service's module.
    const call = (pathCode: string): string =>
      self ? `ref(${pathCode})` : `lazyRef<${targetRef}>(${JSON.stringify(l.service)}, ${pathCode})`
    const deprecated = l.deprecated === true ? ["  /** @deprecated */"] : []
    const param = l.parameters[0]
    if (param === undefined) {
      return {
        ref: [...deprecated, `  /** ${code(`{path}/${l.path}`)}. */`, `  readonly ${l.name}: ${targetRef}`],
        cls: [`  get ${l.name}(): ${targetRef} {`, `    return ${call(`childPath(this.path, ${JSON.stringify(l.path)})`)}`, `  }`]
      }
    }
    if (param.type !== "String" || param.list) throw new Error(`${s.name}.${l.name}: only string locator parameters are supported`)
    const arg = identifier(param.name, `${s.name}.${l.name} parameter`)
    return {
      ref: [...deprecated, `  /** ${code(`{path}/${l.path}`)}, the value escaped. */`, `  ${l.name}(${arg}: string): ${targetRef}`],
      cls: [`  ${l.name}(${arg}: string): ${targetRef} {`, `    return ${call(`idPath(this.path, ${arg})`)}`, `  }`]
    }
  })
  const names = [
    ...s.methods.map(methodName),
    ...s.methods.filter((m) => m.kind === "list").map((m) => `${methodName(m)}Stream`),
    ...s.methods.filter(pages).map((m) => `${methodName(m)}All`),
    ...s.locators.map((l) => l.name)
  ]
  const dup = names.find((n, i) => names.indexOf(n) !== i)
  if (dup !== undefined) throw new Error(`${s.name}: two members named ${dup}`)
  const typeNames = [...refs].sort()
  for (const t of [...typeNames, ...targets]) {
    if (moduleBindings.has(t) || s.methods.some((m) => optionsName(m) === t) || t === refName) {
      throw new Error(`${s.name}: imported name ${t} clashes with a generated name`)
    }
  }
  const hasMethods = s.methods.length > 0
  const hasList = s.methods.some((m) => m.kind === "list")
  const locatorHelpers = [
    ...(s.locators.some((l) => l.parameters.length === 0) ? ["childPath"] : []),
    ...(s.locators.some((l) => l.parameters.length > 0) ? ["idPath"] : [])
  ]
  const imports = [
    ...(hasMethods ? [`import type { Effect${hasList ? ", Stream" : ""} } from "effect"`] : []),
    ...(hasMethods ? [`import type { CallOptions, Connection } from "../../core/Connection.js"`, `import type { OvirtError } from "../../core/Errors.js"`] : []),
    ...(hasMethods ? [`import { operations } from "../runtime/Request.js"`] : []),
    ...(s.methods.some(pages) ? [`import { pages, type PagedOptions } from "../runtime/pages.js"`] : []),
    ...typeNames.map((t) => `import type { ${t} } from "../../types/generated/${t}.js"`),
    `import { ${[...locatorHelpers, "type ServiceRef", "ServiceRefBase"].join(", ")} } from "../ServiceRef.js"`,
    ...(targets.size > 0 ? [`import { lazyRef } from "../runtime/lazy.js"`] : []),
    `import { ${s.name} as meta } from "./meta/${s.name}.js"`,
    ...[...targets].sort().map((t) => `import type * as ${moduleAlias(t)} from "./${t}.js"`)
  ]
  const body = [
    ...imports,
    ``,
    `/** Wire metadata of ${code(s.name)}. */`,
    `export { meta }`,
    ``,
    ...(hasMethods ? [`const op = /*#__PURE__*/ operations(meta)`, ``] : []),
    ...methods.flatMap((m) => m.declarations),
    ...doc([`The ${code(s.name)} at a path: its methods and locators, without I/O.`, ...(s.deprecated === true ? ["@deprecated"] : [])]),
    `export interface ${refName} extends ServiceRef {`,
    ...methods.flatMap((m) => m.refMembers),
    ...locatorMembers.flatMap((l) => l.ref),
    `}`,
    ``,
    `class Ref extends ServiceRefBase implements ${refName} {`,
    [...methods.map((m) => m.classMembers.join("\n")), ...locatorMembers.map((l) => l.cls.join("\n"))].join("\n\n"),
    `}`,
    ``,
    `/** The ${code(s.name)} at ${code("path")} (below the API root, escaped), without I/O. */`,
    `export const ref = (path: string): ${refName} => new Ref(${JSON.stringify(s.name)}, path)`,
    ``
  ].join("\n")
  return generatedFile(`${dir}/${s.name}.ts`, generator, model, body)
}

const indexModule = (model: Model): GeneratedFile =>
  generatedFile(
    `${dir}/index.ts`,
    generator,
    model,
    model.services.map((s) => `export * as ${s.name} from "./${s.name}.js"`).join("\n")
  )

/**
 * The shape of every ref: what src/services/runtime/lazy.ts builds a lazy ref of a service from, and its
 * loader. Each shape is one line of text (runtime/Metadata.ts `ServiceShapeText`), read on the service's
 * first use; the loader stays a literal `import()` per service so that bundlers split each service off.
 */
const treeModule = (model: Model): GeneratedFile => {
  const entries = model.services.map((s) => {
    const text = shapeToText({
      methods: s.methods.map(methodName),
      streams: [
        ...s.methods.filter((m) => m.kind === "list").map((m) => `${methodName(m)}Stream`),
        ...s.methods.filter(pages).map((m) => `${methodName(m)}All`)
      ],
      locators: s.locators.map((l) => [l.name, l.service, l.parameters.length === 0 ? l.path : null] as const)
    })
    return `  ${s.name}: [() => import("./${s.name}.js"), ${JSON.stringify(text)}]`
  })
  return generatedFile(
    `${dir}/tree.ts`,
    generator,
    model,
    [
      `import type { ServiceShapeText } from "../runtime/Metadata.js"`,
      ``,
      `/** Every service's loader and ref shape: \`methods|streams|locators\` (see \`ServiceShapeText\`). */`,
      `export const shapes: Readonly<Record<string, ServiceShapeText>> = {`,
      entries.join(",\n"),
      `}`,
      ``
    ].join("\n")
  )
}

export const generateServiceModules = (model: Model): ReadonlyArray<GeneratedFile> => [
  ...model.services.map((s) => serviceModule(model, s)),
  indexModule(model),
  treeModule(model)
]
