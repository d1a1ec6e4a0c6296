/**
 * Done-means 2 (webhook part) of issue 13: an incoming webhook posts into an E2EE channel, the
 * members' SDK clients decrypt it, and the server never saw the text. The bot runtime (a service
 * account's SDK client with MLS, serving the HTTPS endpoint) posts a random canary; alice and bob
 * read it; then the server's storage — the SQLite files with their WAL (while running and after
 * stopping), or on PostgreSQL pg_dump and every row as text — its data directory and its logs
 * (level trace) are scanned for the canary in every encoding. A control canary in a channel
 * topic (stored in clear by design) must be found, so the scan is not blind. The integration's
 * registration (its name, where it runs) is metadata the server does hold.
 */
import test from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { ReceivedEvent } from "@parley/sdk";
import { selfSignedCertificate } from "@parley/server/testing/certs";
import { createTestDatabase, DIALECTS, startTestServer, type TestDialect } from "@parley/server/testing/harness";
import { freePort } from "@parley/server/testing/ports";
import { until } from "../packages/sdk/src/testing/e2ee-clients.ts";
import { botInChannel } from "../packages/bot/src/testing/bot-member.ts";
import { callHook } from "../packages/bot/src/testing/https-call.ts";
import { sdkChannelIO } from "../packages/bot/src/testing/sdk-channel-io.ts";
import { addIncomingWebhook, startIncomingWebhooks } from "../packages/bot/src/webhooks/incoming.ts";
import { openWebhookState } from "../packages/bot/src/webhooks/state.ts";
import { describeHits, needlesOf, newCanary, pgDump, pgRowsAsText, scanBuffer, scanDir, scanLogs, scanSqlite, type Hit } from "./support/canary-scan.ts";

async function run(dialect: TestDialect, t: import("node:test").TestContext): Promise<void> {
  const canary = newCanary();
  const control = newCanary("ctrl");
  const needles = needlesOf(canary);
  const database = await createTestDatabase(dialect);
  t.after(() => database.drop());
  const server = await startTestServer({ database, config: { logLevel: "trace", checkMlsFraming: true } });
  let running = true;
  t.after(async () => {
    if (running) await server.close();
  });
  const { alice, bob, bot, botUserId, channelId, dir } = await botInChannel(t, server.url);
  const got = new Map<string, ReceivedEvent[]>([
    ["alice", []],
    ["bob", []],
  ]);
  alice.on("message", (e) => got.get("alice")!.push(e));
  bob.on("message", (e) => got.get("bob")!.push(e));

  const reg = await alice.api.call("createIntegration", { body: { kind: "incoming", name: "CI notifier", botUserId, channelId, runsAt: "ci-runner-3" } });
  const state = openWebhookState(path.join(dir, "webhooks"));
  t.after(() => state.close());
  const { token } = addIncomingWebhook(state, { id: reg.id, name: reg.name, channelId, runsAt: reg.runsAt });
  const tlsDir = fs.mkdtempSync(path.join(os.tmpdir(), "parley-hook-tls-"));
  t.after(() => fs.rmSync(tlsDir, { recursive: true, force: true }));
  const tls = selfSignedCertificate(tlsDir);
  const hooks = await startIncomingWebhooks({ state, io: sdkChannelIO(bot), tls: { key: tls.key, cert: tls.cert }, port: await freePort() });
  t.after(() => hooks.close());

  const text = `build ${canary} passed; b64 ${Buffer.from(canary).toString("base64")}`;
  const r = await callHook(`${hooks.url}/hooks/${reg.id}`, tls.cert, {
    headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
    body: JSON.stringify({ text }),
  });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  for (const [who, list] of got) {
    await until(() => list.some((e) => e.seq === r.body.seq), `${who} decrypts the webhook's post`, 30_000);
    const e = list.find((x) => x.seq === r.body.seq)!;
    assert.equal(e.text, text, `${who} reads the text`);
    assert.equal(e.senderId, botUserId);
    assert.deepEqual(e.content.integration, { id: reg.id, name: "CI notifier", runsAt: "ci-runner-3" });
    assert.deepEqual(scanBuffer(Buffer.from(e.raw.content, "base64"), needles, "wire"), [], "ciphertext on the wire");
  }
  await alice.api.call("updateChannel", { params: { channelId }, body: { topic: `topic ${control}` } });
  const controlNeedle = needlesOf(control).filter((n) => n.encoding === "utf8");

  const hits: Hit[] = [];
  const dataDir = database.dataDir;
  const sqliteFile = server.deps.storage.file ?? `${dataDir}/parley.db`;
  if (dialect === "sqlite") {
    hits.push(...scanSqlite(sqliteFile, needles));
    assert.ok(scanSqlite(sqliteFile, controlNeedle).length > 0, "control: the topic is found in the SQLite files");
  }
  hits.push(...scanDir(dataDir, needles));
  running = false;
  await server.close();
  hits.push(...scanLogs(server.logs, needles));
  assert.ok(server.logs.length > 50, "the server logged (level trace)");
  if (dialect === "sqlite") hits.push(...scanSqlite(sqliteFile, needles), ...scanDir(dataDir, needles));
  else {
    const dump = pgDump(database.url!);
    const rows = await pgRowsAsText(database.url!);
    hits.push(...scanBuffer(dump, needles, "pg_dump"), ...scanBuffer(rows, needles, "rows"));
    assert.ok(scanBuffer(dump, controlNeedle, "pg_dump").length > 0, "control: the topic is in pg_dump");
  }
  assert.equal(hits.length, 0, `plaintext canary found:\n${describeHits(hits)}`);
}

for (const dialect of DIALECTS) {
  test(`an incoming webhook's text reaches members decrypted and never the server (${dialect})`, { timeout: 120_000 }, (t) => run(dialect, t));
}
