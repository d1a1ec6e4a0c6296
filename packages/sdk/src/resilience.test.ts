/**
 * SDK resilience against a real server (MLS-encrypted, the default): reconnect after a server restart
 * over the same database (SQLite and PostgreSQL), idempotent resend of a
 * send whose ack was lost, the file store across client restarts, and
 * single-flight token refresh with rotation.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { startTestServer, createTestDatabase, DIALECTS, TEST_SETUP_TOKEN, type TestDatabase, type TestServer } from "@parley/server/testing/harness";
import { AuthSession, MemoryStore, ParleyClient, bytesToBase64, type ClientOptions, type ReceivedEvent } from "./index.ts";
import { FileStore, openDeviceKeyStore } from "./node.ts";

const PASSWORD = "correct horse battery staple";
const FAST: ClientOptions = { backoff: { initialMs: 50, maxMs: 400 }, gapFillDelayMs: 20 };

/** A server on a fixed port below 32768, so one restarted over the same database keeps the URL. */
async function startOnPort(database: TestDatabase, port?: number): Promise<TestServer> {
  for (let i = 0; ; i++) {
    const p = port ?? 20_000 + Math.floor(Math.random() * 12_000);
    try {
      return await startTestServer({ database, config: { port: p } });
    } catch (err) {
      if (port !== undefined || i > 20 || !/EADDRINUSE/.test(`${(err as Error).message} ${(err as { code?: string }).code}`)) throw err;
    }
  }
}

async function twoUsers(baseUrl: string, bobOpts: ClientOptions = {}) {
  const alice = await ParleyClient.setup({
    ...FAST,
    baseUrl,
    setupToken: TEST_SETUP_TOKEN,
    orgSlug: "acme",
    orgName: "Acme",
    username: "alice",
    displayName: "Alice",
    password: PASSWORD,
    deviceName: "alice laptop",
  });
  const invite = await alice.api.call("createInvite", { body: {} });
  const bob = await ParleyClient.acceptInvite({
    ...FAST,
    ...bobOpts,
    baseUrl,
    token: invite.token,
    username: "bob",
    displayName: "Bob",
    password: PASSWORD,
    deviceName: "bob laptop",
  });
  // Creating through the client also creates the channel's MLS group (its first commit is seq 1).
  const channel = await alice.createChannel({ kind: "public", name: "general", members: [bob.userId] });
  return { alice, bob, channelId: channel.id };
}

function collect(client: ParleyClient, channelId: string, into: ReceivedEvent[] = []): ReceivedEvent[] {
  client.on("event", (e) => {
    if (e.channelId === channelId) into.push(e);
  });
  return into;
}

