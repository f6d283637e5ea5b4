/**
 * Throwaway TLS certificates for the simulator and the tests: a CA and a server certificate signed by
 * it, made at run time with node:crypto only. X.509 v3 is written by a tiny DER encoder below (the
 * few ASN.1 types a certificate needs) and signed with `crypto.sign`.
 */
import * as crypto from "node:crypto"
import * as net from "node:net"

export interface CertificateAuthority {
  /** The CA certificate (PEM): what a client trusts (`caFile` / `caCerts`). */
  readonly caPem: string
  /** The CA's private key (PKCS#8 PEM). */
  readonly caKeyPem: string
}

export interface Certificates extends CertificateAuthority {
  /** The server certificate (PEM), for the hosts asked for. */
  readonly certPem: string
  /** The server's private key (PKCS#8 PEM). */
  readonly keyPem: string
}

export interface CertificateOptions {
  /** DNS names and IP addresses (v4 or v6) for subjectAltName. Default: `localhost`, `127.0.0.1`, `::1`. */
  readonly hosts?: ReadonlyArray<string>
  /** Subject common name of the server certificate. Default: the first host. */
  readonly commonName?: string
  /** Start of the server certificate's validity. Default: one hour ago (tolerates clock skew). */
  readonly notBefore?: Date
  /** End of the server certificate's validity. Default: `days` after now. */
  readonly notAfter?: Date
  /** Validity of the server certificate in days when `notAfter` is absent. Default 30. */
  readonly days?: number
  /** Make a certificate that has already expired (validity ended yesterday). */
  readonly expired?: boolean
  /** Sign with this CA instead of making a new one (each call otherwise makes a new, unrelated CA). */
  readonly ca?: CertificateAuthority
  /** CA common name when a new CA is made. Default `effect-ovirt test CA <random>`. */
  readonly caName?: string
  /** Key algorithm. Default `ec` (P-256: fast to make); `rsa` makes 2048-bit RSA keys. */
  readonly keyType?: "ec" | "rsa"
}

/** A CA certificate and key: `makeCertificates({ ca })` issues server certificates from it. */
export const makeCertificateAuthority = (
  options: Pick<CertificateOptions, "caName" | "keyType"> & { readonly days?: number } = {}
): CertificateAuthority => {
  const keyType = options.keyType ?? "ec"
  const keys = generateKeys(keyType)
  const name = encodeName(options.caName ?? `effect-ovirt test CA ${crypto.randomBytes(4).toString("hex")}`)
  const spki = keys.publicKey.export({ type: "spki", format: "der" })
  const keyId = subjectKeyId(spki)
  const now = Date.now()
  const der = signCertificate({
    issuer: name,
    subject: name,
    notBefore: new Date(now - HOUR),
    notAfter: new Date(now + (options.days ?? 3650) * DAY),
    spki,
    extensions: [
      extension(OID.basicConstraints, true, seq(bool(true))),
      extension(OID.keyUsage, true, keyUsageBits([KU.digitalSignature, KU.keyCertSign, KU.cRLSign])),
      extension(OID.subjectKeyIdentifier, false, octets(keyId))
    ],
    signer: keys.privateKey,
    issuerKeyId: keyId
  })
  return { caPem: toPem("CERTIFICATE", der), caKeyPem: privatePem(keys.privateKey) }
}

/**
 * A CA (new unless `options.ca` is given) and a server certificate for `options.hosts`, all PEM.
 * `expired: true` or `notAfter` in the past gives an expired server certificate; two calls without
 * `ca` give unrelated CAs (for a wrong-CA test).
 */
export const makeCertificates = (options: CertificateOptions = {}): Certificates => {
  const keyType = options.keyType ?? "ec"
  const ca = options.ca ?? makeCertificateAuthority(
    options.caName === undefined ? { keyType } : { keyType, caName: options.caName }
  )
  const caKey = crypto.createPrivateKey(ca.caKeyPem)
  const caDer = fromPem(ca.caPem)
  const caSubject = subjectOf(caDer)
  const caKeyId = subjectKeyId(crypto.createPublicKey(caKey).export({ type: "spki", format: "der" }))

  const hosts = options.hosts ?? ["localhost", "127.0.0.1", "::1"]
  if (hosts.length === 0) throw new Error("makeCertificates: `hosts` must name at least one DNS name or IP")
  const now = Date.now()
  const notAfter = options.expired
    ? new Date(now - DAY)
    : options.notAfter ?? new Date(now + (options.days ?? 30) * DAY)
  const notBefore = options.notBefore ?? new Date(Math.min(now - HOUR, notAfter.getTime() - 30 * DAY))

  const keys = generateKeys(keyType)
  const spki = keys.publicKey.export({ type: "spki", format: "der" })
  const der = signCertificate({
    issuer: caSubject,
    subject: encodeName(options.commonName ?? hosts[0]!),
    notBefore,
    notAfter,
    spki,
    extensions: [
      extension(OID.basicConstraints, true, seq()),
      extension(OID.keyUsage, true, keyUsageBits([KU.digitalSignature, KU.keyEncipherment])),
      extension(OID.extKeyUsage, false, seq(oid(OID.serverAuth), oid(OID.clientAuth))),
      extension(OID.subjectAltName, false, seq(...hosts.map(generalName))),
      extension(OID.subjectKeyIdentifier, false, octets(subjectKeyId(spki)))
    ],
    signer: caKey,
    issuerKeyId: caKeyId
  })
  return { ...ca, certPem: toPem("CERTIFICATE", der), keyPem: privatePem(keys.privateKey) }
}

