/**
 * The wire metadata table (src/types/generated/metadata.ts) the XML codec, services and simulator read:
 * one StructMeta per struct with its flattened members (one line of text each, read by `structsFromText`:
 * half the size of object literals, which matters in a bundle), one EnumMeta per enum.
 */
import { generatedFile, type GeneratedFile } from "./emit.js"
import { camelCase, flattenMembers, type FlatMember, type Model } from "./model.js"

const str = (s: string): string => JSON.stringify(s)

/** A member as one line of text (read back by `memberFromText` in src/core/Metadata.ts). */
const memberText = (m: FlatMember): string => {
  const words = [camelCase(m.words), m.xml, m.typeKind, m.type]
  if (m.list) words.push("list")
  if (m.xmlAttribute) words.push("attribute")
  if (m.link) words.push("link")
  if (m.xmlItem !== undefined) words.push(`item=${m.xmlItem}`)
  if (m.rel !== undefined) words.push(`rel=${m.rel}`)
  if (m.schemaType !== undefined) words.push(`schemaType=${m.schemaType}`)
  for (const w of words) if (w === "" || /[\s=]/.test(w.slice(w.indexOf("=") + 1))) throw new Error(`metadata word ${JSON.stringify(w)} of ${m.declaredIn}.${m.name} cannot be written as text`)
  return str(words.join(" "))
}

export const metadataBody = (model: Model): string => {
  const structs = model.structs.map((s) => {
    const members = flattenMembers(model, s)
    const head = `${str(s.name)}, ${str(s.xml)}, ${s.xmlPlural === null ? "null" : str(s.xmlPlural)}`
    return members.length === 0 ? `  [${head}, []]` : `  [${head}, [\n${members.map((m) => `    ${memberText(m)}`).join(",\n")}\n  ]]`
  })
  const enums = model.enums.map((e) => `  { name: ${str(e.name)}, values: [${e.values.map((v) => str(v.name)).join(", ")}] }`)
  return [
    `import { type EnumMeta, type StructMeta, structsFromText } from "../../core/Metadata.js"`,
    ``,
    `/**`,
    ` * Every struct of the model, members flattened base-first: \`[name, xml, plural, members]\`, each member`,
    ` * \`name xml kind type\` and its flags (the form is \`StructText\` in src/core/Metadata.ts; text keeps it small).`,
    ` */`,
    `export const structs: ReadonlyArray<StructMeta> = /*#__PURE__*/ structsFromText([`,
    structs.join(",\n"),
    `])`,
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
