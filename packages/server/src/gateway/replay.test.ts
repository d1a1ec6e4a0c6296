/** Replay after hello: user stream, channel pages from cursors, then live with no gap or duplicate. */
import { test } from "node:test";
import assert from "node:assert/strict";
import type { Socket } from "node:net";
import { DEFAULT_LIMITS, type Event, type ServerFrame } from "@parley/protocol";
import { startTestServer, type TestDialect } from "../testing/harness.ts";
import { bootstrapOrg, type TestUser } from "../testing/factories.ts";
import { connectUser, openSocket, postText } from "./test-client.ts";

async function channelWith(owner: TestUser, name: string, members: string[] = []): Promise<string> {
  const r = await owner.api("POST", "/channels", { kind: "public", name, members });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  return r.body.id as string;
}

/** Channel seqs in the order the socket delivered them (sync pages, then live events). */
function seqsOf(frames: ServerFrame[], channelId: string): number[] {
  const out: number[] = [];
  for (const f of frames) {
    if (f.t === "sync" && f.channelId === channelId) out.push(...f.events.map((e: Event) => e.seq));
    if (f.t === "event" && f.event.channelId === channelId) out.push(f.event.seq);
  }
  return out;
}

/** Post `n` messages with `parallel` requests in flight (the server's group commit batches them). */
async function postMany(owner: TestUser, ch: string, n: number, parallel: number, prefix: string): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      while (next < n) {
        const i = next++;
        await postText(owner, ch, `${prefix}${i}`);
      }
    }),
  );
}

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

test("replay: user stream items, then channel events after each cursor in pages of <= 200, then synced", async (t) => {
  const server = await startTestServer();
  t.after(() => server.stop());
  const owner = await bootstrapOrg(server);
  const a = await channelWith(owner, "alpha");
  const b = await channelWith(owner, "beta");
  await postText(owner, a, "a0");
  await postMany(owner, a, 229, 8, "a");
  for (let i = 0; i < 5; i++) await postText(owner, b, `b${i}`);

  const s = await connectUser(server.url, owner.accessToken);
  const types = s.frames.map((f) => f.t);
  assert.equal(types[0], "ready");
  assert.equal(types[1], "sync.user");
  const synced = types.indexOf("synced");
  assert.ok(
    types.slice(2, synced).every((x) => x === "sync"),
    types.join(","),
  );
  const items = s.of("sync.user").flatMap((f) => f.items);
  assert.ok(items.some((i) => i.kind === "channel.joined" && i.channelId === a));
  for (const f of s.of("sync")) assert.ok(f.events.length <= 200);
  assert.equal(s.of("sync").filter((f) => f.channelId === a).length, 2);
  assert.deepEqual(seqsOf(s.frames, a), range(1, 230));
  assert.deepEqual(seqsOf(s.frames, b), range(1, 5));
  // Content is passed through untouched.
  const first = s.of("sync").find((f) => f.channelId === a)!.events[0]!;
  assert.equal(Buffer.from(first.content, "base64").toString(), "a0");
  await s.close();

  // From cursors: only what is missing; a channel not named starts at 0.
  const lastUser = items[items.length - 1]!.seq;
  const s2 = await connectUser(server.url, owner.accessToken, { user: lastUser, channels: { [a]: 225 } });
  assert.equal(s2.of("sync.user").length, 0);
  assert.deepEqual(seqsOf(s2.frames, a), range(226, 230));
  assert.deepEqual(seqsOf(s2.frames, b), range(1, 5));
  await s2.close();

  // live: true skips replay.
  const s3 = await connectUser(server.url, owner.accessToken, {}, true);
  assert.deepEqual(
    s3.frames.map((f) => f.t),
    ["ready", "synced"],
  );
  await s3.close();
});

/**
 * Deterministic race: the client stops reading, so replay stalls on
 * backpressure; events posted meanwhile reach the live buffer. Channels replay
 * in id order: `first` (one small page, already sent when the stall begins ->
 * its new events must be flushed) then `second` (a 12 MB backlog, replayed in
 * byte-bounded pages: replay stalls inside it, and its later pages include the
 * new events -> the buffered copies must be dropped).
 */
