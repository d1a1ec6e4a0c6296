/**
 * Abuse limits close only the offending connection: garbage frames, floods,
 * oversized frames, slow readers and missed heartbeats. Each test keeps a
 * healthy second connection and checks it still receives events.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import type { Socket } from "node:net";
import { CLOSE_CODES, DEFAULT_LIMITS, type ServerFrameOf } from "@parley/protocol";
import { startTestServer, type TestServer } from "../testing/harness.ts";
import type { ConfigInput } from "../config/schema.ts";
import { bootstrapOrg, makeUser, type TestUser } from "../testing/factories.ts";
import { createGateway } from "./gateway.ts";
import { connectUser, openSocket, postText, type TestSocket } from "./test-client.ts";

async function setup(config: ConfigInput = {}) {
  const server = await startTestServer({ config });
  const owner = await bootstrapOrg(server);
  const bob = await makeUser(server, owner);
  const r = await owner.api("POST", "/channels", { kind: "public", name: "general", members: [bob.user.id] });
  assert.equal(r.status, 201);
  const healthy = await connectUser(server.url, owner.accessToken);
  return { server, owner, bob, ch: r.body.id as string, healthy };
}

/** The healthy connection still gets a freshly posted event. */
async function stillReceives(owner: TestUser, healthy: TestSocket, ch: string): Promise<void> {
  const seq = await postText(owner, ch, "still here?");
  await healthy.waitFor((f) => f.t === "event" && f.event.channelId === ch && f.event.seq === seq);
}

async function closedCount(server: TestServer, reason: string): Promise<number> {
  const m = await server.deps.metrics.wsClosed.get();
  return m.values.find((v) => v.labels.reason === reason)?.value ?? 0;
}

test("garbage: non-JSON closes 4400 at once; schema-invalid frames get errors, the third closes 4400", async (t) => {
  const { server, owner, bob, ch, healthy } = await setup();
  t.after(() => server.stop());
  const a = await connectUser(server.url, bob.accessToken);
  a.sendRaw("\u0000\u0001 definitely not json");
  assert.equal((await a.waitFor<ServerFrameOf<"error">>((f) => f.t === "error")).code, "validation_failed");
  assert.equal((await a.closed).code, CLOSE_CODES.badFrame);

  const b = await connectUser(server.url, bob.accessToken);
  b.send({ t: "nonsense", ref: "x1" });
  const e1 = await b.waitFor<ServerFrameOf<"error">>((f) => f.t === "error");
  assert.equal(e1.code, "validation_failed");
  assert.equal(e1.ref, "x1");
  b.send({ t: "read", channelId: ch, seq: -5 });
  await b.waitFor((f) => f.t === "error", 5000, b.frames.indexOf(e1) + 1);
  b.send({ t: "ping", ref: "ok" }); // valid frames in between do not reset the strikes
  await b.waitFor((f) => f.t === "pong");
  assert.equal(b.ws.readyState, 1);
  b.sendRaw(Buffer.from("binary frames are not JSON text"));
  assert.equal((await b.closed).code, CLOSE_CODES.badFrame);

  const c = await connectUser(server.url, bob.accessToken);
  for (let i = 0; i < 3; i++) c.send({ t: "typing" });
  assert.equal((await c.closed).code, CLOSE_CODES.badFrame);
  assert.equal(c.of("error").length, 3);
  await stillReceives(owner, healthy, ch);
  assert.equal(await closedCount(server, "bad_frame"), 3);
});

test("flood: more frames than the allowance closes 4429", async (t) => {
  const { server, owner, bob, ch, healthy } = await setup({ wsFramesPerSecond: 5 });
  t.after(() => server.stop());
  const a = await connectUser(server.url, bob.accessToken);
  for (let i = 0; i < 60; i++) a.send({ t: "ping" });
  assert.equal((await a.closed).code, CLOSE_CODES.rateLimited);
  assert.ok(a.of("error").some((f) => f.code === "rate_limited"));
  // The burst (4x) was honoured before the cut.
  assert.ok(a.of("pong").length >= 15, `pongs: ${a.of("pong").length}`);
  await stillReceives(owner, healthy, ch);
});

test("ping flood: WebSocket ping control frames count against the allowance and close 4429", async (t) => {
  const { server, owner, bob, ch, healthy } = await setup({ wsFramesPerSecond: 5 });
  t.after(() => server.stop());
  const a = await connectUser(server.url, bob.accessToken);
  for (let i = 0; i < 60; i++) a.ws.ping();
  const timeout = new Promise<{ code: number }>((r) => setTimeout(() => r({ code: -1 }), 5000).unref());
  assert.equal((await Promise.race([a.closed, timeout])).code, CLOSE_CODES.rateLimited);
  assert.ok(a.of("error").some((f) => f.code === "rate_limited"));
  await stillReceives(owner, healthy, ch);
});

test("oversized frame: closed by ws with 1009", async (t) => {
  const { server, owner, bob, ch, healthy } = await setup();
  t.after(() => server.stop());
  const a = await connectUser(server.url, bob.accessToken);
  a.sendRaw(JSON.stringify({ t: "ping", ref: "x".repeat(DEFAULT_LIMITS.frameBytes + 1) }));
  assert.equal((await a.closed).code, 1009);
  await stillReceives(owner, healthy, ch);
  assert.equal(await closedCount(server, "too_large"), 1);
});

