/**
 * Graceful shutdown (ARCHITECTURE §8): SIGTERM to a server process under load
 * closes every WebSocket with 1012 (service restart) and exits cleanly; every
 * send in flight at that moment is either acknowledged and persisted, or
 * fails with a retryable error / no answer before the 1012 (the client
 * retries it with the same clientId) — never acknowledged-but-lost. On
 * SQLite and PostgreSQL.
 */
import test from "node:test";
import assert from "node:assert/strict";
import { CLOSE_CODES, type MyChannel } from "@parley/protocol";
import { createTestDatabase, DIALECTS } from "@parley/server/testing/harness";
import { startChildServer, type ChildServer } from "./support/child.ts";
import { api, bootstrapOrg, content, type ApiResponse } from "./support/http.ts";
import { connectWs } from "./support/ws.ts";
import { assertDelivered, httpSender, newSendLog, readChannelHttp, wsSender } from "./support/stream.ts";

const SETUP_TOKEN = "sigterm-setup-token-0123456789";

async function waitUntil(cond: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

for (const dialect of DIALECTS) {
  test(`SIGTERM closes sockets with 1012 and loses no acknowledged send (${dialect})`, { timeout: 120_000 }, async (t) => {
    const db = await createTestDatabase(dialect);
    let child: ChildServer | undefined;
    try {
      child = await startChildServer({ dataDir: db.dataDir, databaseUrl: db.url, setupToken: SETUP_TOKEN });
      const owner = await bootstrapOrg(child.url, SETUP_TOKEN, "drain");
      const created = await api<MyChannel>(child.url, "POST", "/channels", { token: owner.accessToken, body: { kind: "public", name: "busy" } });
      assert.equal(created.status, 201, created.text);
      const channelId = created.body.id;

      // One idle reader and one busy sender, both past replay.
      const idle = await connectWs(child.url);
      idle.send({ t: "hello", token: owner.accessToken, cursors: { user: 0, channels: { [channelId]: 0 } } });
      await idle.waitFor((f) => f.t === "synced");
      const busy = await connectWs(child.url);
      busy.send({ t: "hello", token: owner.accessToken, cursors: { user: 0, channels: { [channelId]: 0 } } });
      await busy.waitFor((f) => f.t === "synced");

      const log = newSendLog();
      let stopped = false;
      const stop = () => stopped;
      const base = child.url;
      const senders = [
        wsSender(busy, channelId, "ws", log, stop),
        httpSender(base, owner.accessToken, channelId, "http0", log, stop),
        httpSender(base, owner.accessToken, channelId, "http1", log, stop),
      ];
      await waitUntil(() => log.acked.size >= 200 || log.rejected.length > 0, 60_000, "200 acks");

      const sigtermAt = Date.now();
      const exit = await child.terminate();
      const shutdownMs = Date.now() - sigtermAt;
      stopped = true;
      assert.equal(await busy.closed, CLOSE_CODES.serviceRestart, "busy socket close code");
      assert.equal(await idle.closed, CLOSE_CODES.serviceRestart, "idle socket close code");
      await Promise.all(senders);
      assert.deepEqual(exit, { code: 0, signal: null }, `server did not exit cleanly:\n${child.logs().slice(-3000)}`);
      // Within the drain grace (PARLEY_SHUTDOWN_GRACE_MS, 10 s) plus slack: no socket may hold shutdown up.
      assert.ok(shutdownMs < 15_000, `shutdown took ${shutdownMs} ms`);
      // Only retryable failures (503 unavailable while draining, connection refused after): see httpSender/wsSender.
      assert.deepEqual(log.rejected, [], "sends failed with a non-retryable error during shutdown");
      t.diagnostic(`shutdown took ${shutdownMs} ms; ${log.acked.size} acked before it, ${log.unanswered.size} unanswered or retryable`);

      child = await startChildServer({ dataDir: db.dataDir, databaseUrl: db.url });
      assertDelivered(await readChannelHttp(child.url, owner.accessToken, channelId), log, "after restart");

      // The client retries what got no ack, with the same clientIds: each lands exactly once.
      for (const clientId of log.unanswered) {
        const r: ApiResponse<{ event: { seq: number } }> = await api(child.url, "POST", `/channels/${channelId}/events`, {
          token: owner.accessToken,
          body: { clientId, kind: "message", content: content(`retry ${clientId}`) },
        });
        assert.equal(r.status, 200, r.text);
        log.acked.set(clientId, r.body.event.seq);
      }
      log.unanswered.clear();
      assertDelivered(await readChannelHttp(child.url, owner.accessToken, channelId), log, "after retries");
    } finally {
      if (child) await child.kill9().catch(() => undefined);
      await db.drop();
    }
  });
}
