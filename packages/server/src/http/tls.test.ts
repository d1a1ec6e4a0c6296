/**
 * TLS in the server (PARLEY_TLS_CERT / PARLEY_TLS_KEY): HTTPS and WSS on the one port, a
 * renewed certificate served after reloadTls() without dropping the open socket, a bad pair
 * refused at start and on reload (the old pair stays), one file without the other refused.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import WebSocket from "ws";
import { WS_PATH } from "@parley/protocol";
import { startTestServer } from "../testing/harness.ts";
import { certDir, httpsPeek, makeCert, renewableCert } from "../testing/tls.ts";
import { ConfigError } from "../config/schema.ts";

test("TLS: HTTPS and WSS with the configured pair; reload serves a renewed certificate; a bad pair is refused", { timeout: 60_000 }, async () => {
  const { dir, first, renewed, live, install } = renewableCert();
  const server = await startTestServer({ config: { tlsCert: live.cert, tlsKey: live.key } });
  try {
    assert.match(server.url, /^https:\/\/127\.0\.0\.1:\d+$/);
    assert.deepEqual(await httpsPeek(`${server.url}/healthz`, first.pem), { status: 200, cn: "first" });
    // Plain HTTP on the TLS port gets no answer a client could mistake for the API.
    await assert.rejects(fetch(server.url.replace("https:", "http:") + "/healthz"));

    const ws = new WebSocket(server.url.replace("https:", "wss:") + WS_PATH, { ca: first.pem });
    await new Promise<void>((resolve, reject) => {
      ws.once("open", () => resolve());
      ws.once("error", reject);
    });

    // Renewed on disk, then reloaded: new connections get the new certificate, the open socket stays.
    install(renewed);
    assert.equal(server.reloadTls(), true);
    assert.deepEqual(await httpsPeek(`${server.url}/healthz`, [first.pem, renewed.pem]), { status: 200, cn: "renewed" });
    assert.equal(ws.readyState, WebSocket.OPEN);
    ws.close();

    // A certificate with another key's file: refused, the renewed pair keeps being served.
    fs.copyFileSync(first.key, live.key);
    assert.throws(
      () => server.reloadTls(),
      (err: unknown) => err instanceof ConfigError && /do not make a usable pair/.test(err.message),
    );
    assert.deepEqual(await httpsPeek(`${server.url}/healthz`, [first.pem, renewed.pem]), { status: 200, cn: "renewed" });
  } finally {
    await server.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("TLS: one file without the other, an unreadable file or a mismatched pair stops the start with a readable message", async () => {
  const dir = certDir();
  try {
    const a = makeCert(dir, "a");
    const b = makeCert(dir, "b");
    await assert.rejects(startTestServer({ config: { tlsCert: a.cert } }), /PARLEY_TLS_CERT and PARLEY_TLS_KEY go together/);
    await assert.rejects(startTestServer({ config: { tlsCert: `${dir}/missing.crt`, tlsKey: a.key } }), /cannot read the TLS certificate or key/);
    await assert.rejects(startTestServer({ config: { tlsCert: a.cert, tlsKey: b.key } }), /do not make a usable pair/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
