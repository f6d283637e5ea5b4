/**
 * The import graph of a source tree, read by parsing the files with the TypeScript compiler: static imports,
 * re-exports, `import type`, `import("...")` calls and `import("...")` type references. Only relative
 * specifiers are followed (packages are outside the graph); `.js` in a specifier names the `.ts` source.
 * `import("...")` calls can be left out (`{ calls: false }`): a module loaded by a call at run time is
 * evaluated after the caller has finished evaluating, so it takes no part in the evaluation order.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import ts from "typescript"

/** Every `.ts` file below `dir`, as paths relative to `root` with `/` separators. */
export const sourceFiles = (root: string, dir: string): ReadonlyArray<string> =>
  (fs.readdirSync(path.join(root, dir), { recursive: true, encoding: "utf8" }) as Array<string>)
    .filter((file) => file.endsWith(".ts"))
    .map((file) => path.posix.join(dir, file.split(path.sep).join("/")))
    .sort()

/** Which import forms a graph keeps: `calls: false` leaves out `import("...")` calls (default: every form). */
export interface ImportForms {
  readonly calls?: boolean
}

/** One import a file makes: its specifier, and whether it is an `import("...")` call. */
export interface Import {
  readonly specifier: string
  readonly call: boolean
}

/** The imports a file makes, in every form (string literals only), in the order they appear. */
export const importsOf = (fileName: string, text: string): ReadonlyArray<Import> => {
  const source = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS)
  const found: Array<Import> = []
  const visit = (node: ts.Node): void => {
    if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier) {
      if (ts.isStringLiteral(node.moduleSpecifier)) found.push({ specifier: node.moduleSpecifier.text, call: false })
    } else if (
      ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword &&
      node.arguments[0] !== undefined && ts.isStringLiteralLike(node.arguments[0])
    ) {
      found.push({ specifier: node.arguments[0].text, call: true })
    } else if (
      ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument) && ts.isStringLiteral(node.argument.literal)
    ) {
      found.push({ specifier: node.argument.literal.text, call: false })
    }
    ts.forEachChild(node, visit)
  }
  visit(source)
  return found
}

/** The file a relative specifier names (relative to `root`), or undefined when it leaves the tree. */
const resolve = (root: string, from: string, specifier: string): string | undefined => {
  if (!specifier.startsWith(".")) return undefined
  const target = path.posix.join(path.posix.dirname(from), specifier)
  const candidates = [target.replace(/\.js$/, ".ts"), `${target}.ts`, `${target}/index.ts`]
  return candidates.find((candidate) => fs.existsSync(path.join(root, candidate)))
}

/** For each file below a folder: the files below the root it imports, each once (`call`: only by `import()` calls). */
export type ImportTable = ReadonlyMap<string, ReadonlyArray<{ readonly target: string; readonly call: boolean }>>

/** Reads and parses every file below `dir` once: what each imports below `root`. */
export const readImports = (root: string, dir: string): ImportTable => {
  const table = new Map<string, ReadonlyArray<{ readonly target: string; readonly call: boolean }>>()
  for (const file of sourceFiles(root, dir)) {
    const byTarget = new Map<string, boolean>()
    for (const { specifier, call } of importsOf(file, fs.readFileSync(path.join(root, file), "utf8"))) {
      const target = resolve(root, file, specifier)
      if (target === undefined && specifier.startsWith(".")) throw new Error(`${file} imports ${specifier}, which names no file`)
      // a target imported both ways is a static import
      if (target !== undefined) byTarget.set(target, (byTarget.get(target) ?? true) && call)
    }
    table.set(file, [...byTarget].map(([target, call]) => ({ target, call })).sort((a, b) => a.target.localeCompare(b.target)))
  }
  return table
}

/** The import graph of a table: for each file, the files it imports (sorted), in the forms asked for. */
export const graphOf = (table: ImportTable, options: ImportForms = {}): ReadonlyMap<string, ReadonlyArray<string>> =>
  new Map([...table].map(([file, imports]) => [file, imports.filter((i) => options.calls !== false || !i.call).map((i) => i.target)]))

/**
 * The strongly connected components with a cycle (two or more files, or a file importing itself), each as a
 * sorted list of files (Tarjan's algorithm).
 */
export const cycles = (graph: ReadonlyMap<string, ReadonlyArray<string>>): ReadonlyArray<ReadonlyArray<string>> => {
  const index = new Map<string, number>()
  const low = new Map<string, number>()
  const stack: Array<string> = []
  const onStack = new Set<string>()
  const found: Array<ReadonlyArray<string>> = []
  const connect = (file: string): void => {
    index.set(file, index.size)
    low.set(file, index.get(file)!)
    stack.push(file)
    onStack.add(file)
    for (const next of graph.get(file) ?? []) {
      if (!index.has(next)) {
        connect(next)
        low.set(file, Math.min(low.get(file)!, low.get(next)!))
      } else if (onStack.has(next)) {
        low.set(file, Math.min(low.get(file)!, index.get(next)!))
      }
    }
    if (low.get(file) !== index.get(file)) return
    const component: Array<string> = []
    let member: string
    do {
      member = stack.pop()!
      onStack.delete(member)
      component.push(member)
    } while (member !== file)
    if (component.length > 1 || (graph.get(file) ?? []).includes(file)) found.push(component.sort())
  }
  for (const file of graph.keys()) if (!index.has(file)) connect(file)
  return found.sort((a, b) => a[0]!.localeCompare(b[0]!))
}