async function until(cond: () => boolean, what: string, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

for (const dialect of DIALECTS) {
  test(`[${dialect}] reconnect after a server restart delivers every event exactly once, in order`, async (t) => {
    const database = await createTestDatabase(dialect);
    let server = await startOnPort(database);
    const port = Number(new URL(server.url).port);
    const { alice, bob, channelId } = await twoUsers(server.url);
    // One hook, in order: clients, then the server, then its database (dropping first would kill the pool under it).
    t.after(async () => {
      await Promise.all([alice.close(), bob.close()]);
      await server.stop();
      await database.drop();
    });
    const seen = collect(bob, channelId);
    const states: string[] = [];
    bob.on("connection", (c) => states.push(c.state));
    alice.connect();
    bob.connect();
    await Promise.all([alice.waitUntilLive(), bob.waitUntilLive()]);

    for (let i = 1; i <= 5; i++) await alice.sendMessage(channelId, `before ${i}`);
    await until(() => seen.length === 5, "5 live events");

    await server.stop();
    await until(() => bob.state === "offline", "bob offline");
    // Sent while the server is down: stays in the outbox and goes out after the restart.
    const queued = alice.sendMessage(channelId, "while down");
    server = await startOnPort(database, port);
    await queued;
    for (let i = 1; i <= 5; i++) await alice.sendMessage(channelId, `after ${i}`);
    await until(() => seen.length >= 11, "11 events");
    await bob.idle();
    await new Promise((r) => setTimeout(r, 100));
    assert.deepEqual(
      seen.map((e) => e.seq),
      range(2, 12),
      "seq 1 is the commit that added bob",
    );
    assert.deepEqual(
      seen.map((e) => e.text),
      [...range(1, 5).map((i) => `before ${i}`), "while down", ...range(1, 5).map((i) => `after ${i}`)],
    );
    assert.ok(states.includes("offline") && states.lastIndexOf("live") > states.indexOf("offline"), `states: ${states.join(",")}`);
  });
}

test("sends queued while the server is down reach it in the order they were made", async (t) => {
  const database = await createTestDatabase("sqlite");
  let server = await startOnPort(database);
  const port = Number(new URL(server.url).port);
  // Bob sends; his retries back off up to 5 s, so an older queued send sleeps longer than a newer one.
  const { alice, bob, channelId } = await twoUsers(server.url, { backoff: { initialMs: 50, maxMs: 5_000, random: () => 0.99 } });
  t.after(async () => {
    await Promise.all([alice.close(), bob.close()]);
    await server.stop();
    await database.drop();
  });
  bob.connect();
  await bob.waitUntilLive();
  await bob.sendMessage(channelId, "in the group"); // encrypting needs no server from here on
  await server.stop();
  await until(() => bob.state === "offline", "bob offline");
  const attempts = async () => Math.max(0, ...(await bob.store.loadOutbox()).map((e) => e.attempts));
  const first = bob.sendMessage(channelId, "first");
  for (const end = Date.now() + 15_000; (await attempts()) < 6;) {
    assert.ok(Date.now() < end, "the first send keeps retrying");
    await new Promise((r) => setTimeout(r, 20));
  }
  // The second send retries within ~100 ms, the first one only after its long sleep (or the reconnect).
  const second = bob.sendMessage(channelId, "second");
  await new Promise((r) => setTimeout(r, 60));
  server = await startOnPort(database, port);
  const [a, b] = await Promise.all([first, second]);
  assert.ok(a.event.seq < b.event.seq, `"first" got seq ${a.event.seq}, "second" got seq ${b.event.seq}`);
});

test("closing the client keeps every queued send, those waiting for their turn included", async (t) => {
  const database = await createTestDatabase("sqlite");
  const server = await startOnPort(database);
  const { alice, bob, channelId } = await twoUsers(server.url);
  t.after(async () => {
    await alice.close();
    await database.drop();
  });
  bob.connect();
  await bob.waitUntilLive();
  await bob.sendMessage(channelId, "in the group");
  await server.stop();
  await until(() => bob.state === "offline", "bob offline");
  const sends = ["first", "second", "third"].map((text) => bob.sendMessage(channelId, text));
  for (const end = Date.now() + 10_000; (await bob.store.loadOutbox()).length < 3;) {
    assert.ok(Date.now() < end, "all three queued");
    await new Promise((r) => setTimeout(r, 20));
  }
  await bob.close();
  for (const s of sends) await assert.rejects(s, (err: unknown) => (err as { code?: string }).code === "closed");
  assert.equal((await bob.store.loadOutbox()).length, 3, "nothing dropped: the next run sends them");
});

test("a send whose ack was lost is resent with the same clientId and delivered once", async (t) => {
  const server = await startTestServer();
  t.after(() => server.stop());
  const { alice, bob, channelId } = await twoUsers(server.url);
  t.after(() => Promise.all([alice.close(), bob.close()]));
  const seen = collect(bob, channelId);
  // The first attempt reached the server, but the client never learned (crash before the ack).
  const clientId = "lost-ack-0001";
  const sealed = await alice.codec.encode(channelId, { text: "once" }, { clientId, kind: "message" });
  const event = { clientId, kind: "message" as const, content: bytesToBase64(sealed.bytes), epoch: sealed.epoch! };
  const first = await alice.api.call("sendEvent", { params: { channelId }, body: event });
  await alice.store.putOutbox({ channelId, event, createdAt: Date.now(), attempts: 1 });
  const acked = alice.next("connection", (c) => c.state === "live");
  alice.connect();
  bob.connect();
  await acked;
  await until(() => seen.length >= 1, "bob sees it");
  for (const end = Date.now() + 10_000; (await alice.store.loadOutbox()).length > 0;) {
    assert.ok(Date.now() < end, "outbox drains");
    await new Promise((r) => setTimeout(r, 10));
  }
  await Promise.all([alice.idle(), bob.idle()]);
  const all = await alice.api.call("listEvents", { params: { channelId }, query: { after: 0 } });
  assert.equal(all.events.filter((e) => e.clientId === "lost-ack-0001").length, 1, "stored once");
  assert.deepEqual(
    seen.map((e) => [e.seq, e.text]),
    [[first.event.seq, "once"]],
  );

  // The same send repeated explicitly: the server answers duplicate with the original event.
  const again = await alice.api.call("sendEvent", { params: { channelId }, body: event });
  assert.equal(again.duplicate, true);
  assert.equal(again.event.seq, first.event.seq);
});

test("FileStore keeps session, cursors and events across client restarts", async (t) => {
  const server = await startTestServer();
  t.after(() => server.stop());
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "parley-sdk-"));
  const store1 = await FileStore.open(dir, { debounceMs: 10 });
  // The device's MLS secrets persist beside the store, so the resumed client keeps its groups.
  const { alice, bob, channelId } = await twoUsers(server.url, { store: store1, e2ee: { keyStore: await openDeviceKeyStore(dir) } });
  t.after(() => alice.close());
  const seen1 = collect(bob, channelId);
  alice.connect();
  bob.connect();
  await Promise.all([alice.waitUntilLive(), bob.waitUntilLive()]);
  for (let i = 1; i <= 3; i++) await alice.sendMessage(channelId, `m${i}`);
  await until(() => seen1.length === 3, "3 events");
  await bob.close();
  for (let i = 4; i <= 5; i++) await alice.sendMessage(channelId, `m${i}`);

  const file = JSON.parse(fs.readFileSync(path.join(dir, "parley-store.json"), "utf8"));
  assert.equal(file.cursors.channels[channelId], 4, "the commit adding bob, then m1..m3");
  assert.equal(file.session.username, "bob");
  assert.equal((fs.statSync(path.join(dir, "parley-store.json")).mode & 0o777).toString(8), "600");

  const store2 = await FileStore.open(dir, { debounceMs: 10 });
  const bob2 = await ParleyClient.resume({ ...FAST, store: store2, e2ee: { keyStore: await openDeviceKeyStore(dir) } });
  t.after(() => bob2.close());
  const seen2 = collect(bob2, channelId);
  bob2.connect();
  await bob2.waitUntilLive();
  await until(() => seen2.length >= 2, "2 new events");
  await bob2.idle();
  assert.deepEqual(
    seen2.map((e) => e.text ?? e.content.decodeError),
    ["m4", "m5"],
    "only what was missed, once",
  );
  assert.deepEqual(
    (await store2.listEvents(channelId)).map((e) => e.seq),
    range(1, 6),
  );
  // After hooks run in registration order: the clients (and their last store writes) go first.
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
});

