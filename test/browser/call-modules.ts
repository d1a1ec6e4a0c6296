/**
 * Serves the web app's call modules to a test page as they are: a small server on 127.0.0.1
 * strips their TypeScript types (node:module) and maps @parley/crypto/sframe to the crypto
 * sources, so call tests run the real SFrame worker and transforms without a build.
 */
import http from "node:http";
import fs from "node:fs";
import path from "node:path";
import { stripTypeScriptTypes } from "node:module";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const MOUNTS: Record<string, string> = { "/web/": "packages/web/src/", "/crypto/": "packages/crypto/src/" };

/** An empty page at / and the modules under /web/ and /crypto/. */
export function serveModules(port: number): Promise<http.Server> {
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://x");
    if (url.pathname === "/") {
      res.writeHead(200, { "content-type": "text/html" }).end("<!doctype html><title>sframe</title><body></body>");
      return;
    }
    const mount = Object.keys(MOUNTS).find((m) => url.pathname.startsWith(m));
    const file = mount && path.join(ROOT, MOUNTS[mount]!, url.pathname.slice(mount.length));
    if (!file || !file.endsWith(".ts") || file.includes("..") || !fs.existsSync(file)) {
      res.writeHead(404).end();
      return;
    }
    const js = stripTypeScriptTypes(fs.readFileSync(file, "utf8")).replaceAll('"@parley/crypto/sframe"', '"/crypto/sframe/index.ts"');
    res.writeHead(200, { "content-type": "text/javascript" }).end(js);
  });
  return new Promise((resolve) => server.listen(port, "127.0.0.1", () => resolve(server)));
}
