/**
 * The inbox in the web app (issue 13; screenshots inbox-mentions, inbox-threads, inbox-unreads,
 * inbox-first-unread in test-results/screenshots/, copies in docs/screenshots/): alice (the SDK)
 * mentions bob before his browser exists in a device-only channel, then in #general in a thread
 * reply and a message after he signed in. Bob's Inbox lists the mentions decrypted on his
 * browser — the early one as "message not available on this device" —, the thread he was
 * mentioned in with its unread reply, and All unreads grouped by channel; a mention opens its
 * message. "Mark as unread" on a message brings the channel's unread badge back and the "Jump to
 * first unread" bar, which jumps to that message.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { MemoryKeyStore } from "@parley/crypto";
import { ParleyClient } from "@parley/sdk";
import { bootstrapOrg, makeUser, TEST_PASSWORD } from "@parley/server/testing/factories";
import { browserSuite, newUserPage, shot, signIn } from "./browser-support.ts";

const suite = browserSuite();

test("the inbox lists mentions, threads and unreads decrypted on the device; mark as unread and jump to first unread", { timeout: 300_000 }, async (t) => {
  const url = suite.server.url;
  const owner = await bootstrapOrg(suite.server, { orgSlug: "inbox", username: "alice", displayName: "Alice Admin" });
  const bobUser = await makeUser(suite.server, owner, { username: "bob", displayName: "Bob Builder" });
  const bobId = bobUser.user.id;
  const alice = await ParleyClient.login({ baseUrl: url, org: "inbox", username: "alice", password: TEST_PASSWORD, e2ee: { keyStore: new MemoryKeyStore() } });
  t.after(() => alice.close());
  alice.connect();
  await alice.waitUntilLive();

  // Before bob's browser exists: a mention its keys will never open.
  const early = await alice.createChannel({ kind: "private", name: "early", members: [bobId], history: "device-only" });
  await alice.sendMessage(early.id, "sent before your browser existed", { mentions: [bobId] });
  await alice.idle();

  const bob = await newUserPage(suite.browser, suite.errors);
  await signIn(bob, url, "inbox", "bob", { deviceName: "Bob browser", until: "signed-in", live: true });
  await bob.getByRole("heading", { name: "early" }).waitFor();

  const general = await alice.createChannel({ kind: "public", name: "general", members: [bobId] });
  const root = await alice.sendMessage(general.id, "Release plan for Friday");
  await alice.reply(general.id, root.event.seq, "@bob can you check the build?", { mentions: [bobId] });
  const ping = await alice.sendMessage(general.id, "@bob standup moved to 10:30", { mentions: [bobId] });
  await alice.sendMessage(general.id, "coffee is in the kitchen");
  await alice.idle();
  await bob.getByRole("link", { name: /Channel general, \d+ unread/ }).waitFor({ timeout: 30_000 });

  // ---- Mentions ------------------------------------------------------------
  await bob.getByRole("link", { name: /^Inbox/ }).click();
  await bob.getByRole("heading", { name: "Inbox" }).waitFor();
  const mentions = bob.getByRole("list", { name: "Mentions" }).getByRole("listitem");
  await bob.waitForFunction(() => document.querySelectorAll('ol[aria-label="Mentions"] li').length === 3, undefined, { timeout: 30_000 });
  const texts = (await mentions.allInnerTexts()).map((s) => s.replace(/\s+/g, " "));
  assert.match(texts[0]!, /#general.*Alice Admin.*unread.*standup moved to 10:30/, texts.join("\n"));
  assert.match(texts[1]!, /#general · in a thread.*can you check the build\?/, texts.join("\n"));
  assert.match(texts[2]!, /#early.*message not available on this device/, texts.join("\n"));
  await shot(bob, "inbox-mentions");

  // ---- Threads: the one bob was mentioned in, its reply unread ---------------
  await bob.getByRole("tab", { name: "Threads" }).click();
  const thread = bob.getByRole("list", { name: "Threads" }).getByRole("listitem");
  await thread.first().waitFor();
  assert.match((await thread.first().innerText()).replace(/\s+/g, " "), /#general.*Alice Admin.*1 reply.*1 unread.*Release plan for Friday/);
  await shot(bob, "inbox-threads");

  // ---- All unreads, grouped by channel ---------------------------------------
  await bob.getByRole("tab", { name: "All unreads" }).click();
  const group = bob.getByRole("region", { name: "Unread in #general" });
  await group.getByText("coffee is in the kitchen").waitFor();
  await group.getByText("standup moved to 10:30").waitFor();
  await shot(bob, "inbox-unreads");

  // A mention opens its message in the channel.
  await bob.getByRole("tab", { name: "Mentions" }).click();
  await bob.getByRole("list", { name: "Mentions" }).getByText("standup moved to 10:30").click();
  await bob.getByRole("heading", { name: "# general" }).waitFor();
  assert.match(bob.url(), new RegExp(`/c/${general.id}\\?at=${ping.event.seq}$`));
  await bob.getByRole("link", { name: "Channel general" }).waitFor({ timeout: 15_000 }); // read: no count
  // The read receipt goes over the socket, unacknowledged; Mark as unread is an HTTP call. Wait until the
  // server has the receipt, so the mark below is not overtaken by it (a full run once was).
  for (let i = 0; i < 150; i++) {
    const mine = (await bobUser.api("GET", "/channels")).body.channels.find((c: { id: string }) => c.id === general.id);
    if (mine.unread === 0) break;
    await new Promise((r) => setTimeout(r, 100));
  }

  // ---- Mark as unread, then jump to the first unread -------------------------
  const msg = bob.locator("main article.msg", { hasText: "standup moved to 10:30" }).first();
  await msg.hover();
  await msg.getByRole("button", { name: "Mark as unread" }).click();
  await bob.getByRole("link", { name: /Channel general, 2 unread, 1 mentions/ }).waitFor({ timeout: 15_000 });
  const bar = bob.locator(".first-unread-bar");
  await bar.waitFor();
  await shot(bob, "inbox-first-unread");
  await bar.getByRole("button", { name: "Jump to first unread" }).click();
  await bob.waitForURL(new RegExp(`/c/${general.id}\\?at=${ping.event.seq}$`));
  assert.deepEqual(suite.errors, []);
});
