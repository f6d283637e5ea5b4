/**
 * The engine's pages outside the API that clients rely on: the welcome page at `/ovirt-engine/`
 * (clients fetch it to check they reached an oVirt engine) and the PKI resource servlet at
 * `/ovirt-engine/services/pki-resource`, which hands out the CA certificate (and the engine's own)
 * in the formats of ovirt-engine's PKIResourceServlet: `X509-PEM-CA`, `X509-PEM`, `OPENSSH-PUBKEY`.
 */
import * as crypto from "node:crypto"

export interface PortalAnswer {
  readonly status: number
  readonly type: string
  readonly body: string
  readonly headers?: Readonly<Record<string, string>>
}

/** The welcome page, as the engine's WelcomeServlet renders it (title, product, the portals' links). */
export const welcomePage = (version: string): PortalAnswer => ({
  status: 200,
  type: "text/html;charset=UTF-8",
  body: `<!DOCTYPE html>
<html>
<head>
    <meta charset="utf-8">
    <meta http-equiv="X-UA-Compatible" content="IE=edge">
    <meta name="viewport" content="width=device-width, initial-scale=1.0">
    <title>oVirt Engine</title>
</head>
<body class="pf-c-page ovirt-container">
    <main class="pf-c-page__main">
        <section class="pf-c-page__main-section welcome-section">
            <div class="obrand_welcomePageVersionText">oVirt Engine ${version}</div>
            <div class="welcome-title">Welcome to oVirt Engine</div>
            <ul class="welcome-links">
                <li><a href="/ovirt-engine/webadmin/?locale=en_US">Administration Portal</a></li>
                <li><a href="/ovirt-engine/web-ui/?locale=en_US">VM Portal</a></li>
                <li><a href="/ovirt-engine/api">REST API</a></li>
                <li><a href="/ovirt-engine/services/pki-resource?resource=ca-certificate&amp;format=X509-PEM-CA">Engine CA Certificate</a></li>
            </ul>
        </section>
    </main>
</body>
</html>
`
})

/** `/ovirt-engine` redirects to the context root with its slash, as the servlet container does. */
export const contextRedirect = (): PortalAnswer => ({
  status: 302,
  type: "text/html;charset=UTF-8",
  body: "",
  headers: { Location: "/ovirt-engine/" }
})

const badRequest = (message: string): PortalAnswer => ({
  status: 400,
  type: "text/html;charset=UTF-8",
  body: `<html><head><title>Error</title></head><body>${message}</body></html>`
})

/** One certificate as the engine's formatPEM writes it: base64 in lines of 76, each ended by `\n`. */
const pem = (der: Buffer): string => {
  const b64 = der.toString("base64")
  let lines = ""
  for (let i = 0; i < b64.length; i += 76) lines += `${b64.slice(i, i + 76)}\n`
  return `-----BEGIN CERTIFICATE-----\n${lines}-----END CERTIFICATE-----\n`
}

/** An SSH public key line (`ssh-rsa AAAA... alias`) for the certificate's RSA or EC key. */
const openSsh = (cert: crypto.X509Certificate, alias: string | null): string => {
  const key = cert.publicKey
  const field = (b: Buffer) => {
    const len = Buffer.alloc(4)
    len.writeUInt32BE(b.length)
    return Buffer.concat([len, b])
  }
  const mpint = (b64url: string) => {
    let b = Buffer.from(b64url, "base64url")
    if (b[0] & 0x80) b = Buffer.concat([Buffer.from([0]), b])
    return field(b)
  }
  const jwk = key.export({ format: "jwk" })
  let type: string
  let blob: Buffer
  if (jwk.kty === "RSA") {
    type = "ssh-rsa"
    blob = Buffer.concat([field(Buffer.from(type)), mpint(jwk.e!), mpint(jwk.n!)])
  } else {
    const curve = jwk.crv === "P-384" ? "nistp384" : jwk.crv === "P-521" ? "nistp521" : "nistp256"
    type = `ecdsa-sha2-${curve}`
    const point = Buffer.concat([Buffer.from([4]), Buffer.from(jwk.x!, "base64url"), Buffer.from(jwk.y!, "base64url")])
    blob = Buffer.concat([field(Buffer.from(type)), field(Buffer.from(curve)), field(point)])
  }
  return `${type} ${blob.toString("base64")}${alias ? ` ${alias}` : ""}\n`
}

const FORMATS: ReadonlyMap<string, { readonly type: string; readonly write: (cert: crypto.X509Certificate, alias: string | null) => string }> = new Map([
  ["X509-PEM-CA", { type: "application/x-x509-ca-cert", write: (c: crypto.X509Certificate) => pem(c.raw) }],
  ["X509-PEM", { type: "application/x-x509-cert", write: (c: crypto.X509Certificate) => pem(c.raw) }],
  ["OPENSSH-PUBKEY", { type: "text/plain", write: openSsh }]
])

/**
 * The PKI resource servlet: `resource` is `ca-certificate` (default format X509-PEM-CA) or
 * `engine-certificate` (default X509-PEM); an unknown resource or format is a 400 with the
 * servlet's message. `certificates` are the CA and the server certificate (PEM).
 */
export const pkiResource = (query: URLSearchParams, certificates: { readonly ca: string; readonly engine: string } | undefined): PortalAnswer => {
  const resource = query.get("resource")
  const format = query.get("format")
  if (resource === null) return badRequest("Missing resource name")
  const source = resource === "ca-certificate" ? certificates?.ca : resource === "engine-certificate" ? certificates?.engine : undefined
  if (resource !== "ca-certificate" && resource !== "engine-certificate") return badRequest(`Resource '${resource}' is invalid`)
  const chosen = FORMATS.get(format ?? (resource === "ca-certificate" ? "X509-PEM-CA" : "X509-PEM"))
  if (chosen === undefined) return badRequest(`Format '${format}' is invalid`)
  // Plain HTTP (no certificates): there is nothing to hand out.
  if (source === undefined || source === "") return { status: 404, type: "text/html;charset=UTF-8", body: "<html><body>Not Found</body></html>" }
  const cert = new crypto.X509Certificate(source)
  return { status: 200, type: chosen.type, body: chosen.write(cert, query.get("alias")) }
}
