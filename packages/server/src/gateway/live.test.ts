/** Live frames: fan-out, membership changes, send/ack, typing, read receipts, revocation, profiles, custom emoji (presence: presence.test.ts). */
import { test } from "node:test";
import assert from "node:assert/strict";
import { CLOSE_CODES, type ServerFrameOf } from "@parley/protocol";
import { startTestServer } from "../testing/harness.ts";
import { asTestUser, bootstrapOrg, loginUser, makeOrg, makeUser, TEST_PASSWORD, type TestUser } from "../testing/factories.ts";
import { connectUser, postText, type TestSocket } from "./test-client.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const eventSeqs = (s: TestSocket, ch: string) =>
  s
    .of("event")
    .filter((f) => f.event.channelId === ch)
    .map((f) => f.event.seq);

async function setup() {
  const server = await startTestServer();
  const owner = await bootstrapOrg(server);
  const bob = await makeUser(server, owner);
  const carol = await makeUser(server, owner);
  const r = await owner.api("POST", "/channels", { kind: "public", name: "general", members: [bob.user.id] });
  assert.equal(r.status, 201);
  return { server, owner, bob, carol, ch: r.body.id as string };
}

test("fan-out: every member's connections get the event once; non-members get nothing", async (t) => {
  const { server, owner, bob, carol, ch } = await setup();
  t.after(() => server.stop());
  const bob2 = asTestUser(server, await loginUser(server, owner.org.slug, bob.user.username, TEST_PASSWORD, { deviceName: "phone" }), TEST_PASSWORD);
  const sockets = await Promise.all([owner, bob, bob2, carol].map((u) => connectUser(server.url, u.accessToken)));
  const [so, sb, sb2, sc] = sockets as [TestSocket, TestSocket, TestSocket, TestSocket];
  const before = (await server.deps.metrics.deliveries.get()).values[0]?.value ?? 0;
  const seq = await postText(owner, ch, "hi all");
  for (const s of [so, sb, sb2]) {
    const f = await s.waitFor<ServerFrameOf<"event">>((x) => x.t === "event" && x.event.seq === seq);
    assert.equal(Buffer.from(f.event.content, "base64").toString(), "hi all");
  }
  await sleep(100);
  assert.deepEqual(eventSeqs(sc, ch), []);
  for (const s of [so, sb, sb2]) assert.deepEqual(eventSeqs(s, ch), [seq]);
  const after = (await server.deps.metrics.deliveries.get()).values[0]?.value ?? 0;
  assert.equal(after - before, 3);
  const latency = await server.deps.metrics.fanoutLatency.get();
  assert.ok(latency.values.some((v) => v.metricName?.endsWith("_count") && v.value >= 1));
  const gauge = await server.deps.metrics.wsConnections.get();
  assert.equal(gauge.values[0]?.value, 4);
  for (const s of sockets) await s.close();
});

test("membership: an added user starts receiving, a removed one stops", async (t) => {
  const { server, owner, bob, carol, ch } = await setup();
  t.after(() => server.stop());
  const sb = await connectUser(server.url, bob.accessToken);
  const sc = await connectUser(server.url, carol.accessToken);
  assert.equal((await owner.api("POST", `/channels/${ch}/members`, { userIds: [carol.user.id] })).status, 200);
  await sc.waitFor((f) => f.t === "user" && f.item.kind === "channel.joined" && f.item.channelId === ch);
  const s1 = await postText(owner, ch, "welcome carol");
  await sc.waitFor((f) => f.t === "event" && f.event.seq === s1);
  assert.equal((await owner.api("DELETE", `/channels/${ch}/members/${carol.user.id}`)).status < 300, true);
  await sc.waitFor((f) => f.t === "user" && f.item.kind === "channel.left");
  const s2 = await postText(owner, ch, "bye carol");
  await sb.waitFor((f) => f.t === "event" && f.event.seq === s2);
  await sleep(100);
  assert.deepEqual(eventSeqs(sc, ch), [s1]);
  await sb.close();
  await sc.close();
});

