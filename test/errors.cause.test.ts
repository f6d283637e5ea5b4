/**
 * Every error keeps the failure underneath as its `cause`, scrubbed: over real HTTPS on loopback, a
 * TLS failure (a certificate the client does not trust) shows the TLS error's code below the
 * ConnectionError in `Cause.pretty` (as Effect's loggers and span events render it) and in the exit the
 * call's span ends with; a failure whose
 * text carries the password, the token or a secret parameter keeps its message and code, never them.
 */
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientError from "@effect/platform/HttpClientError"
import { describe, expect, it } from "@effect/vitest"
import { Cause, Effect, Exit, Redacted } from "effect"
import * as util from "node:util"
import * as Connection from "../src/services/Connection.js"
import { ConnectionError } from "../src/core/Errors.js"
import { fakeEngine, PASSWORD, USERNAME } from "./support/FakeEngine.js"
import { recordingTracer, type RecordedSpan } from "./support/tracing.js"

const engine = fakeEngine()

const root = Effect.flatMap(Connection.Connection, (c) => c.send({ method: "GET", path: "" }))

/** The rendering Effect's loggers and span events use: the error, then its `[cause]` chain. */
const pretty = <E>(exit: Exit.Exit<unknown, E>): string => (Exit.isFailure(exit) ? Cause.pretty(exit.cause, { renderErrorCause: true }) : "")

describe("errors keep their cause", () => {
  it.scoped("a TLS failure: the ConnectionError's cause is the TLS error, its code shown by Cause.pretty", () =>
    Effect.gen(function* () {
      const e = yield* engine
      // the engine's certificate is signed by a CA this client is not given
      const spans: Array<RecordedSpan> = []
      const exit = yield* Effect.exit(Effect.provide(root, Connection.layer({ url: e.url, username: USERNAME, password: PASSWORD, retry: false }))).pipe(
        Effect.withTracer(recordingTracer(spans))
      )
      const error = Exit.isFailure(exit) ? Cause.squash(exit.cause) : undefined
      expect(error).toBeInstanceOf(ConnectionError)
      const reason = (error as ConnectionError).reason ?? ""
      expect(reason).toMatch(/CERT|SIGNATURE|ISSUER/)
      const cause = (error as ConnectionError).cause
      expect(cause).toBeInstanceOf(Error)
      expect((cause as { code?: string }).code).toBe(reason)
      const text = pretty(exit)
      expect(text).toContain("TLS failure talking to")
      expect(text).toMatch(new RegExp(`\\[cause\\]: Error \\[${reason}\\]: `))
      // Node's own rendering (console.log of the error) shows it too
      expect(util.inspect(error)).toContain(reason)
      // and the call's span ends with it, for an exporter to record
      const span = spans.find((s) => s.name === "ovirt.GET")
      expect(span?.exit !== undefined && pretty(span.exit)).toContain(`[cause]: Error [${reason}]`)
    }))

  it.scoped("a cause whose text holds the password, the token or a secret parameter keeps its message and code, without them", () =>
    Effect.gen(function* () {
      const e = yield* engine
      // a middleware (or a proxy library) that puts what it was sent into its failure
      const leaky = (client: HttpClient.HttpClient) =>
        HttpClient.transform(client, (effect, request) =>
          request.url.includes("/ovirt-engine/api")
            ? Effect.fail(new HttpClientError.RequestError({
              request,
              reason: "Transport",
              cause: new Error("tunnel failed", {
                cause: Object.assign(
                  new Error(
                    `connect ECONNREFUSED with ${request.headers.authorization} for ${PASSWORD} (${encodeURIComponent(PASSWORD)}) ` +
                      `at https://proxyuser:proxypass@proxy.example.com:3128/?api_key=k3y-v4lue&x=1`
                  ),
                  { code: "ECONNREFUSED" }
                )
              })
            }))
            : effect)
      const exit = yield* Effect.exit(Effect.provide(
        root,
        Connection.layer({ url: e.url, username: USERNAME, password: Redacted.make(PASSWORD), caCerts: e.caPem, transformClient: leaky, retry: false })
      ))
      const error = Exit.isFailure(exit) ? Cause.squash(exit.cause) : undefined
      expect(error).toBeInstanceOf(ConnectionError)
      expect((error as ConnectionError).reason).toBe("ECONNREFUSED")
      const shown = [pretty(exit), util.inspect(error, { depth: 10 }), JSON.stringify(error), (error as Error).message]
      expect(shown[0]).toContain("[cause]: Error: tunnel failed")
      // the code is in the message already, so it does not join the name
      expect(shown[0]).toContain("[cause]: Error: connect ECONNREFUSED with Bearer <redacted> for <redacted>")
      for (const text of shown) {
        for (const secret of [PASSWORD, encodeURIComponent(PASSWORD), "token-1", "proxypass", "k3y-v4lue"]) expect(text).not.toContain(secret)
      }
      expect(e.ssoRequests()).toHaveLength(1)
    }))
})
