/** Gateway handshake: hello auth ok / bad token / timeout, upgrade paths, ping, drain. */
import { test } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import { once } from "node:events";
import type { Duplex } from "node:stream";
import { CLOSE_CODES, WS_PATH } from "@parley/protocol";
import { startTestServer } from "../testing/harness.ts";
import { startTestRedis } from "../testing/redis.ts";
import { bootstrapOrg } from "../testing/factories.ts";
import { createGateway } from "./gateway.ts";
import { connectUser, openSocket } from "./test-client.ts";

test("hello with a valid token: ready (user, org, ids, heartbeat) then synced", async (t) => {
  const server = await startTestServer();
  t.after(() => server.stop());
  const owner = await bootstrapOrg(server);
  const s = await connectUser(server.url, owner.accessToken);
  const ready = s.of("ready")[0]!;
  assert.equal(ready.user.id, owner.user.id);
  assert.equal(ready.org.id, owner.org.id);
  assert.equal(ready.sessionId, owner.tokens.sessionId);
  assert.equal(ready.deviceId, owner.tokens.deviceId);
  assert.equal(ready.heartbeatMs, 30_000);
  assert.deepEqual(s.frames.map((f) => f.t).slice(0, 1), ["ready"]);
  assert.equal(server.gateway.connectionCount(), 1);
  s.send({ t: "ping", ref: "p1" });
  const pong = await s.waitFor((f) => f.t === "pong");
  assert.equal((pong as { ref?: string }).ref, "p1");
  await s.close();
  // No token or content in the logs; every gateway line names its connection.
  const gw = server.logs.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.module === "gateway");
  assert.ok(gw.length > 0);
  for (const l of gw) if (!String(l.msg).startsWith("draining")) assert.ok(l.conn, `gateway log line without conn: ${JSON.stringify(l)}`);
  assert.ok(!server.logs.some((l) => l.includes(owner.accessToken)));
});

test("hello with a bad or expired-looking token: error unauthorized + close 4401", async (t) => {
  const server = await startTestServer();
  t.after(() => server.stop());
  await bootstrapOrg(server);
  const s = await openSocket(server.url);
  s.send({ t: "hello", token: "not-a-jwt" });
  const err = await s.waitFor((f) => f.t === "error");
  assert.equal((err as { code: string }).code, "unauthorized");
  assert.equal((await s.closed).code, CLOSE_CODES.unauthorized);
  assert.ok(!server.logs.some((l) => l.includes("not-a-jwt")));
});

test("a frame other than hello first: close 4401; garbage first: close 4400", async (t) => {
  const server = await startTestServer();
  t.after(() => server.stop());
  const a = await openSocket(server.url);
  a.send({ t: "ping" });
  assert.equal((await a.closed).code, CLOSE_CODES.unauthorized);
  const b = await openSocket(server.url);
  b.sendRaw("{nope");
  assert.equal((await b.closed).code, CLOSE_CODES.badFrame);
});

test("a revoked session cannot say hello (4401)", async (t) => {
  const server = await startTestServer();
  t.after(() => server.stop());
  const owner = await bootstrapOrg(server);
  assert.equal((await owner.api("POST", "/auth/logout")).status < 300, true);
  const s = await openSocket(server.url);
  s.send({ t: "hello", token: owner.accessToken });
  const err = await s.waitFor((f) => f.t === "error");
  assert.equal((err as { code: string }).code, "unauthorized");
  assert.equal((await s.closed).code, CLOSE_CODES.unauthorized);
});

test("no hello in time: close 4408; upgrades on other paths are refused", async (t) => {
  const server = await startTestServer();
  t.after(() => server.stop());
  // A second gateway with a short hello timeout on its own HTTP server, same deps.
  const httpServer = http.createServer();
  const gw = createGateway(server.deps, { helloTimeoutMs: 150 });
  gw.attach(httpServer);
  await new Promise<void>((r) => httpServer.listen(0, "127.0.0.1", r));
  t.after(async () => {
    await gw.drain();
    await new Promise((r) => httpServer.close(r));
  });
  const port = (httpServer.address() as { port: number }).port;
  const s = await openSocket(`http://127.0.0.1:${port}`);
  const closed = await s.closed;
  assert.equal(closed.code, CLOSE_CODES.helloTimeout);
  const res = await new Promise<number>((resolve) => {
    const req = http.request({
      host: "127.0.0.1",
      port,
      path: "/elsewhere",
      headers: { connection: "upgrade", upgrade: "websocket", "sec-websocket-version": "13", "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==" },
    });
    req.on("response", (r) => resolve(r.statusCode ?? 0));
    req.on("upgrade", () => resolve(101));
    req.end();
  });
  assert.equal(res, 404);
  assert.ok(WS_PATH.startsWith("/api/v1"));
});

test("drain closes every socket with 1012 and refuses new upgrades", async (t) => {
  const server = await startTestServer();
  t.after(() => server.stop());
  const owner = await bootstrapOrg(server);
  const a = await connectUser(server.url, owner.accessToken);
  const b = await openSocket(server.url); // not yet authenticated
  await server.gateway.drain();
  assert.equal((await a.closed).code, CLOSE_CODES.serviceRestart);
  assert.equal((await b.closed).code, CLOSE_CODES.serviceRestart);
  assert.equal(server.gateway.connectionCount(), 0);
  await assert.rejects(openSocket(server.url));
});

test("an upgrade still being checked when the drain starts is refused, not left open on the draining gateway", async (t) => {
  // The per-address check of an upgrade asks Redis: frozen, it holds the upgrade while the drain runs.
  const redis = await startTestRedis();
  t.after(() => redis.stop());
  const server = await startTestServer({ config: { redisUrl: redis.url, shutdownGraceMs: 1500 } });
  t.after(() => server.stop());
  t.after(() => redis.thaw());
  for (const end = Date.now() + 5000; server.deps.limits.backend() !== "redis"; await new Promise((r) => setTimeout(r, 20))) {
    assert.ok(Date.now() < end, "the server reaches Redis");
  }
  // A socket that never reads keeps the drain waiting (its close handshake never completes) for the grace.
  const stuck = await new Promise<Duplex>((resolve, reject) => {
    const req = http.request({
      host: "127.0.0.1",
      port: new URL(server.url).port,
      path: WS_PATH,
      headers: { connection: "upgrade", upgrade: "websocket", "sec-websocket-version": "13", "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==" },
    });
    req.on("upgrade", (_res, socket) => resolve(socket.pause()));
    req.on("error", reject);
    req.end();
  });
  t.after(() => stuck.destroy());
  redis.freeze();
  const arrived = once(server.app.server, "upgrade");
  const late = openSocket(server.url);
  late.catch(() => undefined);
  await arrived;
  const drained = server.gateway.drain();
  redis.thaw();
  await assert.rejects(late, "the upgrade is refused (503) once its check answers");
  assert.equal(server.gateway.connectionCount(), 1, "only the socket that does not read is left (until the grace ends)");
  await drained;
});
