/**
 * ../shared/ovirt-api/model.json as the tests read it: plain JSON typed from its README (deliberately not
 * the generator's own types, so the tests check the generated code against the model, not against the
 * generator). Loaded once; empty when ../shared is missing (see `sharedPresent`).
 */
import * as fs from "node:fs"
import { ovirtApiPath, sharedPresent } from "./shared.js"

export type TypeKind = "primitive" | "enum" | "struct"

export interface Member {
  readonly name: string
  readonly words: ReadonlyArray<string>
  readonly xml: string
  readonly xmlAttribute: boolean
  readonly xmlItem?: string
  readonly rel?: string
  /** The XML schema's own type when it differs from the primitive's (`xs:long`). */
  readonly schemaType?: string
  readonly type: string
  readonly typeKind: TypeKind
  readonly list: boolean
}
export interface Struct {
  readonly name: string
  readonly xml: string
  readonly xmlPlural: string | null
  readonly base: string | null
  readonly attributes: ReadonlyArray<Member>
  readonly links: ReadonlyArray<Member>
}
export interface Enum {
  readonly name: string
  readonly values: ReadonlyArray<{ readonly name: string }>
}
export interface Parameter {
  readonly name: string
  readonly type: string
  readonly typeKind: TypeKind
  readonly list: boolean
  readonly in: boolean
  readonly out: boolean
  readonly query: string | null
  readonly xml: string | null
}
export interface Method {
  readonly name: string
  readonly words: ReadonlyArray<string>
  readonly kind: "get" | "list" | "add" | "update" | "remove" | "action"
  readonly http: string
  readonly path: string | null
  readonly signatureOf?: string
  readonly bodyParameter: string | null
  readonly responseParameter: string | null
  readonly requestTag: string | null
  readonly responseTag: string | null
  readonly actionResultMember: string | null
  readonly parameters: ReadonlyArray<Parameter>
  readonly constraints?: {
    readonly mandatory?: ReadonlyArray<string>
    readonly or?: ReadonlyArray<{ readonly mandatory: boolean; readonly paths: ReadonlyArray<string> }>
  }
}
export interface Locator {
  readonly name: string
  readonly service: string
  readonly path: string
  readonly parameters: ReadonlyArray<unknown>
}
export interface Service {
  readonly name: string
  readonly methods: ReadonlyArray<Method>
  readonly locators: ReadonlyArray<Locator>
}
export interface Model {
  readonly root: string
  readonly wire: { readonly successStatus: Readonly<Record<string, ReadonlyArray<number>>> }
  readonly enums: ReadonlyArray<Enum>
  readonly structs: ReadonlyArray<Struct>
  readonly services: ReadonlyArray<Service>
}

const empty: Model = { root: "", wire: { successStatus: {} }, enums: [], structs: [], services: [] }

/**
 * The model, and whether it was there. `skipping` names the tests that need it, for the warning (outside
 * CI) or the failing test (in CI) that `sharedPresent` registers when it is missing.
 */
export const loadModel = (skipping: string): { readonly present: boolean; readonly model: Model } => {
  const file = ovirtApiPath("model.json")
  const present = sharedPresent(file, skipping)
  return { present, model: present ? (JSON.parse(fs.readFileSync(file, "utf8")) as Model) : empty }
}