// ---------------------------------------------------------------------------------------------
// Certificate assembly

const HOUR = 3_600_000
const DAY = 24 * HOUR

const OID = {
  ecPublicKey: "1.2.840.10045.2.1",
  ecdsaWithSha256: "1.2.840.10045.4.3.2",
  sha256WithRsa: "1.2.840.113549.1.1.11",
  commonName: "2.5.4.3",
  organization: "2.5.4.10",
  basicConstraints: "2.5.29.19",
  keyUsage: "2.5.29.15",
  extKeyUsage: "2.5.29.37",
  subjectAltName: "2.5.29.17",
  subjectKeyIdentifier: "2.5.29.14",
  authorityKeyIdentifier: "2.5.29.35",
  serverAuth: "1.3.6.1.5.5.7.3.1",
  clientAuth: "1.3.6.1.5.5.7.3.2"
} as const

/** keyUsage bit numbers (bit 0 is the most significant bit of the first byte). */
const KU = { digitalSignature: 0, keyEncipherment: 2, keyCertSign: 5, cRLSign: 6 } as const

interface CertificateInput {
  readonly issuer: Buffer
  readonly subject: Buffer
  readonly notBefore: Date
  readonly notAfter: Date
  readonly spki: Buffer
  readonly extensions: ReadonlyArray<Buffer>
  readonly signer: crypto.KeyObject
  readonly issuerKeyId: Buffer
}

const signCertificate = (input: CertificateInput): Buffer => {
  const algorithm = input.signer.asymmetricKeyType === "rsa"
    ? seq(oid(OID.sha256WithRsa), nul())
    : seq(oid(OID.ecdsaWithSha256))
  const tbs = seq(
    tlv(0xa0, integer(Buffer.from([2]))), // [0] EXPLICIT version v3
    integer(serialNumber()),
    algorithm,
    input.issuer,
    seq(time(input.notBefore), time(input.notAfter)),
    input.subject,
    input.spki,
    tlv(0xa3, seq(
      ...input.extensions,
      extension(OID.authorityKeyIdentifier, false, seq(tlv(0x80, input.issuerKeyId)))
    ))
  )
  // ECDSA signatures come out DER-encoded (Node's default dsaEncoding), as X.509 wants them.
  const signature = crypto.sign("sha256", tbs, input.signer)
  return seq(tbs, algorithm, bitString(signature))
}

const generateKeys = (keyType: "ec" | "rsa"): crypto.KeyPairKeyObjectResult =>
  keyType === "rsa"
    ? crypto.generateKeyPairSync("rsa", { modulusLength: 2048 })
    : crypto.generateKeyPairSync("ec", { namedCurve: "prime256v1" })

const privatePem = (key: crypto.KeyObject): string => key.export({ type: "pkcs8", format: "pem" }).toString()

const encodeName = (commonName: string): Buffer =>
  seq(
    set(seq(oid(OID.organization), utf8("effect-ovirt"))),
    set(seq(oid(OID.commonName), utf8(commonName)))
  )

const extension = (id: string, critical: boolean, value: Buffer): Buffer =>
  critical ? seq(oid(id), bool(true), octets(value)) : seq(oid(id), octets(value))

const generalName = (host: string): Buffer => {
  const family = net.isIP(host)
  if (family === 4) return tlv(0x87, Buffer.from(host.split(".").map(Number)))
  if (family === 6) return tlv(0x87, ipv6Bytes(host))
  return tlv(0x82, Buffer.from(host, "ascii")) // dNSName, IA5String
}

const ipv6Bytes = (address: string): Buffer => {
  const [head = "", tail] = address.split("::")
  const parse = (part: string) => (part === "" ? [] : part.split(":").map((group) => parseInt(group, 16)))
  const left = parse(head)
  const right = tail === undefined ? [] : parse(tail)
  const groups = [...left, ...Array(8 - left.length - right.length).fill(0), ...right]
  const bytes = Buffer.alloc(16)
  groups.forEach((group, i) => bytes.writeUInt16BE(group, i * 2))
  return bytes
}

