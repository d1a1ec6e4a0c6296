/** `parley start` with PARLEY_TLS_CERT / PARLEY_TLS_KEY: serves HTTPS; SIGHUP reloads a renewed certificate; SIGTERM still stops it cleanly. */
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import { httpsPeek, renewableCert } from "@parley/server/testing/tls";
import { startParley, tempDir } from "./testing/spawn-cli.ts";

test("parley start serves TLS and reloads the certificate on SIGHUP", { timeout: 90_000 }, async () => {
  const { dir, first, renewed, live, install } = renewableCert();
  const server = await startParley(["--data-dir", tempDir("tls")], { PARLEY_TLS_CERT: live.cert, PARLEY_TLS_KEY: live.key });
  try {
    assert.match(server.url, /^https:\/\//);
    assert.equal((await httpsPeek(`${server.url}/healthz`, first.pem)).cn, "first");
    install(renewed);
    process.kill(server.child.pid!, "SIGHUP");
    for (const end = Date.now() + 10_000; !server.stderr().includes("TLS certificate reloaded"); await new Promise((r) => setTimeout(r, 100))) {
      if (Date.now() > end) assert.fail(`no reload after SIGHUP:\n${server.stderr()}`);
    }
    assert.equal((await httpsPeek(`${server.url}/healthz`, [first.pem, renewed.pem])).cn, "renewed");
    assert.equal(await server.stop("SIGTERM"), 0);
  } finally {
    await server.stop("SIGKILL");
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
