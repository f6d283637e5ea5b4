/**
 * `effect-ovirt/promise` against a simulator over real HTTPS: the same tree with Promises, the SDK's
 * tagged errors as rejections (with `_tag`, `code`, `fault`), streams as async iterables, and a
 * `close()` that revokes the token.
 */
import { describe, expect, it } from "@effect/vitest"
import {
  AuthError,
  ConnectionError,
  connect,
  FaultError,
  InvalidInputError,
  NotFoundError,
  type PromiseConnection
} from "../src/promise/index.js"
import { Simulator } from "../src/testing/index.js"
import { sharedSimulator } from "./support/simulator.js"

describe("effect-ovirt/promise", () => {
  let sim: Simulator.RunningSimulator
  sharedSimulator({ seed: "promise" }, (started) => (sim = started))

  const options = () => ({ url: sim.url, username: sim.username, password: sim.password, caFile: sim.caFile })

  /** Runs `f` over a fresh connection, closed at the end. */
  const withConnection = async <A>(f: (conn: PromiseConnection) => Promise<A>): Promise<A> => {
    const conn = await connect(options())
    try {
      return await f(conn)
    } finally {
      await conn.close()
    }
  }

  it("lists, searches and navigates the tree with Promises", async () => {
    const seeded = sim.objects("vms")
    const out = await withConnection(async (conn) => {
      const all = await conn.system.vms.list()
      const web = await conn.system.vms.list({ search: "name=web*" })
      const one = await conn.system.vms.vm(all[0].id!).get()
      const disks = await conn.system.vms.vm(all[0].id!).diskAttachments.list()
      return { all, web, one, disks }
    })
    expect(out.all.map((vm) => vm.id).sort()).toEqual(seeded.map((vm) => vm.id).sort())
    expect(out.web.map((vm) => vm.name).sort()).toEqual(
      seeded.map((vm) => String(vm.name)).filter((name) => name.startsWith("web")).sort()
    )
    expect(out.web.length).toBeGreaterThan(0)
    expect(out.one.id).toBe(out.all[0].id)
    expect(out.disks.length).toBe(sim.objects(`vms/${out.all[0].id!}/diskattachments`).length)
  })

  it("keeps what a ref is: its service and path", async () => {
    await withConnection(async (conn) => {
      const ref = conn.system.vms.vm("a b")
      expect(ref.service).toBe("VmService")
      expect(ref.path).toBe("vms/a%20b")
    })
  })

  it("gives a collection's stream as an async iterable, item by item", async () => {
    const names = await withConnection(async (conn) => {
      const seen: Array<string | undefined> = []
      for await (const vm of conn.system.vms.listStream({ search: "name=db*" })) seen.push(vm.name)
      return seen
    })
    const expected = sim
      .objects("vms")
      .map((vm) => String(vm.name))
      .filter((name) => name.startsWith("db"))
    expect(names.sort()).toEqual(expected.sort())
    expect(names.length).toBeGreaterThan(0)
  })

  it("rejects with the SDK's tagged errors: Error subclasses with _tag, code and fault", async () => {
    const [missing, fault] = await withConnection((conn) =>
      Promise.all([
        conn.system.vms.vm("no-such-vm").get().then(() => undefined, (e: unknown) => e),
        conn.system.vms.list({ search: "colour=red" }).then(() => undefined, (e: unknown) => e)
      ])
    )
    expect(missing).toBeInstanceOf(NotFoundError)
    expect(missing).toBeInstanceOf(Error)
    expect(missing).toMatchObject({ _tag: "NotFoundError", code: 404, method: "GET", path: "vms/no-such-vm" })
    expect((missing as NotFoundError).message).toContain("vms/no-such-vm")
    expect(fault).toBeInstanceOf(FaultError)
    expect(fault).toMatchObject({
      _tag: "FaultError",
      code: 400,
      fault: { detail: "Vms: $colour$=red" }
    })
  })

  it("close() revokes the token; calls after it reject with ConnectionError", async () => {
    const before = sim.stats()
    const conn = await connect(options())
    await conn.system.vms.list({ max: 1 })
    expect(sim.stats().tokensIssued).toBe(before.tokensIssued + 1)
    await conn.close()
    expect(sim.stats().tokensRevoked).toBe(before.tokensRevoked + 1)
    expect(sim.stats().tokensActive).toBe(before.tokensActive)
    await conn.close() // a second close does nothing
    const after = await conn.system.vms.list().then(() => undefined, (e: unknown) => e)
    expect(after).toBeInstanceOf(ConnectionError)
    expect(after).toMatchObject({ _tag: "ConnectionError", reason: "CLOSED" })
  })

  it("bad options reject connect() with InvalidInputError before anything is sent, the password never shown", async () => {
    const requests = sim.stats().requests
    const error = await connect({ ...options(), url: "ftp://nowhere", password: "s3cret-Pa55" }).then(
      () => undefined,
      (e: unknown) => e
    )
    expect(error).toBeInstanceOf(InvalidInputError)
    expect(String((error as Error).message)).not.toContain("s3cret-Pa55")
    expect(sim.stats().requests).toBe(requests)
  })

  it("a wrong password rejects the first call with AuthError, without the password in it", async () => {
    const conn = await connect({ ...options(), password: "wrong-Pa55word" })
    const error = await conn.system.vms.list().then(() => undefined, (e: unknown) => e)
    await conn.close()
    expect(error).toBeInstanceOf(AuthError)
    expect(JSON.stringify(error)).not.toContain("wrong-Pa55word")
    expect(String(error)).not.toContain("wrong-Pa55word")
  })
})
