/**
 * "Nothing acknowledged is ever lost" (ARCHITECTURE §1.5): a server process is
 * killed with SIGKILL while clients stream events at it over HTTP and over the
 * WebSocket gateway. After a restart on the same database, a client that
 * reconnects with its cursors gets every acknowledged event exactly once
 * after dedup by seq, in order, with gap-free seqs — through both GET ?after=
 * and the WebSocket replay. On SQLite and on PostgreSQL.
 */
import test from "node:test";
import assert from "node:assert/strict";
import type { AuthTokens, MyChannel } from "@parley/protocol";
import { createTestDatabase, DIALECTS } from "@parley/server/testing/harness";
import { startChildServer, type ChildServer } from "./support/child.ts";
import { api, bootstrapOrg, type ApiResponse } from "./support/http.ts";
import { connectWs } from "./support/ws.ts";
import { assertDelivered, httpSender, newSendLog, readChannelHttp, readChannelWs, wsSender } from "./support/stream.ts";

const SETUP_TOKEN = "kill9-setup-token-0123456789";
const HTTP_SENDERS = 4;
/** Kill once this many sends are acknowledged (the senders are still going). */
const KILL_AFTER_ACKS = 300;

async function waitUntil(cond: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

for (const dialect of DIALECTS) {
  test(`kill -9 mid-stream loses no acknowledged event (${dialect})`, { timeout: 120_000 }, async (t) => {
    const db = await createTestDatabase(dialect);
    let child: ChildServer | undefined;
    try {
      child = await startChildServer({ dataDir: db.dataDir, databaseUrl: db.url, setupToken: SETUP_TOKEN });
      const owner: AuthTokens = await bootstrapOrg(child.url, SETUP_TOKEN, "crash");
      const created = await api<MyChannel>(child.url, "POST", "/channels", { token: owner.accessToken, body: { kind: "public", name: "firehose" } });
      assert.equal(created.status, 201, created.text);
      const channelId = created.body.id;

      const log = newSendLog();
      let stopped = false;
      const stop = () => stopped;
      const ws = await connectWs(child.url);
      ws.send({ t: "hello", token: owner.accessToken, cursors: { user: 0, channels: { [channelId]: 0 } } });
      await ws.waitFor((f) => f.t === "synced");
      const base = child.url;
      const senders = [
        ...Array.from({ length: HTTP_SENDERS }, (_, i) => httpSender(base, owner.accessToken, channelId, `http${i}`, log, stop)),
        wsSender(ws, channelId, "ws0", log, stop),
      ];

      await waitUntil(() => log.acked.size >= KILL_AFTER_ACKS || log.rejected.length > 0, 60_000, `${KILL_AFTER_ACKS} acks`);
      assert.deepEqual(log.rejected, [], "valid sends were rejected");
      await child.kill9();
      stopped = true;
      await Promise.all(senders);
      assert.ok(log.acked.size >= KILL_AFTER_ACKS);
      const wsAcks = [...log.acked.keys()].filter((k) => k.startsWith("ws0-")).length;
      assert.ok(wsAcks > 0, "the WebSocket sender got no acks before the kill");
      t.diagnostic(`killed after ${log.acked.size} acks (${wsAcks} over WebSocket), ${log.unanswered.size} sends unanswered`);

      child = await startChildServer({ dataDir: db.dataDir, databaseUrl: db.url });
      // Signing keys and sessions are in the database, so the same token still works after the restart.
      const viaHttp = await readChannelHttp(child.url, owner.accessToken, channelId);
      assertDelivered(viaHttp, log, "GET events?after=0");
      const viaWs = await readChannelWs(child.url, owner.accessToken, channelId);
      assertDelivered(viaWs, log, "WebSocket replay from cursor 0");
      assert.deepEqual(
        viaWs.map((e) => e.seq),
        viaHttp.map((e) => e.seq),
      );

      // A reconnect from a mid-stream cursor gets exactly the rest.
      const cursor = Math.floor(viaHttp.length / 2);
      const rest = await readChannelWs(child.url, owner.accessToken, channelId, cursor);
      assert.deepEqual(
        [...new Set(rest.map((e) => e.seq))],
        viaHttp.slice(cursor).map((e) => e.seq),
      );

      // Sends whose answer was lost are retried with the same clientId: each lands at most once.
      for (const clientId of log.unanswered) {
        const r: ApiResponse<{ event: { seq: number }; duplicate: boolean }> = await api(child.url, "POST", `/channels/${channelId}/events`, {
          token: owner.accessToken,
          body: { clientId, kind: "message", content: Buffer.from(`retry ${clientId}`).toString("base64") },
        });
        assert.equal(r.status, 200, r.text);
        log.acked.set(clientId, r.body.event.seq);
      }
      log.unanswered.clear();
      assertDelivered(await readChannelHttp(child.url, owner.accessToken, channelId), log, "after retrying unanswered sends");
    } finally {
      if (child) await child.kill9().catch(() => undefined);
      await db.drop();
    }
  });
}
