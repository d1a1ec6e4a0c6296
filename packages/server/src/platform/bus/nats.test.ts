/**
 * The NATS bus with a real nats-server: three Parley nodes on one PostgreSQL database deliver to
 * each other's clients — channel events, user-stream items and revocations cross nodes; a node
 * receives from NATS only what is for a channel, user or org it has a connection for (no
 * per-message broadcast); while NATS is down the nodes report not ready, and what was committed
 * meanwhile reaches the other nodes' clients once it is back (the outbox sweep, and the clients'
 * replay: a node back on the bus closes its sockets with 1012). A node partitioned from NATS
 * alone misses what the others publish; back on the bus, its clients reconnect and replay it.
 * With tracing off a message carries no headers (test/trace-across-nodes.test.ts: with it on).
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { CLOSE_CODES, type ServerFrameOf } from "@parley/protocol";
import { createTestDatabase, startTestServer, type TestServer } from "../../testing/harness.ts";
import { asTestUser, bootstrapOrg, makeUser, type TestUser } from "../../testing/factories.ts";
import { startTestNats, watchRaw, type TestNats } from "../../testing/nats.ts";
import { startTcpProxy } from "../../testing/tcp-proxy.ts";
import { connectUser, postText, type TestSocket } from "../../gateway/test-client.ts";
import { waitUntil } from "../../testing/jobs.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Messages of `topic` the node received from NATS (parley_bus_messages_total). */
async function received(s: TestServer, topic: string): Promise<number> {
  const m = await s.deps.metrics.busMessages.get();
  return m.values.find((v) => v.labels.direction === "received" && v.labels.topic === topic)?.value ?? 0;
}

async function readyz(s: TestServer): Promise<{ status: number; body: { checks: { bus: boolean } } }> {
  const r = await fetch(`${s.url}/readyz`);
  return { status: r.status, body: (await r.json()) as { checks: { bus: boolean } } };
}

const eventSeqs = (s: TestSocket, ch: string) =>
  s
    .of("event")
    .filter((f) => f.event.channelId === ch)
    .map((f) => f.event.seq);

describe("NATS bus: three nodes on one PostgreSQL database", { timeout: 120_000 }, () => {
  let nats: TestNats;
  let a: TestServer, b: TestServer, c: TestServer;
  let owner: TestUser, ownerOnB: TestUser, bob: TestUser, carol: TestUser;
  let ch: string;
  const sockets: TestSocket[] = [];

  before(async () => {
    nats = await startTestNats();
    const database = await createTestDatabase("postgres");
    const config = { natsUrl: nats.url };
    a = await startTestServer({ database, config });
    b = await startTestServer({ database, config });
    c = await startTestServer({ database, config });
    owner = await bootstrapOrg(a);
    ownerOnB = asTestUser(b, owner.tokens, owner.password);
    bob = await makeUser(a, owner);
    carol = await makeUser(a, owner);
    const r = await owner.api("POST", "/channels", { kind: "public", name: "general", members: [bob.user.id] });
    assert.equal(r.status, 201);
    ch = r.body.id as string;
  });

  after(async () => {
    for (const s of sockets) await s.close().catch(() => {});
    for (const s of [a, b, c]) await s?.stop();
    await nats?.cleanup();
  });

  it("a client on node A receives a channel event sent through node B", { timeout: 30_000 }, async () => {
    const sb = await connectUser(a.url, bob.accessToken);
    sockets.push(sb);
    const seq = await postText(ownerOnB, ch, "hello across nodes");
    const f = await sb.waitFor<ServerFrameOf<"event">>((x) => x.t === "event" && x.event.seq === seq);
    assert.equal(Buffer.from(f.event.content, "base64").toString(), "hello across nodes");
    assert.equal(a.deps.bus.ready(), true);
    assert.equal((await readyz(a)).status, 200);
  });

  it("with tracing off, a message goes on the wire without headers (no trace context)", { timeout: 30_000 }, async () => {
    const wire = await watchRaw(nats.url, `parley.c.${ch}.>`);
    try {
      const seq = await postText(ownerOnB, ch, "untraced");
      await waitUntil(async () => wire.messages.some((m) => m.data.includes(`"seq":${seq}`)), 5_000, "the event on the wire");
      const m = wire.messages.find((x) => x.data.includes(`"seq":${seq}`))!;
      assert.equal(m.subject, `parley.c.${ch}.channel.event`);
      assert.equal(m.headers, undefined);
    } finally {
      await wire.close();
    }
  });

  it("user-stream items cross nodes: added on B, the client on A is told and then receives the channel", { timeout: 30_000 }, async () => {
    const sc = await connectUser(a.url, carol.accessToken);
    sockets.push(sc);
    assert.equal((await ownerOnB.api("POST", `/channels/${ch}/members`, { userIds: [carol.user.id] })).status, 200);
    await sc.waitFor((f) => f.t === "user" && f.item.kind === "channel.joined" && f.item.channelId === ch);
    const seq = await postText(ownerOnB, ch, "welcome carol");
    await sc.waitFor((f) => f.t === "event" && f.event.seq === seq);
  });

  it("a node with no connection in a channel receives none of its messages from NATS", { timeout: 30_000 }, async () => {
    // Node C serves a user of the org who is not in the channel; node B serves nobody.
    const outsider = await makeUser(a, owner);
    const so = await connectUser(c.url, outsider.accessToken);
    sockets.push(so);
    const sb = sockets[0]!;
    const [onA, onB, onC] = [await received(a, "channel.event"), await received(b, "channel.event"), await received(c, "channel.event")];
    const seqs: number[] = [];
    for (let i = 0; i < 5; i++) seqs.push(await postText(ownerOnB, ch, `m${i}`));
    for (const seq of seqs) await sb.waitFor((f) => f.t === "event" && f.event.seq === seq);
    await sleep(200);
    assert.equal((await received(a, "channel.event")) - onA, 5, "node A (members connected) got each event once");
    assert.equal((await received(b, "channel.event")) - onB, 0, "node B publishes; NATS does not echo to it and it has no socket there");
    assert.equal((await received(c, "channel.event")) - onC, 0, "node C has no connection in the channel: nothing reached it");
    assert.deepEqual(eventSeqs(so, ch), []);
  });

  it("a session revoked on node B closes its socket on node A", { timeout: 30_000 }, async () => {
    const bobOnB = asTestUser(b, bob.tokens, bob.password);
    const sock = await connectUser(a.url, bob.accessToken);
    assert.equal((await bobOnB.api("POST", "/auth/logout")).status, 204);
    const closed = await Promise.race([sock.closed, sleep(10_000).then(() => null)]);
    assert.equal(closed?.code, CLOSE_CODES.revoked);
  });

  it("NATS down: the bus and /readyz say not ready; after a restart on the same port, what was committed meanwhile arrives", { timeout: 30_000 }, async () => {
    const sc = sockets[1]!;
    const seen = Math.max(0, ...eventSeqs(sc, ch));
    await nats.stop();
    await waitUntil(async () => !a.deps.bus.ready() && !b.deps.bus.ready(), 10_000, "the nodes see NATS gone");
    const ready = await readyz(a);
    assert.equal(ready.status, 503);
    assert.equal(ready.body.checks.bus, false);
    // Committed through node B while NATS is away: acknowledged, delivered on B only.
    const seq = await postText(ownerOnB, ch, "sent while NATS was down");
    await sleep(300);
    assert.deepEqual(eventSeqs(sc, ch).includes(seq), false);
    await nats.start();
    await waitUntil(async () => a.deps.bus.ready() && b.deps.bus.ready() && c.deps.bus.ready(), 15_000, "the nodes reconnect");
    assert.equal((await readyz(a)).status, 200);
    // Node A was off the bus: it closes its sockets with 1012; the client reconnects with its
    // cursor and the replay brings what it missed (the outbox sweep also publishes B's rows).
    const closed = await Promise.race([sc.closed, sleep(10_000).then(() => null)]);
    assert.equal(closed?.code, CLOSE_CODES.serviceRestart);
    const again = await connectUser(a.url, carol.accessToken, { channels: { [ch]: seen } });
    sockets.push(again);
    await again.waitFor((f) => (f.t === "event" || f.t === "sync") && JSON.stringify(f).includes(`"seq":${seq}`), 12_000);
    // Subscriptions came back with the connection: live delivery resumes.
    const next = await postText(ownerOnB, ch, "after the restart");
    await again.waitFor((f) => f.t === "event" && f.event.seq === next, 5_000);
  });
});

