/**
 * Keeps the bench harness from rotting (not a benchmark: no timing asserted):
 * the histogram's quantiles, one small fan-out through the real child
 * processes against the bare server, and connected sockets chatting across two
 * bare servers (hundred-k's path), every process stopped by PID.
 */
import test from "node:test";
import assert from "node:assert/strict";
import { mergeInto, newHistogram, quantileUs, record, serialize } from "./histogram.ts";
import { startServerProcess, startWorker, stopAll } from "./processes.ts";
import { bareTarget } from "./target.ts";
import { freePort } from "@parley/server/testing/ports";

test("histogram quantiles and merging", () => {
  const a = newHistogram(),
    b = newHistogram();
  for (let i = 1; i <= 100; i++) record(i <= 50 ? a : b, i * 1000); // 1..100 ms
  const all = newHistogram();
  mergeInto(all, serialize(a));
  mergeInto(all, serialize(b));
  assert.equal(all.total, 100);
  assert.ok(Math.abs(quantileUs(all, 0.5) - 50_000) <= 50);
  assert.ok(Math.abs(quantileUs(all, 0.99) - 99_000) <= 10_000);
  assert.equal(quantileUs(newHistogram(), 0.5), 0);
});

test("a small fan-out through the bare server reaches every receiver", { timeout: 60_000 }, async () => {
  const server = await startServerProcess("bare", { port: await freePort() });
  const receivers = startWorker();
  const sender = startWorker();
  try {
    const target = bareTarget(server.url);
    const conn = await receivers.call<{ ok: number }>(
      { cmd: "connect", url: target.url, tokens: ["t"], count: 20, sampleEvery: 1, concurrency: 5 },
      "connected",
      30_000,
    );
    assert.equal(conn.ok, 20);
    await receivers.call({ cmd: "measure", action: "start" }, "measuring", 5_000);
    const sent = await sender.call<{ acked: number }>(
      {
        cmd: "send",
        url: target.url,
        token: "t",
        channelId: "c",
        connections: 1,
        ratePerSec: 20,
        inflightPerConn: 10,
        durationMs: 500,
      },
      "sent",
      30_000,
    );
    await new Promise((r) => setTimeout(r, 300));
    const m = await receivers.call<{ deliveries: number; latency: { total: number } }>({ cmd: "measure", action: "stop" }, "measured", 5_000);
    assert.ok(sent.acked >= 5, `acked ${sent.acked}`);
    assert.equal(m.deliveries, sent.acked * 20);
    assert.equal(m.latency.total, m.deliveries);
    const usage = await server.usage(true);
    assert.ok(usage.cpuUserUs > 0 && usage.rss > 0);
  } finally {
    await receivers.stop();
    await sender.stop();
    await server.stop();
    await stopAll();
  }
});

test("sockets spread over two servers (full hello) chat from the ones chosen; deliveries match the acks", { timeout: 60_000 }, async () => {
  const a = await startServerProcess("bare", { port: await freePort() });
  const b = await startServerProcess("bare", { port: await freePort() });
  const worker = startWorker();
  try {
    const progress: number[] = [];
    const off = worker.on<{ ok: number }>("connect-progress", (m) => progress.push(m.ok));
    // Connection i goes to [a, b][i % 2]: 10 sockets on each bare server (one broadcast channel per server).
    const conn = await worker.call<{ ok: number; failedIndexes: number[]; handshake: { total: number } }>(
      { cmd: "connect", url: [a.url, b.url], tokens: ["t"], count: 20, sampleEvery: 1, concurrency: 4, until: "synced", retries: 1, progressMs: 1 },
      "connected",
      30_000,
    );
    off();
    assert.equal(conn.ok, 20);
    assert.deepEqual(conn.failedIndexes, []);
    assert.equal(conn.handshake.total, 20);
    assert.ok(progress.length > 0, "progress reported while connecting");
    await worker.call({ cmd: "measure", action: "start" }, "measuring", 5_000);
    // Sockets 0 and 2 are on server a: each of their sends reaches a's 10 sockets only.
    const chat = await worker.call<{ sent: number; acked: number; errors: number; ackedByChannel: Record<string, number> }>(
      {
        cmd: "chat",
        senders: [
          { conn: 0, channelId: "c" },
          { conn: 2, channelId: "c" },
        ],
        intervalMs: 100,
        durationMs: 450,
      },
      "chatted",
      30_000,
    );
    await new Promise((r) => setTimeout(r, 300));
    const m = await worker.call<{ deliveries: number; latency: { total: number } }>({ cmd: "measure", action: "stop" }, "measured", 5_000);
    assert.ok(chat.acked >= 8 && chat.acked === chat.sent && chat.errors === 0, JSON.stringify(chat));
    assert.deepEqual(chat.ackedByChannel, { c: chat.acked });
    assert.equal(m.deliveries, chat.acked * 10);
    assert.equal(m.latency.total, m.deliveries);
  } finally {
    await worker.stop();
    await a.stop();
    await b.stop();
    await stopAll();
  }
});
