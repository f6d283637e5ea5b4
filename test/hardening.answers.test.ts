/**
 * Bounded memory for every answer: a buffered answer (API calls, SSO answers) is bounded after
 * decompression by `maxAnswerSize`, failing fast with a DecodeError (reading stops, the socket is
 * released); a gzip bomb is served for real over loopback HTTPS. Streams are bounded by design: a
 * consumer that stops pulling stops the engine from sending more than the buffers hold.
 */
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import * as zlib from "node:zlib"
import type * as http from "node:http"
import { describe, expect, it } from "@effect/vitest"
import { ConfigProvider, Effect, Either, Layer, Redacted, Stream } from "effect"
import * as Connection from "../src/services/Connection.js"
import { DEFAULT_MAX_ANSWER_SIZE } from "../src/core/Options.js"
import * as Xml from "../src/types/Xml.js"
import { system } from "../src/services/index.js"
import * as Types from "../src/types/index.js"
import { fakeEngine, PASSWORD, USERNAME } from "./support/FakeEngine.js"
import { eventually, sendXml } from "./support/TestServer.js"

const MiB = 1024 * 1024
/** Polls of 10 ms before `eventually` gives up: generous, for a busy machine (it is not a timing assertion). */
const PATIENCE = 3000
const BOUND = 4 * MiB

/** 16 MiB of zeros as one gzip member (~16 KiB); members concatenated are one gzip body. */
const member = zlib.gzipSync(Buffer.alloc(16 * MiB))

interface Served {
  /** Compressed members written so far. */
  sent: number
  closed: boolean
  finished: boolean
}

/** Serves `members` gzip members (16 MiB inflated each) as one answer, with backpressure. */
const gzipBomb = (members: number, served: Served, status = 200, type = "application/xml") =>
  (_request: unknown, response: http.ServerResponse) => {
    response.writeHead(status, { "content-type": type, "content-encoding": "gzip" })
    response.on("close", () => {
      served.closed = true
      served.finished = response.writableFinished
    })
    const pump = (): void => {
      while (served.sent < members && !response.destroyed) {
        served.sent++
        if (!response.write(member)) return void response.once("drain", pump)
      }
      response.end()
    }
    pump()
  }

const engine = fakeEngine

const connect = (url: string, caPem: string, extra: Partial<Connection.ConnectionOptions> = {}) =>
  Connection.layer({ url, username: USERNAME, password: Redacted.make(PASSWORD), caCerts: caPem, ...extra })