test("slow reader: a connection that stops reading is cut (4430); others keep receiving", async (t) => {
  const { server, owner, bob, ch, healthy } = await setup({ wsMaxBufferedBytes: 65536 });
  t.after(() => server.stop());
  const slow = await connectUser(server.url, bob.accessToken);
  (slow.ws as unknown as { _socket: Socket })._socket.pause();
  const big = Buffer.alloc(60_000, 1).toString("base64");
  let n = 0;
  const seqs: number[] = [];
  // Enough to fill the kernel buffers on both sides (loopback autotuning can take several
  // MB) and then our 64 KiB allowance; bounded, and it stops as soon as the cut happens.
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      while (n < 1500 && (await closedCount(server, "slow_consumer")) === 0) {
        n++;
        const r = await owner.api("POST", `/channels/${ch}/events`, {
          clientId: `big-${n}-${Math.random().toString(36).slice(2)}`,
          kind: "message",
          content: big,
        });
        assert.equal(r.status, 200);
        seqs.push(r.body.event.seq);
      }
    }),
  );
  assert.equal(await closedCount(server, "slow_consumer"), 1, `not cut after ${n} events`);
  const last = Math.max(...seqs);
  await healthy.waitFor((f) => f.t === "event" && f.event.seq === last, 10_000);
  (slow.ws as unknown as { _socket: Socket })._socket.resume();
  const { code } = await slow.closed;
  // 4430 if it read our close frame before the grace period cut the socket.
  assert.ok(code === CLOSE_CODES.slowConsumer || code === 1006, `code ${code}`);
  await stillReceives(owner, healthy, ch);
});

test("a client that sends but never reads its acks is cut (4430): the cap covers every frame, not only fan-out", async (t) => {
  const { server, owner, bob, ch, healthy } = await setup({ wsMaxBufferedBytes: 262_144 });
  t.after(() => server.stop());
  const a = await connectUser(server.url, bob.accessToken);
  const raw = (a.ws as unknown as { _socket: Socket })._socket;
  raw.pause();
  // One clientId over and over: every answer is an ack (duplicate) carrying the whole
  // 80 KB event, and nothing is fanned out — 12 MB of answers if nobody stops it.
  const content = Buffer.alloc(60_000, 3).toString("base64");
  for (let i = 0; i < 150; i++) a.send({ t: "send", ref: `r${i}`, channelId: ch, clientId: "the-same-client-id", kind: "message", content });
  for (let i = 0; i < 200 && (await closedCount(server, "slow_consumer")) === 0; i++) await new Promise((r) => setTimeout(r, 50));
  assert.equal(await closedCount(server, "slow_consumer"), 1);
  raw.resume();
  const { code } = await a.closed;
  assert.ok(code === CLOSE_CODES.slowConsumer || code === 1006, `code ${code}`);
  await stillReceives(owner, healthy, ch);
});

test("heartbeat: a connection that misses a pong is terminated", async (t) => {
  const server = await startTestServer();
  t.after(() => server.stop());
  const httpServer = http.createServer();
  const gw = createGateway(server.deps, { heartbeatMs: 100, helloTimeoutMs: 60_000 });
  gw.attach(httpServer);
  await new Promise<void>((r) => httpServer.listen(0, "127.0.0.1", r));
  t.after(async () => {
    await gw.drain();
    await new Promise((r) => httpServer.close(r));
  });
  const url = `http://127.0.0.1:${(httpServer.address() as { port: number }).port}`;
  const alive = await openSocket(url); // answers pings (ws does it automatically)
  const dead = await openSocket(url);
  (dead.ws as unknown as { _socket: Socket })._socket.pause();
  for (let i = 0; i < 50 && gw.connectionCount() > 1; i++) await new Promise((r) => setTimeout(r, 50));
  assert.equal(gw.connectionCount(), 1);
  assert.equal(alive.ws.readyState, 1);
  assert.equal(await closedCount(server, "heartbeat"), 1);
});

test("upgrades count against the address's allowance (429), hellos against the user's (4429)", async (t) => {
  const { server, owner, healthy } = await setup({ rateLimitIp: 40, rateLimitUser: 40 });
  t.after(() => server.stop());
  const statuses: number[] = [];
  for (let i = 0; i < 60; i++) {
    try {
      const s = await openSocket(server.url);
      statuses.push(101);
      s.ws.terminate();
    } catch (err) {
      statuses.push(Number(/(\d{3})/.exec(String(err))?.[1] ?? 0));
    }
  }
  assert.ok(statuses.includes(429), `upgrade statuses: ${statuses.join(",")}`);
  assert.ok(statuses.filter((s) => s === 101).length < 40);
  await server.deps.limits.ip.reset("127.0.0.1");
  // Each hello costs the user a point: a reconnect loop ends with rate_limited + 4429.
  let closedWith: number | undefined;
  for (let i = 0; i < 45 && closedWith === undefined; i++) {
    await server.deps.limits.ip.reset("127.0.0.1");
    const s = await openSocket(server.url);
    s.send({ t: "hello", token: owner.accessToken });
    const first = await s.waitFor((f) => f.t === "ready" || f.t === "error").catch(() => undefined);
    if (first?.t === "error") closedWith = (await s.closed).code;
    s.ws.terminate();
  }
  assert.equal(closedWith, CLOSE_CODES.rateLimited);
  await healthy.close();
});
