/**
 * A method's own inputs besides the body: their types checked before sending (a string where a
 * number belongs fails as `InvalidInputError`), and query values written as the wire wants them
 * (booleans `true`/`false`, numbers in decimal, enum wire values, dates as `xs:dateTime`).
 * Struct inputs (action parameters) are checked member by member by the XML writer.
 */
import { formatDate, formatDecimal, formatInteger } from "../../core/internal/xml/Primitives.js"
import type { ParamMeta } from "./Metadata.js"

const describe: Readonly<Record<string, string>> = {
  String: "a string",
  Boolean: "a boolean",
  Integer: "an integer within ±(2^53 − 1)",
  Decimal: "a finite number",
  Date: "a valid Date"
}

const fits = (param: ParamMeta, value: unknown): boolean => {
  switch (param.kind) {
    case "enum":
      return typeof value === "string"
    case "struct":
      return typeof value === "object" && value !== null && !Array.isArray(value) && !(value instanceof Date)
    case "primitive":
      switch (param.type) {
        case "String":
          return typeof value === "string"
        case "Boolean":
          return typeof value === "boolean"
        case "Integer":
          // past 2^53 a number stands for several integers: 1e23 would be sent as 99999999999999991611392
          return typeof value === "number" && Number.isSafeInteger(value)
        case "Decimal":
          return typeof value === "number" && Number.isFinite(value)
        case "Date":
          return value instanceof Date && !Number.isNaN(value.getTime())
      }
  }
  return false
}

const expected = (param: ParamMeta): string =>
  param.kind === "enum" ? `a ${param.type} value (string)`
  : param.kind === "struct" ? `a ${param.type} object`
  : (describe[param.type] ?? `a ${param.type}`)

/** Why `value` does not fit `param`, or undefined when it does (or is absent). */
export const checkParameter = (param: ParamMeta, value: unknown): string | undefined => {
  if (value === undefined) return undefined
  if (param.list) {
    if (!Array.isArray(value)) return `${param.name} must be an array of ${expected(param)}`
    const bad = value.findIndex((item) => !fits(param, item))
    return bad < 0 ? undefined : `${param.name}[${bad}] must be ${expected(param)}`
  }
  return fits(param, value) ? undefined : `${param.name} must be ${expected(param)}`
}

/** One checked query value as its wire text. */
export const formatQueryValue = (param: ParamMeta, value: unknown): string => {
  if (typeof value === "boolean") return value ? "true" : "false"
  if (typeof value === "number") return param.type === "Integer" ? formatInteger(value) : formatDecimal(value)
  if (value instanceof Date) return formatDate(value)
  return String(value)
}
