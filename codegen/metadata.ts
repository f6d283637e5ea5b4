/**
 * The wire metadata table (src/types/generated/metadata.ts) the XML codec, services and simulator read:
 * one StructMeta per struct with its flattened members, one EnumMeta per enum. Plain data, one member per line.
 */
import { generatedFile, type GeneratedFile } from "./emit.js"
import { camelCase, flattenMembers, type FlatMember, type Model } from "./model.js"

const str = (s: string): string => JSON.stringify(s)

const memberLine = (m: FlatMember): string => {
  const fields = [
    `name: ${str(camelCase(m.words))}`,
    `xml: ${str(m.xml)}`,
    `kind: ${str(m.typeKind)}`,
    `type: ${str(m.type)}`,
    `list: ${m.list}`
  ]
  if (m.xmlItem !== undefined) fields.push(`item: ${str(m.xmlItem)}`)
  if (m.xmlAttribute) fields.push("attribute: true")
  if (m.link) fields.push("link: true")
  if (m.rel !== undefined) fields.push(`rel: ${str(m.rel)}`)
  if (m.schemaType !== undefined) fields.push(`schemaType: ${str(m.schemaType)}`)
  return `      { ${fields.join(", ")} }`
}

export const metadataBody = (model: Model): string => {
  const structs = model.structs.map((s) => {
    const members = flattenMembers(model, s)
    const head = `name: ${str(s.name)}, xml: ${str(s.xml)}, plural: ${s.xmlPlural === null ? "null" : str(s.xmlPlural)}`
    return members.length === 0
      ? `  { ${head}, members: [] }`
      : `  {\n    ${head},\n    members: [\n${members.map(memberLine).join(",\n")}\n    ]\n  }`
  })
  const enums = model.enums.map((e) => `  { name: ${str(e.name)}, values: [${e.values.map((v) => str(v.name)).join(", ")}] }`)
  return [
    `import type { EnumMeta, StructMeta } from "../../core/Metadata.js"`,
    ``,
    `/** Every struct of the model, members flattened base-first. */`,
    `export const structs: ReadonlyArray<StructMeta> = [`,
    structs.join(",\n"),
    `]`,
    ``,
    `/** Every enum of the model with its wire values. */`,
    `export const enums: ReadonlyArray<EnumMeta> = [`,
    enums.join(",\n"),
    `]`,
    ``
  ].join("\n")
}

export const generateMetadata = (model: Model): ReadonlyArray<GeneratedFile> => [
  generatedFile("src/types/generated/metadata.ts", "codegen/metadata.ts", model, metadataBody(model))
]
