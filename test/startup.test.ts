/**
 * What an import loads, counted in a fresh node process (a module loader hook records every module):
 * the root never loads the simulator nor any service module; one service's module loads no other
 * service's; a call through `system` loads the module of the service it calls, and only that one; a wait
 * reads only the description of the service it polls; the simulator loads none of the client's HTTP
 * code; types load as one module whose struct Schemas are built on first use.
 * (How long the imports take is measured by bench/startup.ts, not here.)
 */
import { spawnSync } from "node:child_process"
import { fileURLToPath } from "node:url"
import { Schema, SchemaAST as AST } from "effect"
import { describe, expect, it } from "@effect/vitest"
import { Types, Xml } from "../src/index.js"

const root = fileURLToPath(new URL("..", import.meta.url))

/** The URLs of every module a fresh process loads while running `script`. */
const urlsLoadedBy = (script: string): ReadonlyArray<string> => {
  const hook = [
    "let port",
    "export function initialize(data) { port = data.port }",
    "export async function load(url, context, next) { port.postMessage(url); return next(url, context) }"
  ].join("\n")
  const main = `
    import { register } from "node:module"
    import { MessageChannel } from "node:worker_threads"
    const { port1, port2 } = new MessageChannel()
    const seen = []
    port1.on("message", (url) => seen.push(url))
    port1.unref()
    register("data:text/javascript," + encodeURIComponent(${JSON.stringify(hook)}), { data: { port: port2 }, transferList: [port2] })
    ${script}
    await new Promise((resolve) => setTimeout(resolve, 100))
    process.stdout.write(JSON.stringify(seen))`
  const r = spawnSync(process.execPath, ["--import", "tsx/esm", "--input-type=module", "-e", main], { cwd: root, encoding: "utf8" })
  if (r.status !== 0) throw new Error(`the child process failed (${r.status}): ${r.stderr}`)
  return JSON.parse(r.stdout) as ReadonlyArray<string>
}

/** The project modules (paths below src/) among module URLs. */
const projectModules = (urls: ReadonlyArray<string>): ReadonlyArray<string> =>
  urls.flatMap((url) => {
    const at = url.indexOf("/src/")
    return url.startsWith("file:") && at >= 0 && !url.includes("/node_modules/") ? [url.slice(at + 5).replace(/\?.*$/, "")] : []
  })

/** The project modules (paths below src/) a fresh process loads while running `script`. */
const loadedBy = (script: string): ReadonlyArray<string> => projectModules(urlsLoadedBy(script))

const serviceModules = (loaded: ReadonlyArray<string>) => loaded.filter((m) => /^services\/generated\/[A-Z]\w*\.ts$/.test(m))

