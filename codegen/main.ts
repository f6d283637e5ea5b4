/**
 * `npm run generate [--model PATH] [--check]`: regenerates every generated/ folder from the oVirt API
 * model. `--check` writes nothing and exits 1 when the committed output differs. The list of generators
 * is in ./generators.ts.
 */
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { compare, generateAll, write } from "./emit.js"
import { generators } from "./generators.js"
import { defaultModelPath, loadModel } from "./model.js"
import { renames } from "./naming.js"

const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..")

const parseArgs = (argv: ReadonlyArray<string>): { readonly model: string; readonly check: boolean } => {
  let model = defaultModelPath()
  let check = false
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]
    if (arg === "--check") check = true
    else if (arg === "--model" && argv[i + 1] !== undefined) model = path.resolve(argv[++i] as string)
    else if (arg?.startsWith("--model=")) model = path.resolve(arg.slice("--model=".length))
    else throw new Error(`unknown argument ${arg}; usage: npm run generate [--model PATH] [--check]`)
  }
  return { model, check }
}

const main = (): number => {
  const args = parseArgs(process.argv.slice(2))
  const model = loadModel(args.model)
  const files = generateAll(model, generators)
  const differences = args.check ? compare(projectRoot, files) : write(projectRoot, files)
  const verb = args.check ? "differs" : "wrote"
  for (const d of differences.slice(0, 40)) console.log(`${verb}: ${d.status} ${d.path}`)
  if (differences.length > 40) console.log(`${verb}: ... and ${differences.length - 40} more`)
  const renamed = renames()
  console.log(`model ${model.version}: ${files.length} files, ${differences.length} ${args.check ? "out of date" : "changed"}`)
  console.log(`renames (${renamed.length}):`)
  for (const r of renamed) console.log(`  ${r.where}: ${r.original} -> ${r.renamed} (${r.rule})`)
  return args.check && differences.length > 0 ? 1 : 0
}

process.exitCode = main()
