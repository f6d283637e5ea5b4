/**
 * A recording HTTPS server that answers whatever the tests script (XML, or no body at all), with a
 * Connection runtime to it (a bearer token, the server's CA): shared by the tests of a `describe`
 * block, made before the first and closed after the last.
 */
import { afterAll, beforeAll } from "@effect/vitest"
import { ManagedRuntime } from "effect"
import * as Connection from "../../src/services/Connection.js"
import { sendXmlOrNothing, startServer, type TestServer } from "./TestServer.js"

export interface ScriptedEngine {
  readonly server: TestServer
  readonly runtime: ManagedRuntime.ManagedRuntime<Connection.Connection, unknown>
}

/** `next` gives the answer to each request; `use` receives the server and the runtime. */
export const sharedScriptedEngine = (
  token: string,
  next: () => { readonly status: number; readonly body: string },
  use: (scripted: ScriptedEngine) => void
): void => {
  let scripted: ScriptedEngine | undefined
  beforeAll(async () => {
    const server = await startServer((_request, res) => {
      const answer = next()
      sendXmlOrNothing(res, answer.status, answer.body)
    })
    const runtime = ManagedRuntime.make(Connection.layer({ url: `${server.origin}/ovirt-engine/api`, token, caCerts: server.certificates.caPem }))
    scripted = { server, runtime }
    use(scripted)
  })
  afterAll(async () => {
    await scripted?.runtime.dispose()
    await scripted?.server.close()
  })
}
