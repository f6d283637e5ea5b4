/**
 * The layers of src/ (issue 12), read from the import graph by parsing every file: `src/core` is the bottom
 * layer and imports nothing from the services, the types, the simulator, the workflows, the Promise facade,
 * the testing module or any `generated/` folder; and no import cycle exists among the modules' static imports
 * (value or type). A run-time `import("...")` call counts for the layers but not for cycles: the lazy service tree
 * loads each service module by such a call (generated/tree.ts), and those modules make lazy refs of their children
 * (runtime/lazy.ts, which reads the tree), so a loaded module can reach the tree again; the module it loads is
 * evaluated after the caller has finished, so no evaluation order depends on it. The imports that break these rules today
 * are listed below as explicit allowances, each with its file pair: a NEW violation fails, and so does an
 * allowance that is no longer needed (remove it as the layering is fixed).
 */
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { describe, expect, it } from "@effect/vitest"
import { cycles, graphOf, importsOf, readImports } from "./support/imports.js"

type Edge = readonly [from: string, to: string]
type Graph = ReadonlyMap<string, ReadonlyArray<string>>

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..")

/** What `src/core` must not import. */
const aboveCore = /^src\/(services|simulator|types|workflows|promise|testing)\/|\/generated\//

/** What `src/services` and `src/types` (generated code included) must not import: the layers above them. */
const aboveServices = /^src\/(simulator|workflows|promise|testing)\//

/** Imports from core upward that exist today (issue 12, "The layers"): none left. */
const allowedUpwardImports: ReadonlyArray<Edge> = []

/** Static imports that close a cycle today: none left. */
const allowedCycleImports: ReadonlyArray<Edge> = []

/**
 * Folders whose modules may form cycles among themselves: the model's types refer to each other (a Vm names
 * its Cluster, a Cluster its Vms), so their generated schemas do too.
 */
const cyclicFolders: ReadonlyArray<string> = ["src/types/generated/"]

const edges = (graph: Graph): ReadonlyArray<Edge> =>
  [...graph].flatMap(([from, targets]) => targets.map((to): Edge => [from, to]))

const without = (graph: Graph, removed: ReadonlyArray<Edge>): Graph =>
  new Map([...graph].map(([from, targets]) => [from, targets.filter((to) => !removed.some(([a, b]) => a === from && b === to))]))

const has = (list: ReadonlyArray<Edge>, [from, to]: Edge): boolean => list.some(([a, b]) => a === from && b === to)

/** Imports from src/core to a module above it. */
const upwardImports = (graph: Graph): ReadonlyArray<Edge> =>
  edges(graph).filter(([from, to]) => from.startsWith("src/core/") && aboveCore.test(to))

/** Cycles left once the allowed imports are taken out, except those wholly inside a cyclic folder. */
const forbiddenCycles = (graph: Graph): ReadonlyArray<ReadonlyArray<string>> =>
  cycles(without(graph, [...allowedUpwardImports, ...allowedCycleImports])).filter(
    (cycle) => !cyclicFolders.some((folder) => cycle.every((file) => file.startsWith(folder)))
  )

/** Whether `to` is reachable from `from`. */
const reaches = (graph: Graph, from: string, to: string): boolean => {
  const seen = new Set<string>([from])
  const queue = [from]
  for (let file = queue.shift(); file !== undefined; file = queue.shift()) {
    if (file === to) return true
    for (const next of graph.get(file) ?? []) {
      if (seen.has(next)) continue
      seen.add(next)
      queue.push(next)
    }
  }
  return false
}

const show = (list: ReadonlyArray<Edge>): ReadonlyArray<string> => list.map(([from, to]) => `${from} -> ${to}`)