const keyUsageBits = (bits: ReadonlyArray<number>): Buffer => {
  const value = bits.reduce((acc, bit) => acc | (0x80 >> bit), 0)
  let unused = 0
  while (unused < 7 && ((value >> unused) & 1) === 0) unused++
  return tlv(0x03, Buffer.from([unused, value]))
}

const subjectKeyId = (spki: Buffer): Buffer => crypto.createHash("sha1").update(spki).digest()

const serialNumber = (): Buffer => {
  const bytes = crypto.randomBytes(16)
  bytes[0] = (bytes[0]! & 0x7f) | 0x01 // positive and without a leading zero byte
  return bytes
}

// ---------------------------------------------------------------------------------------------
// DER: just the types a certificate uses

const tlv = (tag: number, content: Buffer): Buffer => Buffer.concat([Buffer.from([tag]), length(content.length), content])

const length = (n: number): Buffer => {
  if (n < 0x80) return Buffer.from([n])
  const bytes: Array<number> = []
  for (let rest = n; rest > 0; rest = Math.floor(rest / 256)) bytes.unshift(rest & 0xff)
  return Buffer.from([0x80 | bytes.length, ...bytes])
}

const seq = (...items: ReadonlyArray<Buffer>): Buffer => tlv(0x30, Buffer.concat(items))
const set = (...items: ReadonlyArray<Buffer>): Buffer => tlv(0x31, Buffer.concat(items))
const bool = (value: boolean): Buffer => tlv(0x01, Buffer.from([value ? 0xff : 0]))
const nul = (): Buffer => Buffer.from([0x05, 0x00])
const octets = (value: Buffer): Buffer => tlv(0x04, value)
const utf8 = (value: string): Buffer => tlv(0x0c, Buffer.from(value, "utf8"))
const bitString = (value: Buffer): Buffer => tlv(0x03, Buffer.concat([Buffer.from([0]), value]))

const integer = (value: Buffer): Buffer => {
  let start = 0
  while (start < value.length - 1 && value[start] === 0 && (value[start + 1]! & 0x80) === 0) start++
  const trimmed = value.subarray(start)
  return tlv(0x02, (trimmed[0]! & 0x80) !== 0 ? Buffer.concat([Buffer.from([0]), trimmed]) : trimmed)
}

const oid = (dotted: string): Buffer => {
  const parts = dotted.split(".").map(Number)
  const bytes: Array<number> = [parts[0]! * 40 + parts[1]!]
  for (const part of parts.slice(2)) {
    const chunk: Array<number> = [part & 0x7f]
    for (let rest = Math.floor(part / 128); rest > 0; rest = Math.floor(rest / 128)) chunk.unshift((rest & 0x7f) | 0x80)
    bytes.push(...chunk)
  }
  return tlv(0x06, Buffer.from(bytes))
}

/** UTCTime for 1950–2049, GeneralizedTime otherwise (RFC 5280 4.1.2.5). */
const time = (date: Date): Buffer => {
  const iso = date.toISOString() // 2026-11-26T17:30:47.123Z
  const digits = iso.slice(0, 19).replace(/[-:T]/g, "") + "Z" // 20261126173047Z
  const year = date.getUTCFullYear()
  return year >= 1950 && year < 2050
    ? tlv(0x17, Buffer.from(digits.slice(2), "ascii"))
    : tlv(0x18, Buffer.from(digits, "ascii"))
}

const toPem = (label: string, der: Buffer): string =>
  `-----BEGIN ${label}-----\n${der.toString("base64").replace(/(.{64})/g, "$1\n").replace(/\n$/, "")}\n-----END ${label}-----\n`

const fromPem = (pem: string): Buffer => {
  const match = /-----BEGIN CERTIFICATE-----([\s\S]+?)-----END CERTIFICATE-----/.exec(pem)
  if (match === null) throw new Error("makeCertificates: `ca.caPem` holds no PEM certificate")
  return Buffer.from(match[1]!.replace(/\s+/g, ""), "base64")
}

/** The raw subject Name of a DER certificate: the issuer of what it signs must be the same bytes. */
const subjectOf = (der: Buffer): Buffer => {
  const certificate = readTlv(der, 0)
  const tbs = readTlv(der, certificate.contentStart)
  let offset = tbs.contentStart
  const first = readTlv(der, offset)
  if (der[offset] === 0xa0) offset = first.end // skip the explicit version
  // serialNumber, signature, issuer, validity, then subject
  for (let i = 0; i < 4; i++) offset = readTlv(der, offset).end
  return der.subarray(offset, readTlv(der, offset).end)
}

const readTlv = (der: Buffer, offset: number): { readonly contentStart: number; readonly end: number } => {
  const first = der[offset + 1]!
  if (first < 0x80) return { contentStart: offset + 2, end: offset + 2 + first }
  const count = first & 0x7f
  let size = 0
  for (let i = 0; i < count; i++) size = size * 256 + der[offset + 2 + i]!
  return { contentStart: offset + 2 + count, end: offset + 2 + count + size }
}
