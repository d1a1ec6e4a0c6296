/**
 * Pins, the channel directory's search and channel deletion in the web app (issue 13), against a
 * real Parley server: Bob finds Alice's channel in "Browse channels" by a word of its topic and
 * joins from there; Alice pins a message from its menu and Bob's "Pinned" panel shows it live,
 * decrypted on his device, and jumps to it; Alice (org owner) deletes the channel after typing
 * its name, and it leaves Bob's sidebar. Screenshots (test-results/screenshots/; copies in
 * docs/screenshots/): channel-directory-search, channel-pinned-messages, channel-delete-confirm.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import type { Page } from "playwright-core";
import { bootstrapOrg, makeUser } from "@parley/server/testing/factories";
import { browserSuite, newUserPage, shot, signIn } from "./browser-support.ts";

const suite = browserSuite();
const msg = (page: Page, text: string) => page.locator("main article.msg", { hasText: text });
const unexpectedErrors = () => suite.errors.filter((e) => !/status of 40[0-9]/.test(e));

test("find a channel by its topic, pin a message everyone sees, delete the channel", { timeout: 240_000 }, async () => {
  const owner = await bootstrapOrg(suite.server, { orgSlug: "pins", orgName: "Acme Pins", username: "alice", displayName: "Alice Owner" });
  await makeUser(suite.server, owner, { username: "bob", displayName: "Bob Member" });
  const alice = await newUserPage(suite.browser, suite.errors);
  const bob = await newUserPage(suite.browser, suite.errors);
  await signIn(alice, suite.server.url, "pins", "alice", { deviceName: "Alice laptop", until: "signed-in" });
  await signIn(bob, suite.server.url, "pins", "bob", { deviceName: "Bob laptop", until: "signed-in" });

  // ---- Alice creates a channel with a topic; Bob finds it by a word of the topic --------
  await alice.getByRole("button", { name: "Create channel" }).click();
  await alice.getByLabel("Name").fill("launch");
  await alice.getByLabel("Topic").fill("Quarterly roadmap and release dates");
  await alice.getByRole("button", { name: "Create", exact: true }).click();
  await alice.getByRole("heading", { name: "# launch" }).waitFor();
  await alice.getByRole("button", { name: "Create channel" }).click();
  await alice.getByLabel("Name").fill("random");
  await alice.getByRole("button", { name: "Create", exact: true }).click();
  await alice.getByRole("heading", { name: "# random" }).waitFor();

  await bob.getByRole("button", { name: "Browse channels" }).click();
  const dialog = bob.getByRole("dialog", { name: "Browse channels" });
  await dialog.getByRole("button", { name: "Join random" }).waitFor();
  await dialog.getByRole("searchbox", { name: "Search channels" }).fill("ROADMAP");
  await dialog.getByRole("button", { name: "Join launch" }).waitFor();
  await dialog.getByRole("button", { name: "Join random" }).waitFor({ state: "detached" });
  await shot(bob, "channel-directory-search");
  await dialog.getByRole("button", { name: "Join launch" }).click();
  await dialog.waitFor({ state: "detached", timeout: 30_000 });
  await bob.getByRole("heading", { name: "# launch" }).waitFor();

  // ---- Alice posts and pins; Bob's Pinned panel follows live -------------------------------
  await alice.getByRole("link", { name: /^Channel launch/ }).click();
  await alice.getByRole("heading", { name: "# launch" }).waitFor();
  const box = alice.getByRole("textbox", { name: "Message #launch" });
  await box.fill("We ship on Friday at noon");
  await box.press("Enter");
  await box.fill("Coffee is in the kitchen");
  await box.press("Enter");
  await msg(bob, "We ship on Friday at noon").waitFor({ timeout: 30_000 });
  await bob.getByRole("button", { name: "Pinned messages: 0" }).waitFor();

  const m = msg(alice, "We ship on Friday at noon").first();
  await m.hover();
  await m.getByRole("button", { name: "Pin message" }).click();
  await m.getByRole("button", { name: "Unpin message" }).waitFor();
  await bob.getByRole("button", { name: "Pinned messages: 1" }).waitFor({ timeout: 30_000 });
  await bob.getByRole("button", { name: "Pinned messages: 1" }).click();
  const panel = bob.getByRole("dialog", { name: "Pinned messages" });
  await panel.getByText("We ship on Friday at noon").waitFor();
  await panel.getByText("pinned by Alice Owner", { exact: false }).waitFor();
  await shot(bob, "channel-pinned-messages");
  await panel.getByRole("button", { name: /^Jump to pinned message/ }).click();
  await panel.waitFor({ state: "detached" });
  await bob.waitForURL(/\?at=\d+$/);

  // Unpinning shows on the other side too.
  await m.hover();
  await m.getByRole("button", { name: "Unpin message" }).click();
  await bob.getByRole("button", { name: "Pinned messages: 0" }).waitFor({ timeout: 30_000 });

  // ---- Bob (a member) may not delete; Alice (org owner) deletes after typing the name ---
  assert.equal(await bob.getByRole("button", { name: "Delete channel" }).count(), 0);
  await alice.getByRole("button", { name: "Delete channel" }).click();
  const confirm = alice.getByRole("dialog", { name: "Delete #launch?" });
  await confirm.getByLabel("Channel name to confirm").fill("lunch");
  await confirm.getByRole("button", { name: "Delete channel" }).click();
  await confirm.getByRole("alert").getByText("type the channel's name", { exact: false }).waitFor();
  await shot(alice, "channel-delete-confirm");
  await confirm.getByLabel("Channel name to confirm").fill("launch");
  await confirm.getByRole("button", { name: "Delete channel" }).click();
  await confirm.waitFor({ state: "detached", timeout: 30_000 });
  await alice.getByRole("link", { name: /^Channel launch/ }).waitFor({ state: "detached" });
  await bob.getByRole("link", { name: /^Channel launch/ }).waitFor({ state: "detached", timeout: 30_000 });
  await bob.getByRole("heading", { name: "Channel not available" }).waitFor();
  assert.deepEqual(unexpectedErrors(), []);
});
