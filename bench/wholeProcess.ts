/**
 * The whole-process decode of `npm run bench`: a fresh `node` that imports the package root, reads a
 * `<vms>` document from a file and decodes it, as a command-line tool would, in one of two ways:
 *
 *   string  `fs.readFileSync(file, "utf8")` then `Xml.decodeListAs(Types.Vm)`: the whole text first;
 *   chunks  `fs.createReadStream(file)`'s 64 KiB chunks through `Xml.decodeStream(Types.Vm)`, every VM
 *           collected: the bytes are decoded as they are read, and the text never exists whole.
 *
 * bench/main.ts builds it to JavaScript (bench/tsconfig.stream.json) and times whole runs of it from
 * outside. Prints the count and the process's CPU time in ms (user + system, start-up and the
 * collector's threads included), steadier than wall time on a shared machine.
 */
import * as fs from "node:fs"
import { Chunk, Effect, Stream } from "effect"
import { Types, Xml } from "../src/index.js"

const [mode, file] = process.argv.slice(2)
if (file === undefined || (mode !== "string" && mode !== "chunks")) throw new Error("usage: node wholeProcess.js string|chunks <vms.xml>")

const decodeText = Effect.suspend(() => Xml.decodeListAs(Types.Vm)(fs.readFileSync(file, "utf8")))
const decodeChunks = Stream.runCollect(Xml.decodeStream(Types.Vm)(Stream.fromAsyncIterable(fs.createReadStream(file), (e) => e))).pipe(
  Effect.map(Chunk.toReadonlyArray)
)
const vms = await Effect.runPromise(mode === "string" ? decodeText : decodeChunks)
const cpu = process.cpuUsage()
process.stdout.write(`${vms.length} ${((cpu.user + cpu.system) / 1000).toFixed(0)}\n`)