describe("NATS partition of one node", { timeout: 120_000 }, () => {
  it("a node cut off from NATS misses what others publish; once back, its clients reconnect and replay it", async (t) => {
    const nats = await startTestNats();
    t.after(() => nats.cleanup());
    const cutA = await startTcpProxy(nats.port);
    t.after(() => cutA.close());
    const database = await createTestDatabase("postgres");
    const a = await startTestServer({ database, config: { natsUrl: `nats://127.0.0.1:${cutA.port}` } });
    const b = await startTestServer({ database, config: { natsUrl: nats.url } });
    t.after(async () => {
      await a.close();
      await b.stop();
    });
    const owner = await bootstrapOrg(b);
    const member = await makeUser(b, owner);
    const ch = (await owner.api("POST", "/channels", { kind: "public", name: "partition", members: [member.user.id] })).body.id as string;
    const onA = await connectUser(a.url, member.accessToken);
    const first = await postText(owner, ch, "before the partition");
    await onA.waitFor((f) => f.t === "event" && f.event.seq === first);

    cutA.cut();
    await waitUntil(async () => !a.deps.bus.ready(), 10_000, "node A sees the partition");
    assert.equal(b.deps.bus.ready(), true, "node B is still on the bus");
    const missed = await postText(owner, ch, "sent through B during the partition");
    await sleep(500);
    assert.equal(eventSeqs(onA, ch).includes(missed), false, "node A never got it from NATS");

    cutA.heal();
    const closed = await Promise.race([onA.closed, sleep(15_000).then(() => null)]);
    assert.equal(closed?.code, CLOSE_CODES.serviceRestart, "back on the bus, node A makes its clients reconnect");
    const again = await connectUser(a.url, member.accessToken, { channels: { [ch]: first } });
    t.after(() => again.close());
    const replayed = await again.waitFor((f) => f.t === "sync" && f.channelId === ch);
    assert.deepEqual(replayed.t === "sync" ? replayed.events.map((e) => e.seq) : [], [missed], "the replay brings exactly what it missed");
    const live = await postText(owner, ch, "after the partition");
    await again.waitFor((f) => f.t === "event" && f.event.seq === live, 5_000);
  });
});