test("catchUpChannel opens new events without the realtime connection, and a later run does not see them again", async (t) => {
  const server = await startTestServer();
  t.after(() => server.stop());
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "parley-sdk-"));
  const device = async () => ({ store: await FileStore.open(dir, { debounceMs: 10 }), e2ee: { keyStore: await openDeviceKeyStore(dir) } });
  const { alice, bob, channelId } = await twoUsers(server.url, await device());
  t.after(() => alice.close());
  const seen = collect(bob, channelId);
  alice.connect();
  bob.connect();
  await Promise.all([alice.waitUntilLive(), bob.waitUntilLive()]);
  await alice.sendMessage(channelId, "m1");
  await until(() => seen.length === 1, "m1");
  await bob.close();
  await alice.sendMessage(channelId, "m2");
  await alice.sendMessage(channelId, "m3");

  // A short headless run (the web app's service worker opening a push): no socket, one channel.
  const headless = await ParleyClient.resume({ ...FAST, ...(await device()) });
  const opened = collect(headless, channelId);
  await headless.catchUpChannel(channelId);
  assert.equal(headless.state, "offline", "never connected");
  assert.deepEqual(
    opened.map((e) => e.text ?? e.content.decodeError),
    ["m2", "m3"],
  );
  await headless.close();

  // The next run starts after them: their MLS keys are used up, the device's copies are its history.
  await alice.sendMessage(channelId, "m4");
  const next = await ParleyClient.resume({ ...FAST, ...(await device()) });
  t.after(() => next.close());
  const later = collect(next, channelId);
  next.connect();
  await next.waitUntilLive();
  await until(() => later.some((e) => e.text === "m4"), "m4");
  await next.idle();
  assert.deepEqual(
    later.map((e) => e.seq),
    [opened.at(-1)!.seq + 1],
    "m4 only: m2 and m3 are not delivered again",
  );
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
});

