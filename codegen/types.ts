/**
 * src/types/generated/: every struct of the model as an interface and its Encoded interface, every enum as
 * an open union of its wire values, one file per type (`Vm.ts` is where `Vm` is: type-only, so tsc checks
 * them one by one, which measured leaner than one big file). The runtime side, each struct's Schema and
 * each enum's Schema and known values, is in one module, `index.ts`, beside aliases of the interfaces, so
 * `Types.Vm` is both: loading 337 small modules was most of the package root's import time. Each Schema
 * is one pure call with its fields in a thunk, so a bundler drops the Schemas a program does not use.
 */
import { generatedFile, type GeneratedFile } from "./emit.js"
import { camelCase, flattenMembers, type FlatMember, type Model, type ModelEnum, type ModelStruct } from "./model.js"
import { identifier } from "./naming.js"

const generator = "codegen/types.ts"
const dir = "src/types/generated"

/** Names the generated files import themselves; no model type may take them. */
const takenNames = new Set(["Schema", "ListLink", "structSchema", "enumSchema", "index", "metadata"])

const primitiveType: Readonly<Record<string, { readonly type: string; readonly encoded: string; readonly schema: string }>> = {
  String: { type: "string", encoded: "string", schema: "Schema.String" },
  Boolean: { type: "boolean", encoded: "boolean", schema: "Schema.Boolean" },
  Integer: { type: "number", encoded: "number", schema: "Schema.Number" },
  Decimal: { type: "number", encoded: "number", schema: "Schema.Number" },
  Date: { type: "Date", encoded: "string", schema: "Schema.Date" }
}

const primitive = (m: FlatMember) => {
  const p = primitiveType[m.type]
  if (p === undefined) throw new Error(`unknown primitive ${m.type} of member ${m.declaredIn}.${m.name}`)
  return p
}

const isListLink = (m: FlatMember): boolean => m.link && m.list

/** The member's type on the decoded (`encoded: false`) or the encoded side. */
const memberType = (m: FlatMember, encoded: boolean): string => {
  const one =
    m.typeKind === "primitive" ? primitive(m)[encoded ? "encoded" : "type"]
    : m.typeKind === "struct" && encoded ? `${m.type}Encoded`
    : m.type
  if (!m.list) return one
  return isListLink(m) ? `ListLink<${one}>` : `ReadonlyArray<${one}>`
}

const memberSchema = (m: FlatMember): string => {
  const one =
    m.typeKind === "primitive" ? primitive(m).schema
    : m.typeKind === "enum" ? m.type
    : `Schema.suspend((): Schema.Schema<${m.type}, ${m.type}Encoded> => ${m.type})`
  return !m.list ? one : isListLink(m) ? `ListLink(${one})` : `Schema.Array(${one})`
}

/** `  key: Schema.optionalWith(schema, { exact: true }),` wrapped like a formatter would past 120 columns. */
const fieldLine = (key: string, schema: string, last: boolean): string => {
  const comma = last ? "" : ","
  const line = `  ${key}: Schema.optionalWith(${schema}, { exact: true })${comma}`
  return line.length <= 120 ? line : `  ${key}: Schema.optionalWith(\n    ${schema},\n    { exact: true }\n  )${comma}`
}

const memberDoc = (m: FlatMember): ReadonlyArray<string> => {
  const notes: Array<string> = []
  if (m.schemaType === "xs:long") {
    notes.push("`xs:long` on the wire: may exceed 2^31; JavaScript numbers are exact up to 2^53 (8 PiB as bytes).")
  } else if (m.schemaType !== undefined) {
    notes.push(`\`${m.schemaType}\` on the wire.`)
  }
  if (isListLink(m)) notes.push(`When not inlined, an empty list whose \`href\` is the \`<link rel="${m.rel ?? ""}">\`.`)
  if (m.deprecated === true) notes.push("@deprecated")
  if (notes.length === 0) return []
  if (notes.length === 1) return [`  /** ${notes[0]} */`]
  return ["  /**", ...notes.map((n) => `   * ${n}`), "   */"]
}

const structMembers = (model: Model, s: ModelStruct): ReadonlyArray<FlatMember> => {
  const members = flattenMembers(model, s)
  for (const m of members) {
    if (camelCase(m.words) !== m.name) throw new Error(`${s.name}.${m.name}: name differs from its words`)
    if (camelCase(m.words) === "href") throw new Error(`${s.name}: a member named href clashes with the object's URL`)
  }
  return members
}

