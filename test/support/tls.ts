/** What a TLS server really serves, seen from a client. */
import * as tls from "node:tls"

/** The SHA-256 fingerprint of the certificate served at `url`, trusting `ca`. */
export const servedFingerprint = (url: string, ca: string): Promise<string> => {
  const { hostname, port } = new URL(url)
  return new Promise<string>((resolve, reject) => {
    const socket = tls.connect({ host: hostname, port: Number(port), ca }, () => {
      resolve(socket.getPeerX509Certificate()!.fingerprint256)
      socket.end()
    })
    socket.on("error", reject)
  })
}
