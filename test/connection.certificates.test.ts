/**
 * The run-time certificates: Node's own X509 parser reads them, a real TLS handshake accepts the
 * server certificate with its CA, and refuses it with an unrelated CA, when expired, or for another host.
 */
import * as crypto from "node:crypto"
import * as https from "node:https"
import { describe, expect, it } from "@effect/vitest"
import { makeCertificateAuthority, makeCertificates } from "../src/simulator/Certificates.js"
import { startServer } from "./support/TestServer.js"

const handshake = (port: number, ca: string, servername?: string): Promise<string> =>
  new Promise((resolve) => {
    const req = https.request(
      { host: "127.0.0.1", port, path: "/", ca, agent: false, ...(servername ? { servername, headers: { host: servername } } : {}) },
      (res) => {
        res.resume()
        res.on("end", () => resolve(`ok ${res.statusCode}`))
      }
    )
    req.on("error", (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message))
    req.end()
  })

describe("Certificates", () => {
  it("makes a CA and a server certificate Node's X509 parser accepts", () => {
    const certs = makeCertificates({ hosts: ["localhost", "127.0.0.1", "::1", "engine.example.com"] })
    const ca = new crypto.X509Certificate(certs.caPem)
    const cert = new crypto.X509Certificate(certs.certPem)
    expect(ca.ca).toBe(true)
    expect(cert.ca).toBe(false)
    expect(cert.checkIssued(ca)).toBe(true)
    expect(cert.verify(ca.publicKey)).toBe(true)
    expect(cert.checkHost("engine.example.com")).toBe("engine.example.com")
    expect(cert.checkIP("127.0.0.1")).toBe("127.0.0.1")
    expect(cert.checkIP("::1")).toBe("::1")
    expect(cert.checkHost("other.example.com")).toBeUndefined()
    expect(cert.checkPrivateKey(crypto.createPrivateKey(certs.keyPem))).toBe(true)
    expect(new Date(cert.validTo).getTime()).toBeGreaterThan(Date.now())
  })

  it("makes RSA certificates too", () => {
    const certs = makeCertificates({ keyType: "rsa" })
    const cert = new crypto.X509Certificate(certs.certPem)
    expect(cert.publicKey.asymmetricKeyType).toBe("rsa")
    expect(cert.verify(new crypto.X509Certificate(certs.caPem).publicKey)).toBe(true)
  })

  it("issues from a given CA and makes expired certificates", () => {
    const ca = makeCertificateAuthority()
    const expired = makeCertificates({ ca, expired: true })
    const cert = new crypto.X509Certificate(expired.certPem)
    expect(expired.caPem).toBe(ca.caPem)
    expect(cert.checkIssued(new crypto.X509Certificate(ca.caPem))).toBe(true)
    expect(new Date(cert.validTo).getTime()).toBeLessThan(Date.now())
  })

  it("passes a real TLS handshake with its CA and fails it otherwise", async () => {
    const good = await startServer((_req, res) => res.end("hi"))
    const expired = await startServer((_req, res) => res.end("hi"), {
      certificates: makeCertificates({ ca: good.certificates, expired: true })
    })
    try {
      expect(await handshake(good.port, good.certificates.caPem)).toBe("ok 200")
      expect(await handshake(good.port, makeCertificates().caPem)).toBe("UNABLE_TO_VERIFY_LEAF_SIGNATURE")
      expect(await handshake(good.port, good.certificates.caPem, "engine.example.com")).toBe("ERR_TLS_CERT_ALTNAME_INVALID")
      expect(await handshake(expired.port, good.certificates.caPem)).toBe("CERT_HAS_EXPIRED")
    } finally {
      await good.close()
      await expired.close()
    }
  })
})
