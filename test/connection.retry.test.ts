/**
 * `retry` as a Schedule of the user's, over real HTTPS on loopback: the Schedule decides how often
 * and how long, the SDK still decides what may be sent again (GET, PUT, DELETE after a reset or a
 * 502/503/504; never a POST, never another status), and the Schedule is given each `RetryInput`.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Redacted, Schedule } from "effect"
import type * as http from "node:http"
import * as Connection from "../src/services/Connection.js"
import { API_ROOT_XML, fakeEngine, PASSWORD, USERNAME } from "./support/FakeEngine.js"
import { eventually, sendHtml, sendXml } from "./support/TestServer.js"

const engine = fakeEngine()

/** An API that answers `statuses` in turn (an error page each), then the API root. */
const failing = (...statuses: ReadonlyArray<number>) => {
  const left = [...statuses]
  return (_request: unknown, response: http.ServerResponse) => {
    const status = left.shift()
    if (status === undefined) return sendXml(response, 200, API_ROOT_XML)
    sendHtml(response, status, `<html><body>${status}</body></html>`)
  }
}

const call = (
  e: { readonly url: string; readonly caPem: string },
  retry: NonNullable<Connection.ConnectionOptions["retry"]>,
  request: Parameters<Connection.ConnectionService["send"]>[0] = { method: "GET", path: "" },
  options: Partial<Connection.ConnectionOptions> = {}
) =>
  Effect.either(Effect.flatMap(Connection.Connection, (c) => c.send(request))).pipe(
    Effect.provide(Connection.layer({ url: e.url, username: USERNAME, password: Redacted.make(PASSWORD), caCerts: e.caPem, retry, ...options }))
  )

describe("retry: a Schedule of the user's", () => {
  it.scoped("Schedule.recurs(2) against a server that fails twice, then answers: three requests, the answer", () =>
    Effect.gen(function* () {
      const e = yield* engine
      e.setApi(failing(503, 503))
      const result = yield* call(e, Schedule.recurs(2))
      expect(result._tag === "Right" && result.right.status).toBe(200)
      expect(e.apiRequests()).toHaveLength(3)
    }))

  it.scoped("when the Schedule ends, the last answer is the error (its status and page), nothing more is sent", () =>
    Effect.gen(function* () {
      const e = yield* engine
      e.setApi(failing(503, 502, 504))
      const result = yield* call(e, Schedule.recurs(1))
      expect(result._tag === "Left" && [result.left._tag, result.left._tag !== "InvalidInputError" && result.left.code]).toEqual(["FaultError", 502])
      expect(e.apiRequests()).toHaveLength(2)
    }))

  it.scoped("the Schedule is given each RetryInput: one that stops at a 502 sends no third request", () =>
    Effect.gen(function* () {
      const e = yield* engine
      e.setApi(failing(503, 502))
      const seen: Array<string> = []
      const only503 = Schedule.recurWhile((input: Connection.RetryInput) => {
        seen.push(input._tag === "TransientAnswer" ? `${input.status} ${input.headers["content-type"]?.split(";")[0]}` : input._tag)
        return input._tag === "TransientAnswer" && input.status === 503
      })
      const result = yield* call(e, only503)
      expect(result._tag === "Left" && result.left._tag !== "InvalidInputError" && result.left.code).toBe(502)
      expect(seen).toEqual(["503 text/html", "502 text/html"])
      expect(e.apiRequests()).toHaveLength(2)
    }))

  it.scoped("a reset is retried on the Schedule too; the PUT is replayed with its body", () =>
    Effect.gen(function* () {
      const e = yield* engine
      let resets = 1
      e.setApi((request, response) => {
        if (resets-- > 0) return response.socket?.destroy()
        sendXml(response, 200, API_ROOT_XML)
      })
      const result = yield* call(e, Schedule.recurs(1), { method: "PUT", path: "vms/1", body: "<vm/>" })
      expect(result._tag === "Right" && result.right.status).toBe(200)
      expect(e.apiRequests().map((r) => [r.method, r.body])).toEqual([["PUT", "<vm/>"], ["PUT", "<vm/>"]])
    }))

  it.scoped("the safety rules hold whatever the Schedule: never a POST, never a 500 or a 409", () =>
    Effect.gen(function* () {
      const e = yield* engine
      const forever = Schedule.forever
      e.setApi(failing(503))
      const post = yield* call(e, forever, { method: "POST", path: "vms", body: "<vm/>" })
      expect(post._tag === "Left" && post.left._tag !== "InvalidInputError" && post.left.code).toBe(503)
      for (const status of [500, 409]) {
        e.setApi(failing(status))
        const get = yield* call(e, forever)
        expect(get._tag === "Left" && get.left._tag !== "InvalidInputError" && get.left.code).toBe(status)
      }
      expect(e.apiRequests().map((r) => r.method)).toEqual(["POST", "GET", "GET"])
    }))

  // live clock: the timeout is real time. The transport's timer bounds each exchange; the pauses between
  // them are bounded by what is left of the same deadline
  it.scopedLive("the call's timeout bounds its retries: a pause past the deadline ends the call with the call's TimeoutError", () =>
    Effect.gen(function* () {
      const e = yield* engine
      e.setApi(failing(503, 503, 503))
      const result = yield* call(e, Schedule.spaced("1 minute"), { method: "GET", path: "vms" }, { timeout: "300 millis" })
      expect(result._tag === "Left" && result.left._tag).toBe("TimeoutError")
      if (result._tag !== "Left" || result.left._tag !== "TimeoutError") return
      expect(result.left.phase).toBe("request")
      expect(result.left.message).toBe("GET vms took longer than 300 ms (timeout); the request was aborted.")
      expect(e.apiRequests()).toHaveLength(1)
    }))

  it.scopedLive("the call's timeout bounds a retried exchange that never answers: TimeoutError, the request aborted", () =>
    Effect.gen(function* () {
      const e = yield* engine
      let first = true
      e.setApi((_request, response) => {
        if (!first) return // the second attempt is never answered
        first = false
        sendHtml(response, 503, "<html><body>503</body></html>")
      })
      const result = yield* call(e, Schedule.recurs(3), { method: "GET", path: "vms" }, { timeout: "400 millis" })
      expect(result._tag === "Left" && result.left._tag).toBe("TimeoutError")
      expect(result._tag === "Left" && result.left.message).toBe("GET vms took longer than 400 ms (timeout); the request was aborted.")
      expect(e.apiRequests()).toHaveLength(2)
      expect(yield* Effect.promise(() => eventually(() => e.server.inFlight() === 0))).toBe(true)
    }))
})