test("token refresh is single-flight, rotates the refresh token and persists it", async (t) => {
  const server = await startTestServer();
  t.after(() => server.stop());
  const { alice, bob } = await twoUsers(server.url);
  t.after(() => Promise.all([alice.close(), bob.close()]));
  const store = new MemoryStore();
  const old = { ...alice.session!, accessExpiresAt: Date.now() - 1 }; // looks expired locally
  await store.saveSession(old);
  const changes: string[] = [];
  const auth = new AuthSession({
    store,
    session: old,
    onChange: (s) => {
      changes.push(s?.refreshToken ?? "ended");
    },
  });
  t.after(() => auth.close());
  const { createApi } = await import("./http.ts");
  const api = createApi({ baseUrl: server.url, tokens: auth });
  const results = await Promise.all(range(1, 5).map(() => api.call("me")));
  assert.ok(results.every((r) => r.user.username === "alice"));
  assert.equal(changes.length, 1, "one refresh for five concurrent calls");
  const saved = await store.loadSession();
  assert.notEqual(saved!.refreshToken, old.refreshToken, "rotated");
  assert.equal(saved!.refreshToken, changes[0]);
  // The old refresh token is now dead; reusing it is detected by the server.
  const stale = new AuthSession({ store: new MemoryStore(), session: old });
  t.after(() => stale.close());
  assert.equal(await stale.refresh(), false);
  assert.equal(await stale.accessToken(), undefined);
});

test("the client refreshes ahead of access-token expiry and stays usable", async (t) => {
  const server = await startTestServer({ config: { accessTokenTtl: 30 } });
  t.after(() => server.stop());
  const sessions: string[] = [];
  const { alice, bob } = await twoUsers(server.url, {
    onSessionChange: (s) => {
      sessions.push(s?.refreshToken ?? "ended");
    },
  });
  t.after(() => Promise.all([alice.close(), bob.close()]));
  bob.connect();
  await bob.waitUntilLive();
  const first = bob.session!.refreshToken;
  // With a 30 s token the refresh is due at half its lifetime.
  await until(() => sessions.length >= 2, "proactive refresh", 25_000);
  assert.notEqual(bob.session!.refreshToken, first);
  assert.equal((await bob.store.loadSession())!.refreshToken, bob.session!.refreshToken, "rotated token persisted");
  assert.equal((await bob.api.call("me")).user.username, "bob");
  assert.equal(bob.state, "live");
});
