/**
 * The one rename rule for model names that must become bare identifiers (module-level constants and
 * functions): a reserved word gets a trailing `_` (`import` -> `import_`). Property names and string
 * literals need no renaming. Every rename is recorded so that `npm run generate` can report it.
 */

export interface Rename {
  readonly original: string
  readonly renamed: string
  /** Where the name is used, e.g. `VmService.import` or `enum VmStatus`. */
  readonly where: string
  readonly rule: string
}

export const renameRule = "reserved word: append `_`"

/** ECMAScript reserved words (also in strict mode and modules), plus names that would shadow well-known globals. */
const reserved: ReadonlySet<string> = new Set([
  "await", "break", "case", "catch", "class", "const", "continue", "debugger", "default", "delete", "do",
  "else", "enum", "export", "extends", "false", "finally", "for", "function", "if", "import", "in",
  "instanceof", "new", "null", "return", "super", "switch", "this", "throw", "true", "try", "typeof",
  "var", "void", "while", "with", "yield",
  // strict-mode and module reserved words
  "implements", "interface", "let", "package", "private", "protected", "public", "static",
  // not reserved, but confusing or invalid as binding names in some positions
  "arguments", "async", "eval", "undefined", "NaN", "Infinity"
])

export const isReserved = (name: string): boolean => reserved.has(name)

const recorded = new Map<string, Rename>()

/** `name` as a bare identifier, renamed (and recorded) when it is a reserved word. */
export const identifier = (name: string, where: string): string => {
  if (!/^[A-Za-z_$][A-Za-z0-9_$]*$/.test(name)) {
    throw new Error(`${where}: ${JSON.stringify(name)} cannot be made an identifier by the rename rule`)
  }
  if (!reserved.has(name)) return name
  const renamed = `${name}_`
  recorded.set(`${where}\u0000${name}`, { original: name, renamed, where, rule: renameRule })
  return renamed
}

/** Every rename made so far (by any generator), in a stable order. */
export const renames = (): ReadonlyArray<Rename> =>
  [...recorded.values()].sort((a, b) => (a.where < b.where ? -1 : a.where > b.where ? 1 : a.original < b.original ? -1 : 1))

/** Forget recorded renames (each `generateAll` run starts afresh). */
export const resetRenames = (): void => recorded.clear()
