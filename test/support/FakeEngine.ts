/**
 * A minimal engine for the Connection tests: the SSO token and logout endpoints and an API whose
 * answers each test scripts. Tokens are `token-1`, `token-2`, ... in the order they are issued.
 */
import type * as http from "node:http"
import { Effect, type Scope } from "effect"
import type { Certificates } from "../../src/simulator/Certificates.js"
import { type RecordedRequest, sendJson, sendXml, startServer, type TestServer } from "./TestServer.js"

export const USERNAME = "admin@internal"
export const PASSWORD = "pässw0rd&=secret"

export type ApiHandler = (request: RecordedRequest, response: http.ServerResponse, engine: FakeEngine) => unknown

export interface FakeEngineOptions {
  readonly api?: ApiHandler
  /** Replaces the SSO token endpoint's answer. */
  readonly sso?: (request: RecordedRequest, response: http.ServerResponse, engine: FakeEngine) => unknown
  readonly logout?: (request: RecordedRequest, response: http.ServerResponse) => unknown
  readonly certificates?: Certificates
  /** Path of the API root. Default `/ovirt-engine/api`. */
  readonly apiPath?: string
}

export interface FakeEngine {
  readonly server: TestServer
  /** `https://127.0.0.1:PORT/ovirt-engine/api` */
  readonly url: string
  readonly caPem: string
  readonly ssoRequests: () => ReadonlyArray<RecordedRequest>
  readonly logoutRequests: () => ReadonlyArray<RecordedRequest>
  readonly apiRequests: () => ReadonlyArray<RecordedRequest>
  /** Tokens the engine currently accepts. */
  readonly validTokens: Set<string>
  issued: number
  setApi(handler: ApiHandler): void
  close(): Promise<void>
}

export const API_ROOT_XML = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<api><product_info><name>oVirt Engine</name><version><major>4</major><minor>5</minor></version></product_info></api>`

/** The default API: 401 without a valid bearer token, the root document otherwise. */
export const defaultApi: ApiHandler = (request, response, engine) => {
  if (!engine.validTokens.has(bearerOf(request) ?? "")) return unauthorizedHtml(response)
  sendXml(response, 200, API_ROOT_XML)
}

export const bearerOf = (request: RecordedRequest): string | undefined =>
  /^Bearer (.+)$/.exec(String(request.headers.authorization ?? ""))?.[1]

export const unauthorizedHtml = (response: http.ServerResponse): void => {
  const body = "<html><head><title>Error</title></head><body>Unauthorized</body></html>"
  response.writeHead(401, { "content-type": "text/html;charset=UTF-8", "www-authenticate": "Bearer" })
  response.end(body)
}

export const startEngine = async (options: FakeEngineOptions = {}): Promise<FakeEngine> => {
  const apiPath = options.apiPath ?? "/ovirt-engine/api"
  let api = options.api ?? defaultApi
  const server = await startServer(
    (request, response) => {
      const path = request.url.split("?")[0]!
      if (path === "/ovirt-engine/sso/oauth/token") {
        if (options.sso !== undefined) return options.sso(request, response, engine)
        const token = `token-${++engine.issued}`
        engine.validTokens.add(token)
        return sendJson(response, 200, { access_token: token, scope: "ovirt-app-api", exp: "1790000000000", token_type: "bearer" })
      }
      if (path === "/ovirt-engine/services/sso-logout") {
        if (options.logout !== undefined) return options.logout(request, response)
        const token = new URLSearchParams(request.body).get("token") ?? ""
        engine.validTokens.delete(token)
        return sendJson(response, 200, {})
      }
      if (path === apiPath || path.startsWith(apiPath + "/")) return api(request, response, engine)
      response.writeHead(404, { "content-type": "text/html" })
      response.end("<html><body>Not Found</body></html>")
    },
    options.certificates === undefined ? {} : { certificates: options.certificates }
  )
  const byPath = (prefix: string) => () => server.requests.filter((r) => r.url.startsWith(prefix))
  const engine: FakeEngine = {
    server,
    url: `${server.origin}${apiPath}`,
    caPem: server.certificates.caPem,
    ssoRequests: byPath("/ovirt-engine/sso/oauth/token"),
    logoutRequests: byPath("/ovirt-engine/services/sso-logout"),
    apiRequests: byPath(apiPath),
    validTokens: new Set(),
    issued: 0,
    setApi: (handler) => {
      api = handler
    },
    close: () => server.close()
  }
  return engine
}

/** A FakeEngine for the current scope: started now, closed when the scope closes. */
export const fakeEngine = (options: FakeEngineOptions = {}): Effect.Effect<FakeEngine, never, Scope.Scope> =>
  Effect.acquireRelease(Effect.promise(() => startEngine(options)), (engine) => Effect.promise(() => engine.close()))
