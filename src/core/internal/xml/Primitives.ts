/**
 * Wire formats of the model's primitives (ovirt-api README, "Primitives"): text to value for the
 * reader (undefined when the text is not a valid value), value to text for the writer.
 */

const trim = (text: string): string => {
  const n = text.length
  return n > 0 && (text.charCodeAt(0) <= 32 || text.charCodeAt(n - 1) <= 32) ? text.trim() : text
}

/** `true`/`false` in any case, `1`/`0`. */
export const parseBoolean = (text: string): boolean | undefined => {
  if (text === "true") return true
  if (text === "false") return false
  const t = trim(text).toLowerCase()
  return t === "true" || t === "1" ? true : t === "false" || t === "0" ? false : undefined
}

/**
 * A decimal integer, optionally signed (no fraction, no exponent). Past 2^53 the number may be the
 * nearest one rather than the value written: see `isExactInteger`.
 */
export const parseInteger = (text: string): number | undefined => {
  const t = trim(text)
  const n = t.length
  if (n === 0 || n > 15) return /^[+-]?[0-9]+$/.test(t) ? finite(Number(t)) : undefined
  return integerAt(t, 0, n)
}

/**
 * The integer written in `buf` from `start` to `end`: an optional sign and up to 15 decimal digits (exact
 * in a number); undefined for anything else, which `parseInteger` reads. The reader calls it on the
 * document's text without cutting a string out of it.
 */
export const integerAt = (buf: string, start: number, end: number): number | undefined => {
  let i = start
  const first = buf.charCodeAt(i)
  const negative = first === 45 /* - */
  if (negative || first === 43 /* + */) i++
  if (i === end || end - i > 15) return undefined
  let value = 0
  for (; i < end; i++) {
    const d = buf.charCodeAt(i) - 48
    if (d < 0 || d > 9) return undefined
    value = value * 10 + d
  }
  return negative ? 0 - value : value
}

/** Whether `value`, read from the integer `text`, is exactly the value written (not rounded past 2^53). */
export const isExactInteger = (text: string, value: number): boolean =>
  Number.isSafeInteger(value) || (Number.isInteger(value) && BigInt(trim(text)) === BigInt(value))

/**
 * The values an `Integer` member holds: its XML schema type's range (`xs:int` unless the model says
 * otherwise), and never past what a JavaScript number holds exactly (±(2^53 − 1)): an `xs:long` size
 * is exact up to 8 PiB, beyond that a number could stand for several values.
 */
export interface IntegerRange {
  readonly min: number
  readonly max: number
  /** The schema type, for messages (`xs:int`). */
  readonly schema: string
}

const INT: IntegerRange = { min: -2147483648, max: 2147483647, schema: "xs:int" }
const UNSIGNED_INT: IntegerRange = { min: 0, max: 4294967295, schema: "xs:unsignedInt" }
const LONG: IntegerRange = { min: -Number.MAX_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER, schema: "xs:long" }

export const integerRange = (schemaType: string | undefined): IntegerRange =>
  schemaType === undefined ? INT
  : schemaType === "xs:unsignedInt" ? UNSIGNED_INT
  : schemaType === "xs:int" ? INT
  : { ...LONG, schema: schemaType }

/** `-2147483648..2147483647 (xs:int)` */
export const describeRange = (range: IntegerRange): string => `${range.min}..${range.max} (${range.schema})`

/** A number as stored: overflow (`1e400`, 400 digits) is not a value; `-0` is 0. */
const finite = (value: number): number | undefined => (Number.isFinite(value) ? value + 0 : undefined)

const DECIMAL = /^[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$/

/** An `xs:decimal` (an exponent is accepted too, as engines print some values as doubles). */
export const parseDecimal = (text: string): number | undefined => {
  const t = trim(text)
  return DECIMAL.test(t) ? finite(Number(t)) : undefined
}

const DATE_TIME = /^(-?[0-9]{4,})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})(?:\.([0-9]+))?(Z|[+-][0-9]{2}:[0-9]{2})?$/

const daysIn = (year: number, month: number): number =>
  month === 2 ? (year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28) : [4, 6, 9, 11].includes(month) ? 30 : 31

const digits = (s: string, at: number, n: number): number => {
  let v = 0
  for (let i = at; i < at + n; i++) {
    const d = s.charCodeAt(i) - 48
    if (d < 0 || d > 9) return -1
    v = v * 10 + d
  }
  return v
}

/**
 * The engine's usual form, `2016-10-06T15:38:18.548+02:00` (fraction and zone optional), read
 * without a regular expression: no match array, no substrings. Anything else goes to the regex.
 */
