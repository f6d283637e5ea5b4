/**
 * The SDK from plain async code, without Effect: `effect-ovirt/promise`.
 *
 * `connect(options)` gives the same service tree with methods that return Promises; a failed call
 * rejects with the SDK's tagged error (`NotFoundError`, `FaultError`, ...: `Error` subclasses with
 * `_tag`, `code` and `fault`); `close()` revokes the SSO token.
 *
 *   npx tsx examples/15-promise-facade.ts
 */
import { connect, type ConnectionOptions, NotFoundError } from "../src/promise/index.js"
import { Simulator } from "../src/testing/index.js"
import { isMain } from "./support.js"

export const run = async (options: ConnectionOptions) => {
  const conn = await connect(options)
  try {
    const web = await conn.system.vms.list({ search: "name=web*" })
    console.log(`web servers: ${web.map((vm) => `${vm.name} (${vm.status})`).join(", ")}`)

    // Collections also come as async iterables, decoded as the answer arrives.
    let streamed = 0
    for await (const vm of conn.system.vms.listStream()) if (vm.id !== undefined) streamed++

    // Errors are the SDK's own, with the engine's status code.
    const missing = await conn.system.vms
      .vm("no-such-vm")
      .get()
      .then(() => "found?", (e: unknown) => (e instanceof NotFoundError ? `${e._tag} ${e.code}` : `unexpected: ${String(e)}`))
    console.log(`${streamed} VMs streamed; a missing VM: ${missing}`)
    return { web: web.length, streamed, missing }
  } finally {
    await conn.close()
  }
}

// A real engine when OVIRT_URL is set (with OVIRT_USERNAME, OVIRT_PASSWORD, OVIRT_CA_FILE), else a simulator.
if (isMain(import.meta.url)) {
  const env = process.env
  if (env.OVIRT_URL !== undefined) {
    const caFile = env.OVIRT_CA_FILE
    await run({ url: env.OVIRT_URL, username: env.OVIRT_USERNAME ?? "", password: env.OVIRT_PASSWORD ?? "", ...(caFile ? { caFile } : {}) })
  } else {
    const sim = await Simulator.start({ seed: "examples" })
    try {
      await run({ url: sim.url, username: sim.username, password: sim.password, caFile: sim.caFile })
    } finally {
      await sim.close()
    }
  }
}
