/**
 * The SDK's inbox against a real server: a mention listed by the server as metadata opens
 * decrypted on the mentioned user's device (MLS, the default codec), a thread reply shows as an
 * unread thread for the root's author, marking it read reaches the author's client as a
 * `thread` event, and mark-as-unread comes back as a `read` event with the earlier receipt.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { startTestServer, TEST_SETUP_TOKEN } from "@parley/server/testing/harness";
import { ParleyClient, type ReadNotice } from "./index.ts";
import type { ThreadState } from "@parley/protocol";

const PASSWORD = "correct horse battery staple";

test("inbox: mentions open decrypted on the device, threads count unread replies, state changes reach the clients", async (t) => {
  const server = await startTestServer();
  t.after(() => server.stop());
  const opts = { baseUrl: server.url, backoff: { initialMs: 50, maxMs: 500 }, password: PASSWORD };
  const alice = await ParleyClient.setup({
    ...opts,
    setupToken: TEST_SETUP_TOKEN,
    orgSlug: "inbox",
    orgName: "Inbox",
    username: "alice",
    displayName: "Alice",
    deviceName: "alice laptop",
  });
  const { token } = await alice.api.call("createInvite", { body: {} });
  const bob = await ParleyClient.acceptInvite({ ...opts, token, username: "bob", displayName: "Bob", deviceName: "bob laptop" });
  t.after(() => Promise.all([alice.close(), bob.close()]));
  const channelId = (await alice.createChannel({ kind: "private", name: "inbox", members: [bob.userId] })).id;
  alice.connect();
  bob.connect();
  await Promise.all([alice.waitUntilLive(), bob.waitUntilLive()]);

  const seen = new Set<number>();
  bob.on("message", (e) => void (e.channelId === channelId && seen.add(e.seq)));
  const root = (await alice.sendMessage(channelId, "deploy at noon?", { mentions: [bob.userId] })).event.seq;
  // The device has received (and decrypted) it live before the inbox opens it from its history.
  for (let i = 0; i < 1000 && !seen.has(root); i++) await new Promise((r) => setTimeout(r, 10));
  await bob.idle();
  const page = await bob.inbox.mentions();
  assert.deepEqual(
    page.items.map((m) => [m.channelId, m.seq, m.senderId, m.unread]),
    [[channelId, root, alice.userId, true]],
  );
  const opened = await bob.eventAt(channelId, root);
  assert.equal(opened?.text, "deploy at noon?");
  assert.equal(await bob.eventAt(channelId, root + 100), undefined);

  const reply = (await bob.reply(channelId, root, "yes")).event.seq;
  const threads = await alice.inbox.threads();
  assert.deepEqual(
    threads.items.map((x) => [x.rootSeq, x.replies, x.unread]),
    [[root, 1, 1]],
  );
  const states: ThreadState[] = [];
  alice.on("thread", (s) => states.push(s));
  assert.equal((await alice.inbox.markThreadRead(channelId, root, reply)).readSeq, reply);
  for (let i = 0; i < 500 && states.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
  assert.deepEqual(states, [{ channelId, rootSeq: root, following: true, readSeq: reply }]);
  assert.equal((await alice.inbox.threads()).items[0]!.unread, 0);

  await bob.markRead(channelId, reply);
  const reads: ReadNotice[] = [];
  bob.on("read", (n) => reads.push(n));
  assert.equal(await bob.inbox.markUnread(channelId, root), root - 1);
  for (let i = 0; i < 500 && !reads.some((n) => n.seq === root - 1); i++) await new Promise((r) => setTimeout(r, 10));
  assert.ok(reads.some((n) => n.userId === bob.userId && n.channelId === channelId && n.seq === root - 1));
  assert.equal((await bob.inbox.mentions({ unreadOnly: true })).items.length, 1);
});
