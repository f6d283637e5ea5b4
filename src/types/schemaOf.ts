/**
 * The two builders the generated Schemas (src/types/generated/index.ts) are made with. Each type is one
 * call marked `/*#__PURE__*\/` whose fields come in a thunk: a bundler can drop the Schema of every
 * type a program does not use, and importing the types builds none of the 220 struct Schemas (that was
 * most of their import time); a struct's Schema is built on its first use (decode, encode, `ast.f()`).
 */
import { Schema, SchemaAST as AST } from "effect"
import { StructNameAnnotationId } from "../core/Metadata.js"

/**
 * A struct's Schema: a suspend of the `Schema.Struct` of its fields, both carrying the model name as
 * identifier and as the annotation the XML codec reads (`Xml.structNameOf`). Made from the AST with
 * `Schema.make` (one Schema class per type): `Schema.suspend(...).annotations(...)` makes two, which
 * measured several times slower over the 220 structs at import.
 */
export const structSchema = <Fields extends Schema.Struct.Fields>(
  name: string,
  fields: () => Fields
): Schema.Schema<Schema.Struct<Fields>["Type"], Schema.Struct<Fields>["Encoded"], Schema.Struct<Fields>["Context"]> =>
  Schema.make(
    new AST.Suspend(() => Schema.Struct(fields()).annotations({ identifier: name, [StructNameAnnotationId]: name }).ast, {
      [AST.IdentifierAnnotationId]: name,
      [StructNameAnnotationId]: name
    })
  )

/** An enum's Schema: any string decodes, values unknown to this model version are kept as they are. */
export const enumSchema = (name: string): typeof Schema.String => Schema.String.annotations({ identifier: name })