interface StructCode {
  /** The type's own file: its interfaces. */
  readonly body: string
  /** Its part of index.ts: the aliases and the Schema. */
  readonly schema: string
  /** Enums and structs the body names. */
  readonly refs: ReadonlySet<string>
  readonly usesListLink: boolean
}

const structCode = (model: Model, s: ModelStruct): StructCode => {
  const name = identifier(s.name, `struct ${s.name}`)
  const members = structMembers(model, s)
  const refs = new Set(members.filter((m) => m.typeKind !== "primitive").map((m) => m.type))
  const field = (m: FlatMember, encoded: boolean): ReadonlyArray<string> => [
    ...(encoded ? [] : memberDoc(m)),
    `  readonly ${camelCase(m.words)}?: ${memberType(m, encoded)}`
  ]
  const where = s.xmlPlural === null ? `\`<${s.xml}>\`` : `\`<${s.xml}>\` (collection \`<${s.xmlPlural}>\`)`
  const summary = `${s.builtin === true ? "Builtin type" : "Type"} \`${s.name}\` of the model: ${where}${s.base === null ? "" : `; extends \`${s.base}\``}.`
  const doc = s.deprecated === true ? [`/**`, ` * ${summary}`, ` * @deprecated`, ` */`] : [`/** ${summary} */`]
  const lines = [
    ...doc,
    `export interface ${name} {`,
    `  /** The object's URL, when the engine sent one. */`,
    `  readonly href?: string`,
    ...members.flatMap((m) => field(m, false)),
    `}`,
    ``,
    `/** \`${name}\` as the Schema encodes it (dates as \`xs:dateTime\` text). */`,
    `export interface ${name}Encoded {`,
    `  readonly href?: string`,
    ...members.flatMap((m) => field(m, true)),
    `}`,
    ``,
    ``
  ]
  const schema = [
    ...aliasDoc(summary, s.deprecated === true),
    `export type ${name} = import("./${name}.js").${name}`,
    `export type ${name}Encoded = import("./${name}.js").${name}Encoded`,
    `export const ${name}: Schema.Schema<${name}, ${name}Encoded> = /*#__PURE__*/ structSchema(${JSON.stringify(s.name)}, () => ({`,
    `  href: Schema.optionalWith(Schema.String, { exact: true }),`,
    ...members.map((m, i) => fieldLine(camelCase(m.words), memberSchema(m), i === members.length - 1)),
    `}))`,
    ``
  ]
  return { body: lines.join("\n"), schema: schema.join("\n"), refs, usesListLink: members.some(isListLink) }
}

/** The doc of an alias in index.ts: the type's summary and where its interface is. */
const aliasDoc = (summary: string, deprecated: boolean): ReadonlyArray<string> => [
  `/**`,
  ` * ${summary}`,
  ` * The interface is in its own file; this is its Schema.`,
  ...(deprecated ? [` * @deprecated`] : []),
  ` */`
]

/** `prefix[a, b]` on one line when short, else one item per line. */
const wrapArray = (prefix: string, items: ReadonlyArray<string>): ReadonlyArray<string> => {
  const line = `${prefix}[${items.join(", ")}]`
  return line.length <= 110 ? [line] : [`${prefix}[`, ...items.map((item, i) => `  ${item}${i < items.length - 1 ? "," : ""}`), "]"]
}

const enumDoc = (e: ModelEnum): ReadonlyArray<string> => {
  const deprecated = e.values.filter((v) => v.deprecated === true).map((v) => `\`${v.name}\``)
  return [
    `/**`,
    ` * Enum \`${e.name}\` of the model: its known wire values, open to values newer engines send.`,
    ...(deprecated.length > 0 ? [` * Deprecated values: ${deprecated.join(", ")}.`] : []),
    ...(e.deprecated === true ? [" * @deprecated"] : []),
    ` */`
  ]
}

/** The enum's own file: its type. */
const enumBody = (e: ModelEnum): string => {
  const name = identifier(e.name, `enum ${e.name}`)
  return [...enumDoc(e), `export type ${name} =`, ...e.values.map((v) => `  | ${JSON.stringify(v.name)}`), `  | (string & {})`, ``].join("\n")
}