describe("the import graph of src/", () => {
  // src is read and parsed once; both graphs are views of it
  const imports = readImports(root, "src")
  const graph = graphOf(imports)
  const staticGraph = graphOf(imports, { calls: false })

  it("has no import from src/core to a layer above it, besides the listed ones", () => {
    const found = upwardImports(graph)
    expect(show(found.filter((edge) => !has(allowedUpwardImports, edge))), "new upward imports").toEqual([])
    expect(show(allowedUpwardImports.filter((edge) => !has(found, edge))), "allowances to remove").toEqual([])
  })

  it("has no import from src/services or src/types to the workflows, the facade, the testing module or the simulator", () => {
    const found = edges(graph).filter(([from, to]) => /^src\/(services|types)\//.test(from) && aboveServices.test(to))
    expect(show(found)).toEqual([])
  })

  it("has no import cycle, besides the listed imports that close one today", () => {
    expect(forbiddenCycles(staticGraph).map((cycle) => cycle.join(" -> ")), "new cycles").toEqual([])
    const stale = allowedCycleImports.filter(([from, to]) => !has(edges(staticGraph), [from, to]) || !reaches(staticGraph, to, from))
    expect(show(stale), "allowances to remove (the import is gone or closes no cycle)").toEqual([])
  })
})

describe("the import reader", () => {
  it("finds every import form, by parsing rather than matching text", () => {
    const text = [
      `import { a } from "./a.js"`,
      `import type { B } from "./b.js"`,
      `export * from "./c.js"`,
      `export { d } from "./d.js"`,
      `const e = () => import("./e.js")`,
      `type F = import("./f.js").F`,
      `import "./g.js"`,
      `// import { x } from "./comment.js"`,
      "const text = `import { y } from \"./template.js\"`",
      `const dynamic = (name: string) => import(name)`
    ].join("\n")
    expect(importsOf("x.ts", text)).toEqual(
      ["./a.js", "./b.js", "./c.js", "./d.js", "./e.js", "./f.js", "./g.js"].map((specifier) => ({ specifier, call: specifier === "./e.js" }))
    )
  })

  it("finds each cycle once, and only cycles", () => {
    const graph: Graph = new Map([
      ["a", ["b"]],
      ["b", ["c"]],
      ["c", ["a", "d"]],
      ["d", []],
      ["e", ["e"]],
      ["f", ["d"]]
    ])
    expect(cycles(graph)).toEqual([["a", "b", "c"], ["e"]])
  })

  it("reports a new upward import and a new cycle in a tree on disk", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "architecture-"))
    try {
      const write = (file: string, text: string) => {
        fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true })
        fs.writeFileSync(path.join(dir, file), text)
      }
      write("src/core/A.ts", `export const a = () => import("../services/generated/S.js")`)
      write("src/services/generated/S.ts", `import { a } from "../../core/A.js"\nexport const s = a`)
      write("src/core/B.ts", `export { a } from "./A.js"`)
      const graph = graphOf(readImports(dir, "src"))
      expect(upwardImports(graph)).toEqual([["src/core/A.ts", "src/services/generated/S.ts"]])
      expect(forbiddenCycles(graph)).toEqual([["src/core/A.ts", "src/services/generated/S.ts"]])
      // through a run-time import() call only: no cycle of static imports; a type-only import closes one
      expect(forbiddenCycles(graphOf(readImports(dir, "src"), { calls: false }))).toEqual([])
      write("src/services/T.ts", `import type { U } from "./U.js"\nexport type T = U`)
      write("src/services/U.ts", `import type { T } from "./T.js"\nexport type U = T | 1`)
      expect(forbiddenCycles(graphOf(readImports(dir, "src"), { calls: false }))).toEqual([["src/services/T.ts", "src/services/U.ts"]])
      write("src/services/V.ts", `import { w } from "./W.js"\nexport const v = () => import("./W.js")\nexport const x = () => import("./X.js")`)
      write("src/services/W.ts", `export const w = 1`)
      write("src/services/X.ts", `export const x = 1`)
      // imported both ways, W is a static import; X only by a call
      expect(readImports(dir, "src").get("src/services/V.ts")).toEqual([{ target: "src/services/W.ts", call: false }, { target: "src/services/X.ts", call: true }])
      write("src/core/C.ts", `import "./missing.js"`)
      expect(() => readImports(dir, "src")).toThrow("src/core/C.ts imports ./missing.js, which names no file")
    } finally {
      fs.rmSync(dir, { recursive: true, force: true })
    }
  })
})
