/**
 * The shape of ../shared/ovirt-api/model.json (see its README) and how to load it.
 * Facts only: the generator derives every name from `words` and every wire name from `xml`.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import type { MemberMeta } from "../src/core/Metadata.js"
import type { LocatorMeta, MethodKind, MethodMeta, ParamMeta } from "../src/services/runtime/Metadata.js"

/**
 * A struct member as the model gives it: the runtime's `MemberMeta` (src/core/Metadata.ts) spelled the
 * model's way (`typeKind`, `xmlAttribute`, `xmlItem`), with its words.
 */
export interface ModelMember extends Pick<MemberMeta, "xml" | "type" | "list" | "rel" | "schemaType"> {
  readonly name: string
  readonly words: ReadonlyArray<string>
  readonly xmlAttribute: boolean
  readonly typeKind: MemberMeta["kind"]
  readonly xmlItem?: string
  readonly deprecated?: boolean
}

export interface ModelStruct {
  readonly name: string
  readonly words: ReadonlyArray<string>
  readonly xml: string
  readonly xmlPlural: string | null
  readonly base: string | null
  readonly builtin?: boolean
  readonly deprecated?: boolean
  readonly attributes: ReadonlyArray<ModelMember>
  readonly links: ReadonlyArray<ModelMember>
}

export interface ModelEnum {
  readonly name: string
  readonly words: ReadonlyArray<string>
  readonly deprecated?: boolean
  readonly values: ReadonlyArray<{ readonly name: string; readonly deprecated?: boolean }>
}

/**
 * A method parameter as the model gives it: the runtime's `ParamMeta` (src/core/Metadata.ts, what the
 * generator writes of it) with the parameter's words, its kind named `typeKind` as in the model.
 */
export interface ModelParameter extends Omit<ParamMeta, "kind"> {
  readonly words: ReadonlyArray<string>
  readonly typeKind: ParamMeta["kind"]
}

export interface ModelConstraints {
  readonly mandatory?: ReadonlyArray<string>
  readonly optional?: ReadonlyArray<string>
  readonly or?: ReadonlyArray<{ readonly mandatory: boolean; readonly paths: ReadonlyArray<string> }>
}

export interface ModelMethod {
  readonly name: string
  readonly words: ReadonlyArray<string>
  readonly kind: MethodKind
  readonly http: MethodMeta["http"]
  readonly path: string | null
  readonly signatureOf?: string
  readonly bodyParameter: string | null
  readonly actionResultMember: string | null
  readonly responseParameter: string | null
  readonly requestTag: string | null
  readonly responseTag: string | null
  readonly parameters: ReadonlyArray<ModelParameter>
  readonly constraints?: ModelConstraints
  readonly deprecated?: boolean
  readonly inheritedFrom?: string
}

/** A locator as the model gives it: the runtime's `LocatorMeta` with its words and typed parameters. */
export interface ModelLocator extends Pick<LocatorMeta, "name" | "service" | "path" | "deprecated"> {
  readonly words: ReadonlyArray<string>
  readonly parameters: ReadonlyArray<Pick<ModelParameter, "name" | "words" | "type" | "typeKind" | "list">>
  readonly inheritedFrom?: string
}

export interface ModelService {
  readonly name: string
  readonly words: ReadonlyArray<string>
  readonly deprecated?: boolean
  readonly base: string | null
  readonly methods: ReadonlyArray<ModelMethod>
  readonly locators: ReadonlyArray<ModelLocator>
}

export interface Model {
  readonly version: string
  readonly root: string
  readonly wire: {
    readonly requestHeaders: Readonly<Record<string, string>>
    readonly linkElement: string
    readonly actionsElement: string
    readonly actionTag: string
    readonly faultTag: string
    readonly successStatus: Readonly<Record<ModelMethod["kind"], ReadonlyArray<number>>>
  }
  readonly primitives: ReadonlyArray<{ readonly name: string; readonly xsd: string }>
  readonly enums: ReadonlyArray<ModelEnum>
  readonly structs: ReadonlyArray<ModelStruct>
  readonly services: ReadonlyArray<ModelService>
}

/** ../shared/ovirt-api/model.json, seen from the project root (CI keeps `shared` beside the checkout). */
export const defaultModelPath = (): string =>
  path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..", "shared", "ovirt-api", "model.json")

export const loadModel = (file: string = defaultModelPath()): Model => {
  if (!fs.existsSync(file)) {
    throw new Error(`oVirt API model not found at ${file}; pass --model PATH or keep ../shared beside the checkout`)
  }
  return JSON.parse(fs.readFileSync(file, "utf8")) as Model
}

/** `["disk", "attachments"]` -> `diskAttachments` */
export const camelCase = (words: ReadonlyArray<string>): string =>
  words.map((w, i) => (i === 0 ? w.toLowerCase() : w.charAt(0).toUpperCase() + w.slice(1).toLowerCase())).join("")

/** `["disk", "attachments"]` -> `DiskAttachments` */
export const pascalCase = (words: ReadonlyArray<string>): string =>
  words.map((w) => w.charAt(0).toUpperCase() + w.slice(1).toLowerCase()).join("")

/** A member with where it comes from: `link` for members declared in `links`. */
export interface FlatMember extends ModelMember {
  readonly link: boolean
  /** The struct that declares the member (the type itself or one of its bases). */
  readonly declaredIn: string
}

/** Every member of a struct, inherited ones first (walking `base`), then its own; attributes before links. */
export const flattenMembers = (model: Model, struct: ModelStruct): ReadonlyArray<FlatMember> => {
  const chain: Array<ModelStruct> = []
  for (let current: ModelStruct | undefined = struct; current !== undefined; ) {
    chain.unshift(current)
    const base: string | null = current.base
    current = base === null ? undefined : model.structs.find((s) => s.name === base)
    if (base !== null && current === undefined) throw new Error(`${struct.name}: unknown base ${base}`)
  }
  return chain.flatMap((s) => [
    ...s.attributes.map((m) => ({ ...m, link: false, declaredIn: s.name })),
    ...s.links.map((m) => ({ ...m, link: true, declaredIn: s.name }))
  ])
}