/** The enum's part of index.ts: the alias, the known values and the Schema. */
const enumSchema = (e: ModelEnum): string => {
  const name = identifier(e.name, `enum ${e.name}`)
  const values = e.values.map((v) => JSON.stringify(v.name))
  return [
    ...enumDoc(e),
    `export type ${name} = import("./${name}.js").${name}`,
    ``,
    `/** The wire values of \`${name}\` known to the model this SDK was generated from. */`,
    ...wrapArray(`export const ${name}Values: ReadonlyArray<${name}> = `, values),
    ``,
    `/** Any string decodes: values unknown to this model version are kept as they are. */`,
    `export const ${name}: Schema.Schema<${name}> = /*#__PURE__*/ enumSchema(${JSON.stringify(e.name)})`,
    ``
  ].join("\n")
}

const checkNames = (model: Model): void => {
  const seen = new Map<string, string>()
  for (const name of [...model.structs.map((s) => s.name), ...model.enums.map((e) => e.name)]) {
    const generated = [name, `${name}Encoded`, `${name}Values`]
    for (const g of generated) {
      const key = g.toLowerCase()
      if (takenNames.has(g) || takenNames.has(key) || seen.has(key)) {
        throw new Error(`generated name ${g} (from ${name}) clashes with ${seen.get(key) ?? "a name the generator uses"}`)
      }
      seen.set(key, name)
    }
  }
}

const byName = <T extends { readonly name: string }>(items: ReadonlyArray<T>): ReadonlyArray<T> =>
  [...items].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))

/** `prefix` and the names, wrapped at 110 columns, as comment lines. */
const nameList = (prefix: string, names: ReadonlyArray<string>): ReadonlyArray<string> => {
  const lines: Array<string> = []
  let line = ` * ${prefix}`
  for (const [i, n] of names.entries()) {
    const word = `${n}${i < names.length - 1 ? "," : "."}`
    if (line.length + word.length + 1 > 110) {
      lines.push(line)
      line = ` *  `
    }
    line += ` ${word}`
  }
  return [...lines, line]
}

export const generateTypes = (model: Model): ReadonlyArray<GeneratedFile> => {
  checkNames(model)
  const structs = byName(model.structs).map((s) => ({ s, code: structCode(model, s) }))
  const enums = byName(model.enums)
  const structFiles = structs.map(({ s, code }) => {
    const imports = [
      ...(code.usesListLink ? [`import type { ListLink } from "../ListLink.js"`] : []),
      ...[...code.refs]
        .filter((r) => r !== s.name)
        .sort()
        .map((r) => (model.enums.some((e) => e.name === r) ? `import type { ${r} } from "./${r}.js"` : `import type { ${r}, ${r}Encoded } from "./${r}.js"`))
    ]
    const body = imports.length === 0 ? code.body : `${imports.join("\n")}\n\n${code.body}`
    return generatedFile(`${dir}/${s.name}.ts`, generator, model, `${schemaNote(s.name)}\n\n${body}`)
  })
  const enumFiles = enums.map((e) => generatedFile(`${dir}/${e.name}.ts`, generator, model, `${schemaNote(e.name)}\n\n${enumBody(e)}`))
  const index = generatedFile(
    `${dir}/index.ts`,
    generator,
    model,
    [
      `/**`,
      ` * Every type of the model: an alias of its interface (one file per type, \`./Vm.ts\`) and its Schema`,
      ` * (for enums also the known values), all in this one module. Enums first (struct fields use them),`,
      ` * then structs (which refer to each other lazily), each in name order:`,
      ` *`,
      ...nameList("Enums:", enums.map((e) => e.name)),
      ` *`,
      ...nameList("Structs:", structs.map(({ s }) => s.name)),
      ` */`,
      `import { Schema } from "effect"`,
      `import { ListLink } from "../ListLink.js"`,
      `import { enumSchema, structSchema } from "../schemaOf.js"`,
      ``,
      ...enums.map(enumSchema),
      ...structs.map(({ code }) => code.schema)
    ].join("\n")
  )
  return [...structFiles, ...enumFiles, index]
}

/** The first line of a type's file: where the runtime side is. */
const schemaNote = (name: string): string => `// Types only; the Schema \`${name}\` is in ./index.ts (as is \`Types.${name}\`).`
