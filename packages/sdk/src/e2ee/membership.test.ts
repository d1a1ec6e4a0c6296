/**
 * MLS group membership through real SDK clients and a real server: invites
 * (no history before joining), kicks (nothing readable after), concurrent
 * adds, messages that arrive before their Welcome, a user's new device,
 * device revocation, and encrypted files.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { startTestServer } from "@parley/server/testing/harness";
import { isE2eeError } from "@parley/crypto";
import type { HistoryUnavailableNotice } from "./engine.ts";
import { readStream } from "./files.ts";
import { collect, makeOrg, texts, until } from "../testing/e2ee-clients.ts";

async function setup(t: import("node:test").TestContext) {
  const server = await startTestServer();
  t.after(() => server.stop());
  const org = await makeOrg(server.url);
  t.after(() => org.closeAll());
  return { server, org };
}

const live = async (...cs: { connect(): void; waitUntilLive(): Promise<void> }[]) => {
  for (const c of cs) c.connect();
  await Promise.all(cs.map((c) => c.waitUntilLive()));
};

test("an invited user reads new messages, not old ones; a kicked user reads nothing after the kick", async (t) => {
  const { org } = await setup(t);
  const alice = org.owner;
  const bob = await org.user("bob");
  const carol = await org.user("carol");
  await live(alice, bob, carol);
  const ch = await alice.createChannel({ kind: "private", name: "team", members: [bob.userId] });
  await alice.sendMessage(ch.id, "before carol");
  const seenCarol = collect(carol, ch.id);
  const gaps: HistoryUnavailableNotice[] = [];
  carol.on("historyUnavailable", (n) => gaps.push(n));
  await alice.addMembers(ch.id, [carol.userId]);
  const m2 = await bob.sendMessage(ch.id, "welcome carol");
  await until(() => seenCarol.length >= 1, "carol reads the new message");
  assert.deepEqual(texts(seenCarol), ["welcome carol"]);
  assert.ok(gaps.length >= 1 && gaps[0]!.beforeSeq <= m2.event.seq, "carol is told the earlier history is unavailable");

  const seenBob = collect(bob, ch.id);
  await alice.removeMember(ch.id, carol.userId);
  // The server proposes carol's removal; a member's client commits it before anyone can send again.
  await until(() => !alice.e2ee!.members(ch.id)!.some((m) => m.userId === carol.userId), "carol's leaf is removed");
  await alice.sendMessage(ch.id, "after the kick");
  await until(() => seenBob.length >= 1, "bob reads it");
  assert.equal(seenBob[0]!.text, "after the kick");
  const all = await alice.api.call("listEvents", { params: { channelId: ch.id }, query: { after: 0 } });
  const secret = all.events.find((e) => e.clientId === seenBob[0]!.clientId)!;
  // Even handed the ciphertext, carol's device cannot open it: her group never reaches that epoch.
  await carol.e2ee!.receive(ch.id, [secret]);
  await new Promise((r) => setTimeout(r, 300));
  assert.ok(!texts(seenCarol).includes("after the kick"));
});

test("two members adding people at once end in the same epoch and read every message", async (t) => {
  const { org } = await setup(t);
  const alice = org.owner;
  const bob = await org.user("bob");
  const carol = await org.user("carol");
  const dave = await org.user("dave");
  await live(alice, bob, carol, dave);
  const ch = await alice.createChannel({ kind: "private", name: "race", members: [bob.userId] });
  await alice.api.call("setMemberRole", { params: { channelId: ch.id, userId: bob.userId }, body: { role: "admin" } });
  await Promise.all([alice.addMembers(ch.id, [carol.userId]), bob.addMembers(ch.id, [dave.userId])]);
  const seen = [alice, bob, carol, dave].map((c) => collect(c, ch.id));
  for (const [i, c] of [alice, bob, carol, dave].entries()) await c.sendMessage(ch.id, `m${i}`);
  await until(() => seen.every((s) => s.length >= 4), "everyone reads 4 messages");
  for (const s of seen) assert.deepEqual(texts(s), ["m0", "m1", "m2", "m3"]);
  const epochs = [alice, bob, carol, dave].map((c) => c.e2ee!.epochOf(ch.id));
  assert.ok(
    epochs.every((e) => e === epochs[0]),
    `epochs ${epochs.join(",")}`,
  );
});

test("a message that arrives before this device's Welcome waits, then decrypts", async (t) => {
  const { org } = await setup(t);
  const alice = org.owner;
  // Carol's Welcome downloads are slow: the channel's events reach her first.
  const slow: typeof fetch = async (input, init) => {
    if (String(input instanceof Request ? input.url : input).includes("/welcomes/")) await new Promise((r) => setTimeout(r, 700));
    return fetch(input, init);
  };
  const carol = await org.user("carol", { fetch: slow });
  await live(alice, carol);
  const seen = collect(carol, "");
  const undecryptable: unknown[] = [];
  carol.on("undecryptable", (n) => undecryptable.push(n));
  const ch = await alice.createChannel({ kind: "private", name: "fast", members: [carol.userId] });
  carol.on("event", (e) => {
    if (e.channelId === ch.id) seen.push(e);
  });
  await alice.sendMessage(ch.id, "early bird");
  await until(() => seen.length >= 1, "carol reads it once her Welcome is in");
  assert.equal(seen[0]!.text, "early bird");
  assert.deepEqual(undecryptable, []);
});

test("a new device of an existing user joins its channels; a revoked device is removed from them", async (t) => {
  const { org } = await setup(t);
  const alice = org.owner;
  const bob = await org.user("bob");
  await live(alice, bob);
  const ch = await alice.createChannel({ kind: "private", name: "devices", members: [bob.userId] });
  await alice.sendMessage(ch.id, "old news");
  const phone = await org.device("bob");
  const gaps: HistoryUnavailableNotice[] = [];
  phone.on("historyUnavailable", (n) => gaps.push(n));
  const seenPhone = collect(phone, ch.id);
  await live(phone);
  await until(() => !!alice.e2ee!.members(ch.id)?.some((m) => m.deviceId === phone.session!.deviceId), "bob's phone joined the group", 20_000);
  await alice.sendMessage(ch.id, "fresh news");
  await until(() => seenPhone.length >= 1, "the phone reads new messages");
  assert.deepEqual(texts(seenPhone), ["fresh news"]);
  assert.ok(gaps.length >= 1, "the phone is told older history is unavailable");

  await alice.api.call("adminRevokeDevice", { params: { id: bob.userId, deviceId: phone.session!.deviceId } });
  await until(() => !alice.e2ee!.members(ch.id)!.some((m) => m.deviceId === phone.session!.deviceId), "the revoked device's leaf is removed", 20_000);
  const seenBob = collect(bob, ch.id);
  await alice.sendMessage(ch.id, "after revocation");
  await until(() => seenBob.length >= 1, "bob's laptop still reads");
  assert.equal(seenBob[0]!.text, "after revocation");
});

test("files: upload/download is byte-identical; a digest mismatch or tampering is rejected", async (t) => {
  const { org } = await setup(t);
  const alice = org.owner;
  const bob = await org.user("bob");
  await live(alice, bob);
  const ch = await alice.createChannel({ kind: "private", name: "files", members: [bob.userId] });
  const data = new Uint8Array(randomBytes(200_000));
  const seen = collect(bob, ch.id);
  await alice.sendFile(ch.id, data, { name: "blob.bin", mime: "application/octet-stream", text: "see attached" });
  await until(() => seen.length >= 1, "bob gets the message");
  const [file] = seen[0]!.content.files as import("./files.ts").FileDescriptor[];
  assert.equal(file!.name, "blob.bin");
  assert.deepEqual(await readStream(await bob.downloadFile(file!)), data);

  const wrongDigest = { ...file!, digest: Buffer.alloc(32, 7).toString("base64") };
  await assert.rejects(readStream(await bob.downloadFile(wrongDigest)), (e: unknown) => isE2eeError(e, "attachment_digest_mismatch"));
  const wrongKey = { ...file!, key: Buffer.alloc(32, 1).toString("base64") };
  await assert.rejects(readStream(await bob.downloadFile(wrongKey)), (e: unknown) => isE2eeError(e, "attachment_tampered"));
});

test("tampered and replayed ciphertext is reported as undecryptable, and the timeline moves on", async (t) => {
  const { org } = await setup(t);
  const alice = org.owner;
  const bob = await org.user("bob");
  await live(alice, bob);
  const ch = await alice.createChannel({ kind: "private", name: "tamper", members: [bob.userId] });
  const seen = collect(bob, ch.id);
  const bad: import("./engine.ts").UndecryptableNotice[] = [];
  bob.on("undecryptable", (n) => bad.push(n));
  const sent = await alice.sendMessage(ch.id, "genuine");
  await until(() => seen.length >= 1, "bob reads it");
  await bob.idle();
  // A fresh ciphertext of alice's, handed to bob's engine as if the server had relayed it (tampered, genuine, replayed).
  const clientId = "manual-0001";
  const sealed = await alice.codec.encode(ch.id, { text: "second" }, { clientId, kind: "message" });
  const genuine = { ...sent.event, id: "genuine2", clientId, epoch: sealed.epoch!, content: Buffer.from(sealed.bytes).toString("base64") };
  const bytes = Buffer.from(sealed.bytes);
  bytes[bytes.length - 5]! ^= 1;
  const next = sent.event.seq + 100;
  await bob.e2ee!.receive(ch.id, [
    { ...genuine, id: "tampered1", seq: next, content: bytes.toString("base64") },
    { ...genuine, seq: next + 1 },
    { ...genuine, id: "replayed1", seq: next + 2 },
  ]);
  await until(() => bad.length >= 2, "both reported");
  assert.deepEqual(
    bad.map((b) => b.reason),
    ["tampered", "replay"],
  );
  // The tampered copy left the group state intact: the genuine one still decrypts.
  assert.deepEqual(
    texts(seen).map((x) => (x.startsWith("!") ? "!" : x)),
    ["genuine", "!", "second", "!"],
  );
});

test("one device making two changes at once: both commits land in turn and its own echo is never taken for a foreign commit", async (t) => {
  const server = await startTestServer();
  t.after(() => server.stop());
  // The owner's commit answers arrive late (after the server applied them), so a second
  // change is built while the first one's verdict is still on its way.
  const slowCommits: typeof fetch = async (input, init) => {
    const res = await fetch(input, init);
    if (init?.method === "POST" && String(input).endsWith("/commits")) await new Promise((r) => setTimeout(r, 400));
    return res;
  };
  const org = await makeOrg(server.url, { fetch: slowCommits });
  t.after(() => org.closeAll());
  const alice = org.owner;
  const [bob, carol, dave] = [await org.user("bob"), await org.user("carol"), await org.user("dave")];
  await live(alice, bob, carol, dave);
  const ch = await alice.createChannel({ kind: "private", name: "two-at-once", members: [bob.userId] });
  const undecryptable: unknown[] = [];
  for (const c of [alice, bob]) c.on("undecryptable", (n) => undecryptable.push(n));
  // Two adds and two key rotations (commits with an UpdatePath, which no device can process as someone else's).
  await Promise.all([
    alice.addMembers(ch.id, [carol.userId]),
    alice.e2ee!.selfUpdate(ch.id),
    alice.addMembers(ch.id, [dave.userId]),
    alice.e2ee!.selfUpdate(ch.id),
  ]);
  const seen = [bob, carol, dave].map((c) => collect(c, ch.id));
  await alice.sendMessage(ch.id, "all here");
  await until(() => seen.every((s) => texts(s).includes("all here")), "bob, carol and dave read it");
  assert.deepEqual(undecryptable, []);
  assert.equal(alice.e2ee!.epochOf(ch.id), bob.e2ee!.epochOf(ch.id));
});

// Regression (seen in test/e2ee-faults.test.ts): a new device's first look at its channels failed while
// the server was away, and it never joined their groups. Here the listing fails twice while the
// connection stays live: the device tries again and joins.
test("a new device whose channel listing fails at first still joins its channels' groups", async (t) => {
  const { org } = await setup(t);
  const alice = org.owner;
  const bob = await org.user("bob");
  await live(alice, bob);
  const ch = await alice.createChannel({ kind: "private", name: "retry", members: [bob.userId] });
  let refused = 0;
  const flaky: typeof fetch = (input, init) => {
    const url = typeof input === "string" ? input : input instanceof URL ? input.href : input.url;
    if ((init?.method ?? "GET") === "GET" && new URL(url).pathname === "/api/v1/channels" && refused < 2) {
      refused++;
      return Promise.reject(new TypeError("fetch failed"));
    }
    return fetch(input, init);
  };
  const phone = await org.device("bob", { fetch: flaky });
  const errors: unknown[] = [];
  phone.on("error", (e) => errors.push(e));
  const seen = collect(phone, ch.id);
  await live(phone);
  await until(() => phone.e2ee!.members(ch.id)?.some((m) => m.deviceId === phone.session?.deviceId) ?? false, "the new device joined the group", 20_000);
  assert.equal(refused, 2, "the listing failed twice");
  assert.ok(errors.length >= 2, "and each failure was reported");
  await alice.sendMessage(ch.id, "for every device");
  await until(() => seen.some((e) => e.text === "for every device"), "the new device reads the channel");
});