describe("maxAnswerSize", () => {
  it.scoped("a gzip bomb answer fails fast with a DecodeError saying how to raise the bound; the socket is released", () =>
    Effect.gen(function* () {
      const served: Served = { sent: 0, closed: false, finished: false }
      const members = 1024 // 16 MiB compressed, 16 GiB inflated
      const e = yield* engine({ api: gzipBomb(members, served) })
      const error = yield* Effect.flip(Effect.provide(system.vms.list(), connect(e.url, e.caPem, { maxAnswerSize: BOUND })))
      expect(error._tag).toBe("DecodeError")
      expect(error.message).toContain("larger than maxAnswerSize")
      expect(error.message).toContain(String(BOUND))
      expect(error.message).toContain("OVIRT_MAX_ANSWER_SIZE")
      expect(error.message).toContain("listStream")
      expect(error).toMatchObject({ method: "GET", path: "vms", code: 200 })
      // reading stopped: the engine's socket was closed long before the answer's end
      expect(yield* Effect.promise(() => eventually(() => served.closed, PATIENCE))).toBe(true)
      expect(served.finished).toBe(false)
      expect(served.sent).toBeLessThan(members)
    }))

  it.scoped("a declared Content-Length past the bound fails before the body is read", () =>
    Effect.gen(function* () {
      const e = yield* engine({
        api: (_request, response) => {
          // the headers and a first piece, then nothing: only the declared length can fail the call
          response.writeHead(200, { "content-type": "application/xml", "content-length": 100 * MiB })
          response.write("<vms>")
        }
      })
      const error = yield* Effect.flip(Effect.provide(system.vms.list(), connect(e.url, e.caPem, { maxAnswerSize: BOUND })))
      expect(error._tag).toBe("DecodeError")
      expect(error.message).toContain("larger than maxAnswerSize")
      expect(yield* Effect.promise(() => eventually(() => e.server.inFlight() === 0, PATIENCE))).toBe(true)
    }))

  it.scoped("a plain chunked answer past the bound is a DecodeError, one within it is read whole", () =>
    Effect.gen(function* () {
      let size = BOUND + 1
      const e = yield* engine({
        api: (_request, response) => {
          response.writeHead(200, { "content-type": "application/xml" })
          response.write("<vms>") // chunked: no length announced
          response.end(`${" ".repeat(size - 11)}</vms>`)
        }
      })
      const layer = connect(e.url, e.caPem, { maxAnswerSize: BOUND })
      const error = yield* Effect.flip(Effect.provide(system.vms.list(), layer))
      expect(error._tag).toBe("DecodeError")
      size = BOUND
      expect(yield* Effect.provide(system.vms.list(), layer)).toEqual([])
    }))

  it.scoped("bounds the SSO answer too: a DecodeError, not a ConnectionError", () =>
    Effect.gen(function* () {
      const served: Served = { sent: 0, closed: false, finished: false }
      const bomb = gzipBomb(1024, served, 200, "application/json")
      const e = yield* engine({ sso: (request, response) => bomb(request, response) })
      const error = yield* Effect.flip(Effect.provide(system.get(), connect(e.url, e.caPem, { maxAnswerSize: BOUND })))
      expect(error._tag).toBe("DecodeError")
      expect(error.message).toContain("larger than maxAnswerSize")
      expect(yield* Effect.promise(() => eventually(() => served.closed, PATIENCE))).toBe(true)
      expect(served.finished).toBe(false)
    }))

  it.scoped("is checked like the other options, defaults to 256 MiB and is read from OVIRT_MAX_ANSWER_SIZE", () =>
    Effect.gen(function* () {
      expect(DEFAULT_MAX_ANSWER_SIZE).toBe(256 * MiB)
      for (const bad of [0, -1, 1.5, Number.NaN, "10" as unknown as number]) {
        const error = yield* Effect.flip(Effect.scoped(Connection.make({ url: "https://e/ovirt-engine/api", token: "t", maxAnswerSize: bad })))
        expect(error._tag).toBe("InvalidInputError")
        expect(error.message).toContain("maxAnswerSize")
      }
      const e = yield* engine({ api: (_request, response) => sendXml(response, 200, `<vms>${" ".repeat(2000)}</vms>`) })
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "effect-ovirt-"))
      yield* Effect.addFinalizer(() => Effect.sync(() => fs.rmSync(dir, { recursive: true, force: true })))
      fs.writeFileSync(path.join(dir, "ca.pem"), e.caPem)
      const env = (size: string) => Connection.layerConfig().pipe(Layer.provide(Layer.setConfigProvider(ConfigProvider.fromMap(new Map([
        ["OVIRT_URL", e.url], ["OVIRT_TOKEN", "t"], ["OVIRT_CA_FILE", path.join(dir, "ca.pem")], ["OVIRT_MAX_ANSWER_SIZE", size]
      ])))))
      expect((yield* Effect.flip(Effect.provide(system.vms.list(), env("1000"))))._tag).toBe("DecodeError")
      expect(yield* Effect.provide(system.vms.list(), env("3000"))).toEqual([])
    }))
})