async function replayDuringSends(dialect: TestDialect) {
  const server = await startTestServer({ dialect });
  try {
    const owner = await bootstrapOrg(server);
    const [first, second] = [await channelWith(owner, "one"), await channelWith(owner, "two")].sort();
    const big = Buffer.alloc(60_000, 7).toString("base64");
    let n = 0;
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        while (n < 200) {
          n++;
          const r = await owner.api("POST", `/channels/${second}/events`, {
            clientId: `big-${n}-${Math.random().toString(36).slice(2)}`,
            kind: "message",
            content: big,
          });
          assert.equal(r.status, 200);
        }
      }),
    );
    await postText(owner, first!, "hello");

    const s = await openSocket(server.url);
    const raw = (s.ws as unknown as { _socket: Socket })._socket;
    raw.pause();
    s.send({ t: "hello", token: owner.accessToken, cursors: { user: 0, channels: {} } });
    await new Promise((r) => setTimeout(r, 500)); // replay sends `first` and stalls inside `second`
    for (let i = 0; i < 3; i++) {
      await postText(owner, first!, `late-1-${i}`);
      await postText(owner, second!, `late-2-${i}`);
    }
    raw.resume();
    await s.waitFor((f) => f.t === "synced", 15_000);
    await s.waitFor((f) => f.t === "event" && f.event.channelId === first && f.event.seq === 4, 5000);
    assert.deepEqual(seqsOf(s.frames, second!), range(1, 203), "every event exactly once, in order");
    assert.deepEqual(seqsOf(s.frames, first!), range(1, 4));
    // Byte-bounded pages: at most DEFAULT_LIMITS.syncPageBytes of content (60 KB events: 4 a page).
    const pageBytes = s
      .of("sync")
      .filter((f) => f.channelId === second)
      .map((f) => f.events.reduce((n, e) => n + Buffer.from(e.content, "base64").length, 0));
    assert.ok(pageBytes.length >= 40 && pageBytes.every((n) => n <= DEFAULT_LIMITS.syncPageBytes), pageBytes.join(","));
    const synced = s.frames.findIndex((f) => f.t === "synced");
    assert.ok(s.frames.slice(0, synced).every((f) => ["ready", "sync", "sync.user"].includes(f.t)));
    const stats = server.logs.map((l) => JSON.parse(l) as { msg: string; flushed?: number; dropped?: number }).find((l) => l.msg === "replay finished");
    assert.equal(stats?.flushed, 3, JSON.stringify(stats));
    assert.equal(stats?.dropped, 3, JSON.stringify(stats));
    await s.close();
  } finally {
    await server.stop();
  }
}

test("replay: events sent during replay arrive exactly once, in order (sqlite)", async () => {
  await replayDuringSends("sqlite");
});

test("replay: events sent during replay arrive exactly once, in order (postgres)", async () => {
  await replayDuringSends("postgres");
});

test("replay: a member kicked while replay is stalled gets nothing posted after the kick", async () => {
  const server = await startTestServer();
  try {
    const owner = await bootstrapOrg(server);
    const { makeUser } = await import("../testing/factories.ts");
    const u = await makeUser(server, owner);
    const make = async (name: string) => (await owner.api("POST", "/channels", { kind: "private", name, members: [u.user.id] })).body.id as string;
    const [first, second] = [await make("kick-one"), await make("kick-two")].sort();
    // A big backlog in the channel replayed first stalls replay before the second one.
    const big = Buffer.alloc(60_000, 7).toString("base64");
    for (let i = 0; i < 200; i++) {
      const r = await owner.api("POST", `/channels/${first}/events`, { clientId: `backlog-${i}-xyz`, kind: "message", content: big });
      assert.equal(r.status, 200);
    }
    const s = await openSocket(server.url);
    const raw = (s.ws as unknown as { _socket: Socket })._socket;
    raw.pause();
    s.send({ t: "hello", token: u.accessToken, cursors: { user: 0, channels: {} } });
    await new Promise((r) => setTimeout(r, 300));
    assert.equal((await owner.api("DELETE", `/channels/${second}/members/${u.user.id}`)).status, 204);
    await postText(owner, second!, "posted after the kick");
    raw.resume();
    await s.waitFor((f) => f.t === "synced", 15_000);
    await new Promise((r) => setTimeout(r, 200));
    assert.deepEqual(seqsOf(s.frames, second!), [], "nothing of the channel the user was kicked from");
    await s.close();
  } finally {
    await server.stop();
  }
});
