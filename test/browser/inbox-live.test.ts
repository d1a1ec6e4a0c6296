/**
 * The inbox and the thread panel stay live (issue 13): bob follows a thread with the thread
 * panel's Follow button; while his Inbox shows Threads, alice's reply (the SDK) appears there as
 * unread — and on the Inbox link — without a reload. Bob unfollowing on another device (the SDK)
 * takes the thread out of the list, and following it again there turns the panel's button back
 * to Unfollow, both through the `thread` frame.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { bootstrapOrg, makeUser } from "@parley/server/testing/factories";
import { browserSuite, newUserPage, sdkDevice, signIn } from "./browser-support.ts";

const suite = browserSuite();

test("inbox Threads and the Follow button update live: a reply, an unfollow and a follow on another device", { timeout: 300_000 }, async (t) => {
  const url = suite.server.url;
  const owner = await bootstrapOrg(suite.server, { orgSlug: "inbox-live", username: "alice", displayName: "Alice Admin" });
  const bobId = (await makeUser(suite.server, owner, { username: "bob", displayName: "Bob Builder" })).user.id;
  const alice = await sdkDevice(url, "inbox-live", "alice", { live: true });
  t.after(() => alice.close());

  const bob = await newUserPage(suite.browser, suite.errors);
  await signIn(bob, url, "inbox-live", "bob", { deviceName: "Bob browser", until: "signed-in", live: true });
  const general = await alice.createChannel({ kind: "public", name: "general", members: [bobId] });
  const root = await alice.sendMessage(general.id, "Deploy checklist for Friday");
  await alice.idle();

  // ---- Follow from the thread panel -----------------------------------------
  await bob.getByRole("link", { name: /^Channel general/ }).click();
  const rootMsg = bob.locator("main article.msg", { hasText: "Deploy checklist for Friday" }).first();
  await rootMsg.waitFor({ timeout: 30_000 });
  await rootMsg.hover();
  await rootMsg.getByRole("button", { name: "Reply in thread" }).click();
  const panel = bob.getByRole("complementary", { name: "Thread" });
  await panel.getByRole("button", { name: "Follow", exact: true, pressed: false }).click();
  await panel.getByRole("button", { name: "Unfollow", pressed: true }).waitFor();
  await bob.keyboard.press("Escape");

  // ---- A reply shows in Threads, unread, without a reload --------------------
  await bob.getByRole("link", { name: /^Inbox/ }).click();
  await bob.getByRole("tab", { name: "Threads" }).click();
  const item = bob.getByRole("list", { name: "Threads" }).getByRole("listitem");
  await item.first().waitFor();
  assert.match((await item.first().innerText()).replace(/\s+/g, " "), /#general.*Alice Admin.*0 replies.*Deploy checklist for Friday/);
  const marker = await bob.evaluate(() => ((window as unknown as { inboxMarker: number }).inboxMarker = Math.random()));
  await alice.reply(general.id, root.event.seq, "Checklist done, shipping");
  await bob.waitForFunction(() => /1 reply.*1 unread/s.test(document.querySelector('ol[aria-label="Threads"] li')?.textContent ?? ""), undefined, {
    timeout: 30_000,
  });
  await bob.getByRole("link", { name: /^Inbox, .*1 unread thread replies/ }).waitFor({ timeout: 15_000 });
  assert.equal(await bob.evaluate(() => (window as unknown as { inboxMarker?: number }).inboxMarker), marker, "the page was not reloaded");

  // ---- Bob's other device unfollows: the thread leaves the list ---------------
  const bob2 = await sdkDevice(url, "inbox-live", "bob");
  t.after(() => bob2.close());
  await bob2.inbox.unfollowThread(general.id, root.event.seq);
  await bob.getByText("No threads yet: reply in a thread or follow one.").waitFor({ timeout: 30_000 });
  await bob.getByRole("link", { name: "Inbox", exact: true }).waitFor({ timeout: 15_000 });

  // ---- The thread panel shows the state, and follows it from the other device --
  await bob.getByRole("link", { name: /^Channel general/ }).click();
  await rootMsg.hover();
  await rootMsg.getByRole("button", { name: /^1 reply/ }).click();
  await panel.getByRole("button", { name: "Follow", exact: true, pressed: false }).waitFor();
  await bob2.inbox.followThread(general.id, root.event.seq);
  await panel.getByRole("button", { name: "Unfollow", pressed: true }).waitFor({ timeout: 30_000 });
  assert.deepEqual(suite.errors, []);
});
