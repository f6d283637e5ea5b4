// The benchmark's engine stand-in: an HTTPS server in its own process (so it has its own core) that
// answers every request with the same XML document. Usage: node bench/httpServer.mjs DIR, where DIR holds
// key.pem, cert.pem and body.xml; prints the port on stdout when listening.
import * as fs from "node:fs"
import * as https from "node:https"
import * as path from "node:path"

const dir = process.argv[2]
const body = fs.readFileSync(path.join(dir, "body.xml"))
const server = https.createServer(
  { key: fs.readFileSync(path.join(dir, "key.pem")), cert: fs.readFileSync(path.join(dir, "cert.pem")), keepAliveTimeout: 30_000 },
  (req, res) => {
    req.resume()
    req.on("end", () => {
      res.writeHead(200, { "content-type": "application/xml", "content-length": body.length })
      res.end(body)
    })
  }
)
server.listen(0, "127.0.0.1", () => process.stdout.write(`${server.address().port}\n`))
process.on("SIGTERM", () => process.exit(0))
