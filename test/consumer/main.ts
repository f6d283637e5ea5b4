// A consumer of the packed package, on the lowest effect 3.x we support (see .ci/consumer-check.sh):
// the root, a service subpath, effect-ovirt/testing and effect-ovirt/promise, type-checked and run.
import { Effect } from "effect"
import { Connection, NotFoundError, system, Types, Xml } from "effect-ovirt"
import { connect } from "effect-ovirt/promise"
import * as VmsService from "effect-ovirt/services/VmsService"
import { Simulator } from "effect-ovirt/testing"

const check = (what: string, ok: boolean): void => {
  if (!ok) throw new Error(`consumer check failed: ${what}`)
  console.log(`ok: ${what}`)
}

const viaEffect = Effect.gen(function* () {
  const sim = yield* Simulator.SimulatorTag
  const seeded = sim.objects("vms").length
  const all: ReadonlyArray<Types.Vm> = yield* system.vms.list()
  const web = yield* VmsService.list("vms", { search: "name=web*" })
  const missing = yield* Effect.flip(system.vms.vm("no-such-vm").get())
  const xml = yield* Xml.encode(Types.Vm)({ name: "consumer" })
  return { seeded, all: all.length, web: web.length, missing, xml }
})

const main = async (): Promise<void> => {
  const out = await Effect.runPromise(viaEffect.pipe(Effect.provide(Simulator.layer({ seed: "consumer" }))))
  check("root: system.vms.list gives every seeded VM", out.all === out.seeded && out.all > 0)
  check("subpath: VmsService.list searches", out.web > 0 && out.web < out.all)
  check("errors: a missing VM is a NotFoundError", out.missing instanceof NotFoundError && out.missing._tag === "NotFoundError")
  check("Xml.encode writes a <vm>", out.xml.includes("<name>consumer</name>"))

  const sim = await Simulator.start({ seed: "consumer" })
  try {
    const conn = await connect({ url: sim.url, username: sim.username, password: sim.password, caFile: sim.caFile })
    const vms = await conn.system.vms.list({ max: 5 })
    const rejected = await conn.system.vms.vm("no-such-vm").get().then(() => undefined, (e: unknown) => e)
    await conn.close()
    check("promise: list through connect()", vms.length === 5)
    check("promise: a rejection keeps _tag and code", rejected instanceof NotFoundError && rejected.code === 404)
    check("promise: close() revoked the token", sim.stats().tokensActive === 0)
  } finally {
    await sim.close()
  }
  check("Connection.layer is exported", typeof Connection.layer === "function")
}

await main()