describe("start-up", () => {
  it("the root loads the core, the types and the service tree's shapes, never the simulator or a service module", () => {
    const loaded = loadedBy(`await import("./src/index.ts")`)
    expect(loaded).toContain("index.ts")
    expect(loaded).toContain("core/Connection.ts")
    expect(loaded).toContain("services/generated/tree.ts")
    expect(loaded.filter((m) => m.startsWith("simulator/"))).toEqual([])
    expect(serviceModules(loaded)).toEqual([])
    // nor the services' descriptions (each service module brings its own)
    expect(loaded.filter((m) => m.startsWith("services/generated/meta/") || m === "services/generated/metadata.ts")).toEqual([])
    // the types' runtime side is one module (the per-type files are type-only), the wire metadata another
    expect(loaded.filter((m) => m.startsWith("types/generated/")).sort()).toEqual(["types/generated/index.ts", "types/generated/metadata.ts"])
  })

  it("undici loads with the first connection, not with the root", () => {
    const undici = (urls: ReadonlyArray<string>) => urls.filter((url) => url.includes("/node_modules/undici/"))
    expect(undici(urlsLoadedBy(`await import("./src/index.ts")`))).toEqual([])
    const connected = urlsLoadedBy(`
      const { Effect } = await import("effect")
      const { Connection } = await import("./src/index.ts")
      await Effect.runPromise(Effect.scoped(Connection.make({ url: "https://127.0.0.1:9/ovirt-engine/api", token: "t" })))`)
    expect(undici(connected).length).toBeGreaterThan(0)
  })

  it("one service's module loads no other service's module", () => {
    const loaded = loadedBy(`await import("./src/services/generated/VmsService.ts")`)
    expect(serviceModules(loaded)).toEqual(["services/generated/VmsService.ts"])
    expect(loaded.filter((m) => m.startsWith("simulator/"))).toEqual([])
  })

  it("one service's module loads the codec but not the connection's transport (HTTP client, SSO, options)", () => {
    const urls = urlsLoadedBy(`await import("./src/services/generated/VmsService.ts")`)
    const loaded = projectModules(urls)
    // it asks the context for the Connection tag; what builds a connection loads where a layer is made
    expect(loaded).toContain("core/Xml.ts")
    expect(loaded).toContain("services/runtime/Request.ts")
    const transport = ["core/Connection.ts", "core/Options.ts", "core/internal/Http.ts", "core/internal/Auth.ts", "core/internal/Trust.ts"]
    expect(loaded.filter((m) => transport.includes(m))).toEqual([])
    expect(urls.filter((url) => url.includes("/node_modules/@effect/platform/") || url === "node:tls")).toEqual([])
  })

  it("a call through system loads the module of the service called, and only that one", () => {
    const loaded = loadedBy(`
      const { Effect } = await import("effect")
      const { Simulator } = await import("./src/testing/index.ts")
      const { system } = await import("./src/index.ts")
      const out = await Effect.runPromise(system.vms.vm("no-such-vm").diskAttachments.list().pipe(
        Effect.catchTag("NotFoundError", () => Effect.succeed("not found")),
        Effect.provide(Simulator.layer({ seed: "startup" }))
      ))
      if (out !== "not found") throw new Error("expected NotFoundError, got " + JSON.stringify(out))`)
    expect(loaded.some((m) => m.startsWith("simulator/"))).toBe(true)
    expect(serviceModules(loaded)).toEqual(["services/generated/DiskAttachmentsService.ts"])
  })

  it("a wait reads the description of the service it polls, and loads no other service's", () => {
    // the simulator runs in its own process: in this one it would load every service's description
    const loaded = loadedBy(`
      const { spawn } = await import("node:child_process")
      const { createInterface } = await import("node:readline")
      const sim = spawn(process.execPath, ["bin/effect-ovirt-simulator.mjs", "--seed", "startup", "--vms", "3"], { stdio: ["ignore", "pipe", "inherit"] })
      try {
        const [line] = await createInterface({ input: sim.stdout })[Symbol.asyncIterator]().next().then((r) => [r.value])
        if (line === undefined) throw new Error("the simulator exited before it was ready")
        const { url, caFile, username, password } = JSON.parse(line)
        const { Effect, Redacted } = await import("effect")
        const { Connection, system, Wait } = await import("./src/index.ts")
        const vm = await Effect.runPromise(Effect.gen(function* () {
          const [down] = yield* system.vms.list({ search: "status=down", max: 1 })
          return yield* Wait.forStatus(system.vms.vm(down.id), "down", { timeout: "1 minute" })
        }).pipe(Effect.provide(Connection.layer({ url, caFile, username, password: Redacted.make(password) }))))
        if (vm.status !== "down") throw new Error("expected a down VM, got " + JSON.stringify(vm))
      } finally {
        sim.kill("SIGTERM")
      }`)
    expect(serviceModules(loaded).sort()).toEqual(["services/generated/VmService.ts", "services/generated/VmsService.ts"])
    const descriptions = loaded.filter((m) => m.startsWith("services/generated/meta/") || m === "services/generated/metadata.ts")
    expect(descriptions.sort()).toEqual(["services/generated/meta/VmService.ts", "services/generated/meta/VmsService.ts"])
  })

  it("the simulator, started and answering, loads the codec and metadata but none of the client's HTTP code", () => {
    const loaded = loadedBy(`
      const { start } = await import("./src/simulator/index.ts")
      const sim = await start({ seed: "startup", plainHttp: true })
      const auth = "Basic " + Buffer.from(sim.username + ":" + sim.password).toString("base64")
      const answer = await fetch(sim.url + "/vms", { headers: { Authorization: auth } })
      if (answer.status !== 200) throw new Error("expected 200 from the simulator, got " + answer.status)
      await sim.close()`)
    expect(loaded).toContain("simulator/Engine.ts")
    expect(loaded).toContain("core/Xml.ts")
    const client = ["core/internal/Http.ts", "core/Connection.ts", "services/runtime/Request.ts", "core/internal/Auth.ts"]
    expect(loaded.filter((m) => client.includes(m))).toEqual([])
  })

  it("a struct Schema is a suspend built on first use: it keeps the model name and decodes", () => {
    // built lazily so that importing the types constructs none of the 220 struct Schemas
    expect(Types.Vm.ast._tag).toBe("Suspend")
    expect(Xml.structNameOf(Types.Vm)).toBe("Vm")
    expect(Types.Vm.ast.annotations[AST.IdentifierAnnotationId]).toBe("Vm")
    const vm = Schema.decodeUnknownSync(Types.Vm)({ id: "123", name: "web1", status: "up", cluster: { id: "c1" } })
    expect(vm).toEqual({ id: "123", name: "web1", status: "up", cluster: { id: "c1" } })
    expect(() => Schema.decodeUnknownSync(Types.Vm)({ name: 42 })).toThrow(/name/)
  })
})