test("send frame: ack with the persisted event, duplicate on retry, error with the same ref", async (t) => {
  const { server, owner, bob, carol, ch } = await setup();
  t.after(() => server.stop());
  const so = await connectUser(server.url, owner.accessToken);
  const sb = await connectUser(server.url, bob.accessToken);
  const frame = { t: "send", ref: "r1", channelId: ch, clientId: "client-0001", kind: "message", content: Buffer.from("yo").toString("base64") } as const;
  so.send(frame);
  const ack = await so.waitFor<ServerFrameOf<"ack">>((f) => f.t === "ack" && f.ref === "r1");
  assert.equal(ack.duplicate, false);
  assert.equal(ack.event.clientId, "client-0001");
  await sb.waitFor((f) => f.t === "event" && f.event.seq === ack.event.seq);
  so.send({ ...frame, ref: "r2" });
  const dup = await so.waitFor<ServerFrameOf<"ack">>((f) => f.t === "ack" && f.ref === "r2");
  assert.equal(dup.duplicate, true);
  assert.equal(dup.event.seq, ack.event.seq);
  // Not a member: the command's error comes back with the ref; the connection stays open.
  const sc = await connectUser(server.url, carol.accessToken);
  sc.send({ ...frame, ref: "r3", clientId: "client-0002" });
  const err = await sc.waitFor<ServerFrameOf<"error">>((f) => f.t === "error" && f.ref === "r3");
  assert.equal(err.code, "forbidden");
  sc.send({ t: "ping", ref: "still-open" });
  await sc.waitFor((f) => f.t === "pong");
  for (const s of [so, sb, sc]) await s.close();
});

test("typing: members get it, the typist's own connections do not; non-members are refused", async (t) => {
  const { server, owner, bob, carol, ch } = await setup();
  t.after(() => server.stop());
  const so = await connectUser(server.url, owner.accessToken);
  const sb = await connectUser(server.url, bob.accessToken);
  const sc = await connectUser(server.url, carol.accessToken);
  so.send({ t: "typing", channelId: ch });
  const f = await sb.waitFor<ServerFrameOf<"typing">>((x) => x.t === "typing");
  assert.deepEqual(f, { t: "typing", channelId: ch, userId: owner.user.id, threadRoot: null });
  so.send({ t: "typing", channelId: ch }); // coalesced (within 1 s)
  sc.send({ t: "typing", channelId: ch });
  assert.equal((await sc.waitFor<ServerFrameOf<"error">>((x) => x.t === "error")).code, "not_found");
  await sleep(150);
  assert.equal(sb.of("typing").length, 1);
  assert.equal(so.of("typing").length, 0);
  assert.equal(sc.of("typing").length, 0);
  for (const s of [so, sb, sc]) await s.close();
});

test("read: the channel's connections get the receipt", async (t) => {
  const { server, owner, bob, ch } = await setup();
  t.after(() => server.stop());
  const seq = await postText(owner, ch, "read me");
  const so = await connectUser(server.url, owner.accessToken);
  const sb = await connectUser(server.url, bob.accessToken);
  sb.send({ t: "read", channelId: ch, seq });
  const f = await so.waitFor<ServerFrameOf<"read">>((x) => x.t === "read");
  assert.deepEqual(f, { t: "read", channelId: ch, userId: bob.user.id, seq });
  const mine = await bob.api("GET", "/channels");
  assert.equal(mine.body.channels.find((c: { id: string }) => c.id === ch).readSeq, seq);
  for (const s of [so, sb]) await s.close();
});