const parseCommonDate = (t: string): Date | undefined | null => {
  const n = t.length
  if (n < 19 || t.charCodeAt(4) !== 45 || t.charCodeAt(7) !== 45 || t.charCodeAt(10) !== 84 || t.charCodeAt(13) !== 58 || t.charCodeAt(16) !== 58) {
    return null
  }
  const year = digits(t, 0, 4)
  const month = digits(t, 5, 2)
  const day = digits(t, 8, 2)
  const hour = digits(t, 11, 2)
  const minute = digits(t, 14, 2)
  const second = digits(t, 17, 2)
  if (year < 100 || month < 0 || day < 0 || hour < 0 || minute < 0 || second < 0) return null
  let i = 19
  let millis = 0
  if (i < n && t.charCodeAt(i) === 46 /* . */) {
    i++
    const start = i
    while (i < n && t.charCodeAt(i) >= 48 && t.charCodeAt(i) <= 57) i++
    if (i === start) return undefined
    millis = digits(t, start, Math.min(3, i - start)) * (i - start >= 3 ? 1 : i - start === 2 ? 10 : 100)
  }
  let offsetMinutes = 0
  if (i < n) {
    const z = t.charCodeAt(i)
    if (z === 90 /* Z */ && i + 1 === n) {
      // UTC
    } else if ((z === 43 || z === 45) && i + 6 === n && t.charCodeAt(i + 3) === 58) {
      const hh = digits(t, i + 1, 2)
      const mm = digits(t, i + 4, 2)
      if (hh < 0 || mm < 0 || hh > 14 || mm > 59 || (hh === 14 && mm !== 0)) return undefined
      offsetMinutes = (z === 45 ? -1 : 1) * (hh * 60 + mm)
    } else {
      return undefined
    }
  }
  if (month < 1 || month > 12 || day < 1 || day > daysIn(year, month) || minute > 59 || second > 59) return undefined
  if (hour > 23 && !(hour === 24 && minute === 0 && second === 0 && millis === 0)) return undefined
  return new Date(Date.UTC(year, month - 1, day, hour, minute, second, millis) - offsetMinutes * 60_000)
}

/** An `xs:dateTime`: `Z`, an offset or none (read as UTC), optional fraction (milliseconds kept). */
export const parseDate = (text: string): Date | undefined => {
  const t = trim(text)
  const common = parseCommonDate(t)
  if (common !== null) return common
  const m = DATE_TIME.exec(t)
  if (m === null) return undefined
  const year = Number(m[1])
  const month = Number(m[2])
  const day = Number(m[3])
  const hour = Number(m[4])
  const minute = Number(m[5])
  const second = Number(m[6])
  const fraction = m[7]
  if (month < 1 || month > 12 || day < 1 || day > daysIn(year, month)) return undefined
  if (minute > 59 || second > 59) return undefined
  if (hour === 24) {
    // xs:dateTime allows 24:00:00 for the end of the day
    if (minute !== 0 || second !== 0 || (fraction !== undefined && /[1-9]/.test(fraction))) return undefined
  } else if (hour > 23) return undefined
  const millis = fraction === undefined ? 0 : Number(fraction.slice(0, 3).padEnd(3, "0"))
  let offsetMinutes = 0
  const zone = m[8]
  if (zone !== undefined && zone !== "Z") {
    const hh = Number(zone.slice(1, 3))
    const mm = Number(zone.slice(4, 6))
    if (hh > 14 || mm > 59 || (hh === 14 && mm !== 0)) return undefined
    offsetMinutes = (zone.charCodeAt(0) === 45 ? -1 : 1) * (hh * 60 + mm)
  }
  let time = Date.UTC(year, month - 1, day, hour, minute, second, millis) // 24:00:00 rolls over to the next day
  if (year >= 0 && year < 100) {
    const date = new Date(time)
    date.setUTCFullYear(year) // Date.UTC reads years 0-99 as 1900-1999
    time = date.getTime()
  }
  const date = new Date(time - offsetMinutes * 60_000)
  // past what a Date can hold (years beyond ±275,760)
  return Number.isNaN(date.getTime()) ? undefined : date
}

/** A safe integer (the writer and the query check refuse others) as decimal digits; `-0` is 0. */
export const formatInteger = (value: number): string => String(value === 0 ? 0 : value)

/** A decimal without exponent (`xs:decimal` has none). */
export const formatDecimal = (value: number): string => {
  const s = String(value === 0 ? 0 : value)
  if (s.indexOf("e") === -1) return s
  if (Math.abs(value) >= 1) return BigInt(Math.trunc(value)).toString()
  return value.toFixed(20).replace(/\.?0+$/, "").replace(/^-?$/, "0")
}

/**
 * An `xs:dateTime` in UTC with milliseconds. Years past 9999 and before 0 are written as
 * `xs:dateTime` spells them (`10000-...`, `-0001-...`), not as ISO's expanded `+010000-...`.
 */
export const formatDate = (value: Date): string => {
  const iso = value.toISOString()
  const sign = iso.charCodeAt(0)
  if (sign !== 43 /* + */ && sign !== 45 /* - */) return iso
  const dash = iso.indexOf("-", 1)
  const year = iso.slice(1, dash).replace(/^0+(?=[0-9]{4})/, "")
  return `${sign === 45 ? "-" : ""}${year}${iso.slice(dash)}`
}
