/**
 * The whole-process decode of `npm run bench`: a fresh `node` that imports the package root, reads a
 * `<vms>` document from a file and decodes it, as a command-line tool would. bench/main.ts builds it to
 * JavaScript (bench/tsconfig.stream.json) and times whole runs of it from outside. Prints the count.
 */
import * as fs from "node:fs"
import { Effect } from "effect"
import { Types, Xml } from "../src/index.js"

const file = process.argv[2]
if (file === undefined) throw new Error("usage: node wholeProcess.js <vms.xml>")
const vms = Effect.runSync(Xml.decodeListAs(Types.Vm)(fs.readFileSync(file, "utf8")))
process.stdout.write(`${vms.length}\n`)
