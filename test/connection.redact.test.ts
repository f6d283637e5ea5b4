/** Redaction of secrets in headers, SSO forms and answers, XML bodies and queries. */
import { describe, expect, it } from "@effect/vitest"
import * as Redact from "../src/core/internal/Redact.js"

describe("Redact", () => {
  it("hides secret headers and keeps the others", () => {
    expect(Redact.headers({ Authorization: "Bearer abc", "X-Auth-Token": "t", Cookie: "c", Version: "4", "Set-Cookie": "s" })).toEqual({
      Authorization: "<redacted>",
      "X-Auth-Token": "<redacted>",
      Cookie: "<redacted>",
      Version: "4",
      "Set-Cookie": "<redacted>"
    })
  })

  it("hides the password and token fields of SSO forms", () => {
    expect(Redact.form("grant_type=password&scope=ovirt-app-api&username=admin%40internal&password=p%26w")).toBe(
      "grant_type=password&scope=ovirt-app-api&username=admin%40internal&password=<redacted>"
    )
    expect(Redact.form("scope=ovirt-app-api&token=abc.def")).toBe("scope=ovirt-app-api&token=<redacted>")
  })

  it("hides token values in JSON answers, also in one-element arrays and under a custom name", () => {
    const text = JSON.stringify({ access_token: "a\"b", id_token: ["x"], scope: "ovirt-app-api", token_type: "bearer", sso: "s" })
    const out = Redact.json(text, ["sso"])
    expect(out).not.toContain("a\\\"b")
    expect(out).not.toContain('"x"')
    expect(out).not.toContain('"s"')
    expect(out).toContain('"scope":"ovirt-app-api"')
    expect(out).toContain('"token_type":"bearer"')
  })

  it("hides password elements in XML bodies", () => {
    expect(Redact.xml("<host><name>h</name><root_password>hunter2</root_password><ssh><password a=\"1\">x</password></ssh></host>")).toBe(
      "<host><name>h</name><root_password><redacted></root_password><ssh><password a=\"1\"><redacted></password></ssh></host>"
    )
  })

  it("hides secret query parameters", () => {
    expect(Redact.pathWithQuery("vms?search=name%3Da&password=x")).toBe("vms?search=name%3Da&password=<redacted>")
    expect(Redact.pathWithQuery("vms/1")).toBe("vms/1")
  })

  it("scrubs known secret values anywhere, raw or URL-encoded", () => {
    const scrubber = new Redact.Scrubber()
    scrubber.add("p&ss w0rd")
    scrubber.add("ab") // too short to scrub without damaging ordinary text
    expect(scrubber.scrub("x p&ss w0rd y p%26ss%20w0rd about")).toBe("x <redacted> y <redacted> about")
  })

  it("scrubs the form-encoded, JSON-escaped and XML-escaped shapes too", () => {
    const scrubber = new Redact.Scrubber()
    scrubber.add("a b!'()~\"")
    expect(scrubber.scrub("form a+b%21%27%28%29%7E%22 json a b!'()~\\\" xml a b!&apos;()~&quot; end")).toBe(
      "form <redacted> json <redacted> xml <redacted> end")
  })

  it("leaves a form with a malformed escape in a name as it is, instead of failing", () => {
    expect(Redact.form("a%zz=1&password=x")).toBe("a%zz=1&password=<redacted>")
  })

  it("hides secrets a failure's text carries by their shape: credentials, URL passwords, secret parameters, tickets", () => {
    const text = Redact.text(
      `Authorization: Bearer eyJ.abc-1 then Basic dXNlcjpwYXNz at http://proxyuser:s3cr3t@proxy:3128/x?access_token=t0k&max=5 ` +
        `from https://host:54322/images/0f1e2d3c-ticket and {"password":"pw1"}`
    )
    for (const secret of ["eyJ.abc-1", "dXNlcjpwYXNz", "s3cr3t", "t0k", "0f1e2d3c-ticket", "pw1"]) expect(text).not.toContain(secret)
    expect(text).toContain("http://proxyuser:<redacted>@proxy:3128/x?access_token=<redacted>&max=5")
    expect(Redact.text("connect ECONNREFUSED 127.0.0.1:443 (GET vms?search=name%3Dweb)")).toBe("connect ECONNREFUSED 127.0.0.1:443 (GET vms?search=name%3Dweb)")
  })

  it("copies a failure as a cause: code in the name, chain and AggregateError errors scrubbed, a looping chain bounded", () => {
    const inner = Object.assign(new Error("socket hang up for hunter22"), { code: "ECONNRESET" })
    const aggregate = new AggregateError([Object.assign(new Error("connect ECONNREFUSED ::1:443"), { code: "ECONNREFUSED" })], "all failed", { cause: inner })
    const copy = Redact.failure(aggregate, (t) => t.split("hunter22").join("<redacted>"))
    expect(copy.name).toBe("AggregateError")
    const cause = copy.cause as Error & { code?: string }
    expect([cause.name, cause.message, cause.code]).toEqual(["Error [ECONNRESET]", "socket hang up for <redacted>", "ECONNRESET"])
    expect(cause.stack?.split("\n")[0]).toBe("Error [ECONNRESET]: socket hang up for <redacted>")
    expect(cause.stack).not.toContain("hunter22")
    // the code is in the message already: the name stays as it was
    expect(((copy as unknown as { errors: ReadonlyArray<Error> }).errors)[0]?.name).toBe("Error")
    const looping = new Error("loop")
    ;(looping as { cause?: unknown }).cause = looping
    let depth = 0
    for (let at: unknown = Redact.failure(looping); at instanceof Error; at = at.cause) depth++
    expect(depth).toBe(6)
    expect(Redact.failure("a string for hunter22", (t) => t.replace("hunter22", "<redacted>")).message).toBe("a string for <redacted>")
  })
})
