/**
 * The SSO token's single flight, against a scripted SSO round trip (no sockets): many interleavings
 * of an interrupted first caller, which must never leave a login that later calls wait on forever.
 */
import { Effect, Fiber, Option, Redacted } from "effect"
import { describe, expect, it } from "@effect/vitest"
import * as Auth from "../src/core/internal/Auth.js"

const settings: Auth.AuthSettings = {
  username: "admin@internal",
  password: Redacted.make("secret"),
  kerberos: false,
  apiUrl: "https://engine.example.com/ovirt-engine/api",
  ssoUrl: "https://engine.example.com/ovirt-engine/sso/oauth/token",
  ssoRevokeUrl: "https://engine.example.com/ovirt-engine/services/sso-logout",
  ssoTokenName: "access_token",
  logoutOnClose: false,
  revokeTimeoutMillis: 1_000,
  userAgent: "test",
  onToken: () => undefined,
  scrub: (text) => text
}

describe("single-flight login", () => {
  // live clock: a login left hanging is told by the 1-second timeout actually firing
  it.live("an interrupted first caller never leaves a login nobody runs", () =>
    Effect.gen(function* () {
      let logins = 0
      const roundTrip: Auth.RoundTrip = () =>
        Effect.sync(() => ({ status: 200, headers: {}, body: JSON.stringify({ access_token: `token-${++logins}` }) }))
      const hung: Array<string> = []
      // A small yield budget makes the first caller yield between nearly every step, so interrupting it
      // after k yields of ours lands between any two of its steps, among them claiming and forking.
      for (let budget = 10; budget <= 40; budget++) {
        for (let k = 0; k < 6; k++) {
          const second = yield* Effect.scoped(Effect.gen(function* () {
            const auth = yield* Auth.make(settings, roundTrip)
            const first = yield* Effect.fork(Effect.withMaxOpsBeforeYield(auth.token, budget))
            for (let i = 0; i < k; i++) yield* Effect.yieldNow()
            yield* Fiber.interrupt(first)
            return yield* Effect.timeout(auth.token, "1 second").pipe(Effect.option)
          }))
          if (Option.isNone(second)) hung.push(`budget ${budget}, ${k} yields`)
        }
      }
      expect(hung).toEqual([])
    }))
})
