/**
 * The wire metadata table (src/types/generated/metadata.ts) the XML codec, services and simulator read:
 * one StructMeta per struct with its flattened members (one line of text each, read by `structsFromText`:
 * half the size of object literals, which matters in a bundle; a struct writes only its own members and
 * names its base for the rest), one EnumMeta per enum.
 */
import { type MemberMeta, memberToText } from "../src/core/Metadata.js"
import { generatedFile, type GeneratedFile } from "./emit.js"
import { camelCase, flattenMembers, type FlatMember, type Model } from "./model.js"

const str = (s: string): string => JSON.stringify(s)

/** A member as the runtime reads it: the flags only when set. */
const memberMeta = (m: FlatMember): MemberMeta => ({
  name: camelCase(m.words),
  xml: m.xml,
  kind: m.typeKind,
  type: m.type,
  list: m.list,
  ...(m.xmlAttribute ? { attribute: true } : {}),
  ...(m.link ? { link: true } : {}),
  ...(m.xmlItem === undefined ? {} : { item: m.xmlItem }),
  ...(m.rel === undefined ? {} : { rel: m.rel }),
  ...(m.schemaType === undefined ? {} : { schemaType: m.schemaType })
})

/** A member as one line of text (`memberToText`, read back by `memberFromText` in src/core/Metadata.ts). */
const memberText = (m: FlatMember): string => str(memberToText(memberMeta(m)))

export const metadataBody = (model: Model): string => {
  const structs = model.structs.map((s) => {
    // the base's members come first (flattenMembers walks the chain): only the struct's own are written
    const members = flattenMembers(model, s).filter((m) => m.declaredIn === s.name)
    const head = `${str(s.name)}, ${str(s.xml)}, ${s.xmlPlural === null ? "null" : str(s.xmlPlural)}, ${s.base === null ? "null" : str(s.base)}`
    return members.length === 0 ? `  [${head}, []]` : `  [${head}, [\n${members.map((m) => `    ${memberText(m)}`).join(",\n")}\n  ]]`
  })
  const enums = model.enums.map((e) => `  { name: ${str(e.name)}, values: [${e.values.map((v) => str(v.name)).join(", ")}] }`)
  return [
    `import { type EnumMeta, type StructMeta, structsFromText } from "../../core/Metadata.js"`,
    ``,
    `/**`,
    ` * Every struct of the model, members flattened base-first: \`[name, xml, plural, base, own members]\`, each`,
    ` * member \`name xml kind Type\` and its flags, the wire name and kind when implied left out (the form is \`StructText\` in`,
    ` * src/core/Metadata.ts; text keeps it small).`,
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
