/**
 * The engine's SSO service: `POST /ovirt-engine/sso/oauth/token` with the password grant answers
 * JSON with an `access_token`; bad credentials get one of the two JSON error shapes the engine has
 * used (`{error_code, error}` from the SSO servlet, `{error, error_description}` from OAuth);
 * `/ovirt-engine/services/sso-logout` revokes. Tokens live `lifetimeSeconds` and can all be expired
 * at once (a fault knob), which is how the SDK's transparent re-login is tested.
 */
import * as crypto from "node:crypto"

export type SsoErrorShape = "sso" | "oauth"

export interface SsoAnswer {
  readonly status: number
  readonly json: Readonly<Record<string, string>>
}

export class Sso {
  private readonly tokens = new Map<string, number>()
  /** Tokens issued and revoked so far (tests check that closing a connection revokes its token). */
  issued = 0
  revoked = 0

  constructor(
    readonly username: string,
    readonly password: string,
    public lifetimeSeconds: number,
    public errorShape: SsoErrorShape,
    private readonly now: () => number
  ) {}

  /**
   * The token endpoint, given the form fields and the `Accept` header of the request. Like the
   * engine's SsoUtils.validateClientAcceptHeader, `Accept` must be exactly `application/json`: the
   * whole header is compared as a string, so `application/json, text/plain, *\/*` is refused.
   */
  token(form: URLSearchParams, accept: string | undefined): SsoAnswer {
    if (accept !== "application/json") return this.error("invalid_request", "Missing parameter: 'Accept Header'")
    const grant = form.get("grant_type")
    if (grant !== "password") {
      return {
        status: 400,
        json: { error: "unsupported_grant_type", error_description: `The grant type '${grant ?? ""}' is not supported.` }
      }
    }
    const user = form.get("username") ?? ""
    if (user !== this.username || form.get("password") !== this.password) {
      return this.error("access_denied", `Cannot authenticate user '${user}': The username or password is incorrect..`)
    }
    const token = crypto.randomBytes(32).toString("base64url")
    const expires = this.now() + this.lifetimeSeconds * 1000
    this.tokens.set(token, expires)
    this.issued++
    return {
      status: 200,
      json: {
        access_token: token,
        scope: form.get("scope") ?? "ovirt-app-api",
        exp: String(expires),
        token_type: "bearer"
      }
    }
  }

  /** An error in the shape this SSO service answers with. */
  private error(code: string, message: string): SsoAnswer {
    return this.errorShape === "sso"
      ? { status: 400, json: { error_code: code, error: message } }
      : { status: 400, json: { error: code, error_description: message } }
  }

  valid(token: string): boolean {
    const expires = this.tokens.get(token)
    return expires !== undefined && expires > this.now()
  }

  /** Whether HTTP basic credentials are the simulator's (the API accepts them too). */
  basic(encoded: string): boolean {
    const text = Buffer.from(encoded, "base64").toString("utf8")
    const colon = text.indexOf(":")
    return colon > 0 && text.slice(0, colon) === this.username && text.slice(colon + 1) === this.password
  }

  revoke(token: string): boolean {
    const had = this.tokens.delete(token)
    if (had) this.revoked++
    return had
  }

  /** Expires every token issued so far (fault knob). */
  expireAll(): void {
    for (const token of this.tokens.keys()) this.tokens.set(token, 0)
  }

  /** Tokens still valid now. */
  active(): number {
    const now = this.now()
    let n = 0
    for (const expires of this.tokens.values()) if (expires > now) n++
    return n
  }
}