describe("streams stay bounded by design", () => {
  const item = (i: number) => `<vm id="${i}"><name>vm-${i}</name><description>${"d".repeat(200)}</description></vm>`

  it.scoped("listStream reads an answer far larger than maxAnswerSize, item by item", () =>
    Effect.gen(function* () {
      const count = 20_000 // about 5 MiB
      const e = yield* engine({
        api: (_request, response) => {
          response.writeHead(200, { "content-type": "application/xml" })
          response.write("<vms>")
          for (let i = 0; i < count; i += 1000) response.write(Array.from({ length: 1000 }, (_, j) => item(i + j)).join(""))
          response.end("</vms>")
        }
      })
      const n = yield* Effect.provide(
        Stream.runCount(system.vms.listStream()),
        connect(e.url, e.caPem, { maxAnswerSize: 64 * 1024 })
      )
      expect(n).toBe(count)
    }))

  it.scoped("listStream decodes as Xml.decodeStream does: the items before a malformed part, then a DecodeError saying where", () =>
    Effect.gen(function* () {
      const e = yield* engine({
        api: (_request, response) => {
          response.writeHead(200, { "content-type": "application/xml" })
          // one write: the items and the broken one arrive in the same chunk
          response.end(`<vms>${item(1)}${item(2)}${item(3)}<vm id="4"><name>a & b</name></vm></vms>`)
        }
      })
      const results = yield* Effect.provide(
        Stream.runCollect(Stream.either(system.vms.listStream({ search: "name=vm*" }))),
        connect(e.url, e.caPem)
      )
      const [items, failures] = [[...results].filter(Either.isRight), [...results].filter(Either.isLeft)]
      expect(items.map((r) => r.right.id)).toEqual(["1", "2", "3"])
      expect(failures).toHaveLength(1)
      expect(failures[0]!.left).toMatchObject({ _tag: "DecodeError", method: "GET", path: "vms?search=name%3Dvm*", code: 200 })
      expect(failures[0]!.left.message).toContain("malformed XML")
    }))

  it.effect("Xml.decodeStream pulls an endless source only as far as the items taken", () =>
    Effect.gen(function* () {
      let pulled = 0
      const chunk = new TextEncoder().encode(Array.from({ length: 100 }, (_, j) => item(j)).join(""))
      // a document that never ends: buffering it whole would never finish
      const source = Stream.concat(
        Stream.succeed(new TextEncoder().encode("<vms>")),
        Stream.repeatEffect(Effect.sync(() => {
          pulled++
          return chunk
        }))
      )
      const items = yield* Stream.runCollect(Stream.take(Xml.decodeStream(Types.Vm)(source), 250))
      expect(items.length).toBe(250)
      expect(pulled).toBeLessThanOrEqual(3)
    }))

  it.scoped("a consumer that stops pulling stops the engine: what is buffered stays bounded however large the answer", () =>
    Effect.gen(function* () {
      const state = { written: 0, blocked: false, ended: false }
      const total = 256 * MiB
      const chunk = Array.from({ length: 1000 }, (_, j) => item(j)).join("")
      const e = yield* engine({
        api: (_request, response) => {
          response.writeHead(200, { "content-type": "application/xml" })
          response.write("<vms>")
          const pump = (): void => {
            state.blocked = false
            while (state.written < total && !response.destroyed) {
              state.written += chunk.length
              if (!response.write(chunk)) {
                state.blocked = true
                return void response.once("drain", pump)
              }
            }
            state.ended = true
            response.end("</vms>")
          }
          pump()
        }
      })
      let seen = 0
      let blocked = false
      let writtenWhenBlocked = 0
      // The consumer holds the 10th item without pulling more, until the engine has stalled (blocked,
      // nothing written for 20 polls in a row) or has written 64 MiB, which only a reader that buffers
      // without bound would take. Server and client share one event loop: a poll runs only when I/O could.
      let last = -1
      let still = 0
      const stalled = () => {
        if (state.written >= 64 * MiB) return true
        still = state.blocked && state.written === last ? still + 1 : 0
        last = state.written
        return still >= 20
      }
      const hold = Effect.promise(() => eventually(stalled, PATIENCE)).pipe(Effect.map((ok) => {
        blocked = ok && state.blocked
        writtenWhenBlocked = state.written
      }))
      yield* Effect.provide(
        Stream.runForEach(Stream.take(system.vms.listStream(), 10), () => (++seen === 10 ? hold : Effect.void)),
        connect(e.url, e.caPem)
      )
      expect(seen).toBe(10)
      expect(blocked).toBe(true)
      // socket and TLS buffers on both sides, undici's and the decoder's: megabytes, never the answer
      expect(writtenWhenBlocked).toBeLessThan(32 * MiB)
      // ending the stream aborted the request
      expect(yield* Effect.promise(() => eventually(() => e.server.inFlight() === 0, PATIENCE))).toBe(true)
      expect(state.ended).toBe(false)
    }))
})
