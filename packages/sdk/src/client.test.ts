/**
 * End-to-end tests of the SDK against a real server (startTestServer) on
 * 127.0.0.1: two clients chatting (MLS-encrypted, the default codec),
 * device revocation and typed REST errors.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { startTestServer, TEST_SETUP_TOKEN } from "@parley/server/testing/harness";
import { ParleyClient, Timeline, type ReceivedEvent, type ClientOptions } from "./index.ts";

const PASSWORD = "correct horse battery staple";
const FAST: ClientOptions = { backoff: { initialMs: 50, maxMs: 500 }, gapFillDelayMs: 20 };

async function twoUsers(baseUrl: string, opts: ClientOptions = {}, bobOpts: ClientOptions = {}) {
  const alice = await ParleyClient.setup({
    ...FAST,
    ...opts,
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
  const channel = await alice.createChannel({ kind: "public", name: "general", members: [bob.userId] });
  return { alice, bob, channelId: channel.id };
}

function collect(client: ParleyClient, channelId: string): ReceivedEvent[] {
  const got: ReceivedEvent[] = [];
  client.on("event", (e) => {
    if (e.channelId === channelId) got.push(e);
  });
  return got;
}

async function until(cond: () => boolean, what: string, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

test("two clients chat: message, thread reply, reaction, edit, delete arrive decoded and in order", async (t) => {
  const server = await startTestServer();
  t.after(() => server.stop());
  const { alice, bob, channelId } = await twoUsers(server.url);
  t.after(() => Promise.all([alice.close(), bob.close()]));
  // End-to-end encrypted by default: there is no plaintext mode for users.
  assert.equal(alice.codec.encrypted, true);
  assert.equal(alice.codec.name, "mls");

  const seen = collect(bob, channelId);
  alice.connect();
  bob.connect();
  await Promise.all([alice.waitUntilLive(), bob.waitUntilLive()]);

  const m1 = await alice.sendMessage(channelId, "hello bob", { mentions: [bob.userId] });
  assert.equal(m1.duplicate, false);
  const root = m1.event.seq;
  await bob.reply(channelId, root, "hi alice");
  await bob.react(channelId, root, "👍");
  await alice.edit(channelId, root, "hello, bob");
  const extra = await alice.sendMessage(channelId, "oops");
  await alice.delete(channelId, extra.event.seq);

  await until(() => seen.length >= 6, "bob sees 6 events");
  await bob.idle();
  assert.deepEqual(
    seen.map((e) => e.seq),
    [1, 2, 3, 4, 5, 6].map((n) => root - 1 + n),
  );
  assert.deepEqual(
    seen.map((e) => e.kind),
    ["message", "message", "reaction", "edit", "message", "delete"],
  );
  assert.equal(seen[0]!.text, "hello bob");
  assert.deepEqual(seen[0]!.mentions, [bob.userId]);
  assert.equal(seen[1]!.threadRoot, root);
  assert.equal(seen[1]!.own, true);
  assert.equal(seen[2]!.emoji, "👍");
  assert.equal(seen[2]!.target, root);
  assert.equal(seen[3]!.text, "hello, bob");
  assert.equal(seen[5]!.target, extra.event.seq);
  assert.deepEqual((await bob.store.loadCursors()).channels[channelId], seen[5]!.seq);

  // The materialised view applies edit, reaction, reply and delete.
  const view = new Timeline(channelId);
  view.applyAll(seen);
  const top = view.messages();
  assert.deepEqual(
    top.map((m) => [m.text, m.edited, m.deleted, m.replyCount]),
    [
      ["hello, bob", true, false, 1],
      ["", false, true, 0],
    ],
  );
  assert.deepEqual([...top[0]!.reactions.get("👍")!], [bob.userId]);
  assert.deepEqual(
    view.thread(root).map((m) => m.text),
    ["hi alice"],
  );
  // Retracting the reaction (deleting the reaction event) removes it from the view.
  const reaction = seen[2]!;
  await bob.delete(channelId, reaction.seq);
  await until(() => seen.length >= 7, "retraction arrives");
  view.apply(seen[6]!);
  assert.equal(view.get(root)!.reactions.size, 0);
});

test("a revoked device's connection ends in state revoked", async (t) => {
  const server = await startTestServer();
  t.after(() => server.stop());
  const { alice, bob } = await twoUsers(server.url);
  t.after(() => Promise.all([alice.close(), bob.close()]));
  bob.connect();
  await bob.waitUntilLive();
  const revoked = bob.next("connection", (c) => c.state === "revoked", 10_000);
  await alice.api.call("adminRevokeDevice", { params: { id: bob.userId, deviceId: bob.session!.deviceId } });
  const change = await revoked;
  assert.equal(change.state, "revoked");
  await new Promise((r) => setTimeout(r, 200));
  assert.equal(bob.state, "revoked", "no reconnect attempts after revocation");
});

test("typed REST errors: validation, not found, and auth failures carry stable codes", async (t) => {
  const server = await startTestServer();
  t.after(() => server.stop());
  const { alice, bob } = await twoUsers(server.url);
  t.after(() => Promise.all([alice.close(), bob.close()]));
  await assert.rejects(alice.api.call("getChannel", { params: { channelId: "nope" } }), (e: unknown) => {
    const err = e as import("./errors.ts").ParleyError;
    return err.code === "not_found" && err.status === 404 && err.isNotFound() && !err.isRetryable();
  });
  await assert.rejects(alice.api.call("createChannel", { body: { kind: "public", name: "" } }), { code: "validation_failed", status: 400 });
  await assert.rejects(ParleyClient.login({ baseUrl: server.url, org: "acme", username: "bob", password: "wrong password!" }), { code: "invalid_credentials" });
});
