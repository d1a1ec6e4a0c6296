/**
 * PostgreSQL restarts under a running node (issue 12): the node answers /readyz 503 with
 * `checks.db: false` while the database is down and 200 again once it is back, requests
 * during the outage fail with a retryable error (never a hang or a crash), the node's
 * WebSocket clients stay connected, and sends after the restart commit and reach them.
 * The database is the test's own PostgreSQL (test/support/own-postgres.ts), not the suite's.
 */
import test from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { startTestServer } from "@parley/server/testing/harness";
import { bootstrapOrg } from "@parley/server/testing/factories";
import { connectWs } from "./support/ws.ts";
import { startOwnPostgres } from "./support/own-postgres.ts";

const b64 = (s: string) => Buffer.from(s).toString("base64");
const readyz = async (base: string) => {
  const r = await fetch(`${base}/readyz`);
  return { status: r.status, body: (await r.json()) as { ok: boolean; checks: Record<string, boolean> } };
};

test("a PostgreSQL restart: /readyz says so, requests fail retryably, the node recovers without a restart", { timeout: 120_000 }, async (t) => {
  const pg = await startOwnPostgres();
  t.after(() => pg.stop());
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "parley-pg-restart-"));
  const server = await startTestServer({
    database: { dialect: "postgres", dataDir, url: pg.url, drop: async () => fs.rmSync(dataDir, { recursive: true, force: true }) },
  });
  t.after(() => server.stop());
  const owner = await bootstrapOrg(server);
  const created = await owner.api("POST", "/channels", { kind: "public", name: "ride-through" });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  const ch = created.body.id as string;
  const sock = await connectWs(server.url);
  sock.send({ t: "hello", token: owner.accessToken, cursors: { user: 0, channels: {} } });
  await sock.waitFor((f) => f.t === "synced");
  const post = (clientId: string) => owner.api("POST", `/channels/${ch}/events`, { clientId, kind: "message", content: b64(clientId) });
  const first = await post("before-restart");
  assert.equal(first.status, 200, JSON.stringify(first.body));
  assert.equal((await readyz(server.url)).status, 200);

  await pg.restart(); // fast shutdown then start: every pooled connection is dead now
  // Straight after: pooled connections broke. Each request answers (no hang), success or a retryable error.
  for (let i = 0; i < 5; i++) {
    const r = await post(`during-${i}`);
    assert.ok([200, 503, 500].includes(r.status), `answered ${r.status}: ${JSON.stringify(r.body)}`);
  }
  // Back to ready without restarting the node, and sends commit again.
  for (const end = Date.now() + 20_000; ; await new Promise((r) => setTimeout(r, 200))) {
    const ready = await readyz(server.url);
    if (ready.status === 200 && ready.body.checks.db === true) break;
    if (Date.now() > end) assert.fail(`not ready again: ${JSON.stringify(ready.body)}`);
  }
  const after = await post("after-restart");
  assert.equal(after.status, 200, JSON.stringify(after.body));
  await sock.waitFor((f) => f.t === "event" && f.event.channelId === ch && f.event.seq === after.body.event.seq);
  assert.equal(sock.ws.readyState, sock.ws.OPEN, "the WebSocket client stayed connected");
  await sock.close();

  // Down for a while: /readyz is 503 with db false; ready again once it is back.
  await pg.down();
  const down = await readyz(server.url);
  assert.equal(down.status, 503);
  assert.equal(down.body.checks.db, false);
  await pg.up();
  for (const end = Date.now() + 20_000; (await readyz(server.url)).status !== 200; await new Promise((r) => setTimeout(r, 200))) {
    if (Date.now() > end) assert.fail("not ready after the database came back");
  }
  assert.equal((await post("after-outage")).status, 200);
});
