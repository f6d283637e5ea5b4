/**
 * `debug: true`: every request and answer (method, url, status, headers, body) logged at Debug
 * through Effect's Logger, with `Authorization`, passwords and tokens redacted by name and every
 * known secret value scrubbed from the line as a last step.
 */
import { Effect, Logger, LogLevel } from "effect"
import type { ApiResponse, WireRequest } from "./Wire.js"
import * as Redact from "./Redact.js"

export type BodyKind = "xml" | "sso"

export const make = (settings: { readonly debug: boolean; readonly ssoTokenName: string }, scrubber: Redact.Scrubber) => {
  const body = (text: string, kind: BodyKind, type: string): string => {
    if (text === "") return ""
    const redacted = kind === "sso"
      ? /json/i.test(type) || /^\s*[[{]/.test(text) ? Redact.json(text, [settings.ssoTokenName]) : Redact.form(text)
      : Redact.xml(text)
    return `\n${redacted.length > 65_536 ? `${redacted.slice(0, 65_536)}… (${redacted.length} characters)` : redacted}`
  }
  // `debug: true` asks to see the wire: these lines pass even when the app's minimum level is Info
  const line = (text: string) =>
    Effect.logDebug(scrubber.scrub(text)).pipe(Effect.annotateLogs("ovirt", "http"), Logger.withMinimumLogLevel(LogLevel.Debug))
  return {
    /** `debug: true`: callers skip `request` and `response` otherwise (an Effect per call that does nothing costs). */
    enabled: settings.debug,
    request: (wire: WireRequest, kind: BodyKind): Effect.Effect<void> =>
      settings.debug
        ? Effect.suspend(() => line(`> ${wire.method} ${Redact.pathWithQuery(wire.url)} ${JSON.stringify(Redact.headers(wire.headers))}${
          body(wire.body ?? "", kind, wire.headers["Content-Type"] ?? "")}`))
        : Effect.void,
    response: (wire: WireRequest, answer: ApiResponse, kind: BodyKind): Effect.Effect<void> =>
      settings.debug
        ? Effect.suspend(() => line(`< ${answer.status} ${wire.method} ${Redact.pathWithQuery(wire.url)} ${JSON.stringify(Redact.headers(answer.headers))}${
          body(answer.body, kind, answer.headers["content-type"] ?? "")}`))
        : Effect.void
  }
}
