/**
 * The connection's options decoded by a Schema into the settings: each bad field gets a message
 * that says what to write and names the field in `paths`; a secret given in a bad shape (a password,
 * a proxy URL with its password) never appears in the message; good options resolve their defaults.
 */
import { describe, expect, it } from "@effect/vitest"
import { Duration, Effect, Redacted, Schedule } from "effect"
import { validate } from "../src/core/Options.js"

const base = { url: "https://e/ovirt-engine/api", token: "t0ken" }

const refused = (options: unknown) => Effect.flip(validate(options as never))

describe("options decoded by a Schema", () => {
  it.effect("each bad field is refused with what to write, named in paths", () =>
    Effect.gen(function* () {
      const cases: ReadonlyArray<readonly [unknown, string, ReadonlyArray<string> | undefined]> = [
        [{ ...base, insecure: "yes" }, "`insecure` must be true or false.", ["insecure"]],
        [{ ...base, connections: -1 }, "`connections` must be a whole number, 0 or more (got -1).", ["connections"]],
        [{ ...base, pipeline: 1.5 }, "`pipeline` must be a whole number, 0 or more (got 1.5).", ["pipeline"]],
        [{ ...base, retry: { times: "3" } }, "`retry.times` must be a whole number, 0 or more (got \"3\").", ["retry.times"]],
        [{ ...base, retry: "yes" }, "`retry` must be false, { times, base, max } or a Schedule.", ["retry"]],
        [{ ...base, retryConflicts: 3 }, "`retryConflicts` must be a Schedule", ["retryConflicts"]],
        [{ ...base, timeout: "0 seconds" }, "`timeout` must be longer than zero", ["timeout"]],
        [{ ...base, ssoUrl: "nowhere" }, "`ssoUrl` is not a URL", ["ssoUrl"]],
        [{ ...base, caCerts: ["not a certificate"] }, "`caCerts` holds no PEM certificate", ["caCerts"]],
        [{ ...base, headers: { "Transfer-Encoding": "chunked" } }, "Transfer-Encoding is managed by the HTTP client", ["headers"]],
        [{ url: "https://e/ovirt-engine/api", username: "" , password: "p" }, "`username` is empty", ["username"]],
        [{ url: "https://e/ovirt-engine/api?x=1", token: "t" }, "without a query or fragment", ["url"]],
        [{ url: "https://e/ovirt-engine/api", password: "p4ss" }, "`password` is given without `username`", ["username"]],
        [{ url: "https://e/ovirt-engine/api" }, "No credentials", undefined]
      ]
      for (const [options, message, paths] of cases) {
        const error = yield* refused(options)
        expect(error._tag).toBe("InvalidInputError")
        expect(error.message, JSON.stringify(options)).toContain(message)
        expect(error.paths).toEqual(paths)
      }
    }))

  it.effect("an unreadable caFile keeps the system's error as its cause", () =>
    Effect.gen(function* () {
      const error = yield* refused({ ...base, caFile: "/nonexistent/ca.pem" })
      expect(error.message).toContain("`caFile` /nonexistent/ca.pem cannot be read (ENOENT)")
      expect(error.paths).toEqual(["caFile"])
      expect(error.cause).toMatchObject({ code: "ENOENT", syscall: "open" })
    }))

  it.effect("a secret in a bad shape is never shown: a password that is not text, a proxy URL that does not parse", () =>
    Effect.gen(function* () {
      const password = yield* refused({ url: base.url, username: "admin@internal", password: 912345678 })
      expect(password.message).toBe("`password` must be text or a Redacted text.")
      const proxy = yield* refused({ ...base, proxy: "http://user:hunter22@[proxy" })
      expect(proxy.message).toContain("`proxy` is not a URL")
      const notAnObject = yield* refused("hunter22")
      expect(notAnObject.message).toBe("The connection options must be an object like { url, username, password }.")
      for (const error of [password, proxy, notAnObject]) {
        for (const secret of ["912345678", "hunter22"]) expect(`${error.message} ${JSON.stringify(error)}`).not.toContain(secret)
      }
    }))

  it.effect("good options resolve their defaults into the settings", () =>
    Effect.gen(function* () {
      const settings = yield* validate({
        url: "https://engine.example.com/ovirt-engine/api/",
        username: "admin@internal",
        password: "p4ss",
        timeout: Duration.minutes(2),
        connectTimeout: "3 seconds",
        connections: 4,
        retryConflicts: Schedule.recurs(1)
      })
      expect(settings.url).toBe("https://engine.example.com/ovirt-engine/api")
      expect(Redacted.isRedacted(settings.password) && Redacted.value(settings.password)).toBe("p4ss")
      expect(settings.timeoutMillis).toBe(120_000)
      expect(settings.http).toMatchObject({ connectTimeoutMillis: 3_000, connections: 4, pipelining: 1, compress: true, insecure: false })
      expect(settings.ssoUrl).toBe("https://engine.example.com/ovirt-engine/sso/oauth/token")
      expect(settings.ssoRevokeUrl).toBe("https://engine.example.com/ovirt-engine/services/sso-logout")
      expect([settings.ssoTokenName, settings.logoutOnClose, settings.tracePropagation]).toEqual(["access_token", true, true])
      expect(Schedule.isSchedule(settings.retryConflicts)).toBe(true)
      // retry: a Schedule is taken as given (not read as the numeric form); false or 0 times is none
      const twice = Schedule.recurs(2)
      expect((yield* validate({ ...base, retry: twice })).retry).toBe(twice)
      expect(Schedule.isSchedule(settings.retry)).toBe(true)
      expect((yield* validate({ ...base, retry: false })).retry).toBeUndefined()
      expect((yield* validate({ ...base, retry: { times: 0 } })).retry).toBeUndefined()
      // no limit: Duration.infinity, or leaving it out
      expect((yield* validate({ ...base, timeout: Duration.infinity })).timeoutMillis).toBeUndefined()
      expect((yield* validate({ ...base, kerberos: true })).ssoUrl).toBe("https://e/ovirt-engine/sso/oauth/token-http-auth")
    }))
})
