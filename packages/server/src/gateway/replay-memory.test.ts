/**
 * Clients that never read cannot make the server hold memory: replay pages
 * are bounded by bytes and pause while a socket's output is unsent, the
 * per-connection cap (PARLEY_WS_MAX_BUFFERED) covers replay, and everything is
 * let go once the sockets close. Measured with the server's own accounting
 * (Gateway.bufferedBytes(), the parley_ws_buffered_bytes gauge) and with the
 * process's heap + Buffer memory after full garbage collections.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import type { Socket } from "node:net";
import v8 from "node:v8";
import vm from "node:vm";
import { CLOSE_CODES } from "@parley/protocol";
import { startTestServer, type TestServer } from "../testing/harness.ts";
import { bootstrapOrg, type TestUser } from "../testing/factories.ts";
import { openSocket, type TestSocket } from "./test-client.ts";

v8.setFlagsFromString("--expose-gc");
const gc = vm.runInNewContext("gc") as () => void;
const MiB = 1 << 20;

/** Heap plus Buffer memory of this process (the server runs in it) after full collections. */
function heldMemory(): number {
  gc();
  gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitUntil(what: string, cond: () => boolean | Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting until ${what}`);
    await sleep(50);
  }
}

/** Post `n` events of `bytes` random content (parallel requests, one group commit batch at a time). */
async function postBig(owner: TestUser, channelId: string, n: number, bytes: number, tag: string): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      while (next < n) {
        const i = next++;
        const content = Buffer.alloc(bytes, i % 251).toString("base64");
        const r = await owner.api("POST", `/channels/${channelId}/events`, { clientId: `${tag}-event-${i}`, kind: "message", content });
        assert.equal(r.status, 200, JSON.stringify(r.body));
      }
    }),
  );
}

/** `n` sockets that say hello with cursor 0 and then never read. */
async function nonReaders(server: TestServer, token: string, n: number): Promise<{ sockets: TestSocket[]; raws: Socket[] }> {
  const sockets = await Promise.all(Array.from({ length: n }, () => openSocket(server.url)));
  const raws = sockets.map((s) => (s.ws as unknown as { _socket: Socket })._socket);
  for (const raw of raws) raw.pause();
  for (const s of sockets) s.send({ t: "hello", token, cursors: { user: 0, channels: {} } });
  return { sockets, raws };
}

/** Replay has stalled on every socket: the server's unsent bytes stopped changing. */
async function stalled(server: TestServer, n: number): Promise<number> {
  let last = -1;
  let steady = 0;
  await waitUntil("replay stalls", async () => {
    const now = server.gateway.bufferedBytes();
    steady = now === last && now > 0 ? steady + 1 : 0;
    last = now;
    const authenticated = (await server.deps.metrics.wsConnections.get()).values[0]?.value ?? 0;
    return steady >= 10 && authenticated === n;
  });
  return last;
}

test("non-reading sockets replaying 64 KB events: the server's buffers stay bounded, the cap applies during replay, memory is freed on close", async (t) => {
  const N = 8;
  const maxBuffered = 2 * MiB;
  const server = await startTestServer({ config: { wsMaxBufferedBytes: maxBuffered, wsMaxConnectionsPerDevice: N, wsMaxConnectionsPerUser: N } });
  t.after(() => server.stop());
  const owner = await bootstrapOrg(server);
  const ch = (await owner.api("POST", "/channels", { kind: "public", name: "big" })).body.id as string;
  // 240 events of 64,000 bytes: 15 MB of content, 20 MB as JSON. One old-style page
  // of 200 events was a 17 MB frame per socket.
  await postBig(owner, ch, 240, 64_000, "backlog");
  const baseline = heldMemory();

  // Round 1: they stall; then live events during the stalled replay overflow the
  // per-connection cap (socket buffer + queued live frames) and each is cut with 4430.
  const one = await nonReaders(server, owner.accessToken, N);
  const buffered = await stalled(server, N);
  // Per socket: replay pauses at half the cap (1 MiB) and has at most one page
  // (~256 KiB of content, ~350 KB as JSON) beyond it.
  assert.ok(buffered <= N * (maxBuffered / 2 + 512 * 1024), `server holds ${(buffered / MiB).toFixed(1)} MiB for ${N} sockets`);
  const gauge = (await server.deps.metrics.registry.getSingleMetric("parley_ws_buffered_bytes")!.get()).values[0]!.value;
  assert.ok(Math.abs(gauge - server.gateway.bufferedBytes()) <= 512 * 1024, `gauge ${gauge}`);
  const held = heldMemory() - baseline;
  assert.ok(held < 64 * MiB, `server process grew by ${(held / MiB).toFixed(1)} MiB while ${N} sockets stalled`);

  await postBig(owner, ch, 24, 64_000, "live");
  await waitUntil("every stalled socket is cut", () => server.gateway.connectionCount() === 0);
  const cut = await server.deps.metrics.wsClosed.get();
  assert.equal(cut.values.find((v) => v.labels.reason === "slow_consumer")?.value, N);
  for (const raw of one.raws) raw.resume();
  for (const s of one.sockets) {
    const { code } = await s.closed;
    assert.ok(code === CLOSE_CODES.slowConsumer || code === 1006, `code ${code}`);
    s.frames.length = 0; // what the client read lives in this process too
  }
  assert.equal(server.gateway.bufferedBytes(), 0);

  // Round 2: the clients go away themselves while stalled.
  const two = await nonReaders(server, owner.accessToken, N);
  await stalled(server, N);
  for (const raw of two.raws) raw.destroy();
  await waitUntil("the server notices every close", () => server.gateway.connectionCount() === 0);
  assert.equal(server.gateway.bufferedBytes(), 0);
  const after = heldMemory() - baseline;
  assert.ok(after < 16 * MiB, `server process still holds ${(after / MiB).toFixed(1)} MiB more than before the sockets`);
});