test("revocation: logging out a session closes its sockets with 4403, others stay", async (t) => {
  const { server, owner, bob } = await setup();
  t.after(() => server.stop());
  const phone: TestUser = asTestUser(server, await loginUser(server, owner.org.slug, bob.user.username, TEST_PASSWORD, { deviceName: "phone" }), TEST_PASSWORD);
  const laptop = await connectUser(server.url, bob.accessToken);
  const mobile = await connectUser(server.url, phone.accessToken);
  assert.ok((await phone.api("POST", "/auth/logout")).status < 300);
  assert.equal((await mobile.closed).code, CLOSE_CODES.revoked);
  laptop.send({ t: "ping" });
  await laptop.waitFor((f) => f.t === "pong");
  // Deactivating the user closes all of them.
  assert.ok((await owner.api("POST", `/users/${bob.user.id}/deactivate`)).status < 300);
  assert.equal((await laptop.closed).code, CLOSE_CODES.revoked);
});

test("profile: a user's new status reaches every socket of their org without the email; another org's sockets get nothing", async (t) => {
  const { server, owner, bob } = await setup();
  t.after(() => server.stop());
  const other = await makeOrg(server);
  // Bob shares no channel with the owner's change: the frame goes to the org, not to a channel.
  const [sb, so, sx] = await Promise.all([bob, owner, other].map((u) => connectUser(server.url, u.accessToken)));
  const res = await owner.api("PATCH", "/me", { statusText: "in a meeting", statusEmoji: "📅", title: "Head of Ops" });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  for (const s of [sb!, so!]) {
    const f = await s.waitFor<ServerFrameOf<"profile">>((x) => x.t === "profile" && x.user.id === owner.user.id);
    assert.equal(f.user.statusText, "in a meeting");
    assert.equal(f.user.statusEmoji, "📅");
    assert.equal(f.user.title, "Head of Ops");
    assert.equal("email" in f.user, false, "the email stays out of the org's view");
  }
  // An admin's change to another user (deactivation) is a profile change too.
  assert.equal((await owner.api("POST", `/users/${bob.user.id}/deactivate`)).status, 200);
  await so!.waitFor<ServerFrameOf<"profile">>((x) => x.t === "profile" && x.user.id === bob.user.id && x.user.deactivated);
  await sleep(100);
  assert.deepEqual(sx!.of("profile"), []);
  for (const s of [sb!, so!, sx!]) await s.close();
});

test("emoji: an admin's upload and delete of a custom emoji reach every socket of the org (no image bytes); another org's sockets get nothing", async (t) => {
  const { server, owner, bob } = await setup();
  t.after(() => server.stop());
  const other = await makeOrg(server);
  const [sb, so, sx] = await Promise.all([bob, owner, other].map((u) => connectUser(server.url, u.accessToken)));
  const ihdr = Buffer.alloc(8);
  ihdr.writeUInt32BE(32, 0);
  ihdr.writeUInt32BE(24, 4);
  const image = Buffer.concat([Buffer.from("89504e470d0a1a0a0000000d49484452", "hex"), ihdr, Buffer.alloc(32, 7)]);
  const put = await owner.api("PUT", "/emoji/ship-it", { contentType: "image/png", data: image.toString("base64") });
  assert.equal(put.status, 201, JSON.stringify(put.body));
  for (const s of [sb!, so!]) {
    const f = await s.waitFor<ServerFrameOf<"emoji">>((x) => x.t === "emoji" && x.name === "ship-it" && x.emoji !== null);
    assert.deepEqual(f.emoji, put.body);
    assert.equal("data" in f.emoji!, false);
  }
  // A refused upload (a member without org.manage_emoji) tells nobody.
  assert.equal((await bob.api("PUT", "/emoji/nope", { contentType: "image/png", data: image.toString("base64") })).status, 403);
  assert.equal((await owner.api("DELETE", "/emoji/ship-it")).status, 204);
  for (const s of [sb!, so!]) await s.waitFor<ServerFrameOf<"emoji">>((x) => x.t === "emoji" && x.name === "ship-it" && x.emoji === null);
  await sleep(100);
  assert.deepEqual(sx!.of("emoji"), []);
  assert.deepEqual(
    sb!.of("emoji").map((f) => f.name),
    ["ship-it", "ship-it"],
  );
  for (const s of [sb!, so!, sx!]) await s.close();
});
