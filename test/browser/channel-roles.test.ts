/**
 * Channel roles in the web app (issue 10), against a real Parley server: Alice creates a public
 * channel that Bob joins; in the channel's member list she makes Bob a reader. Bob's page then
 * shows "You can read this channel but not post in it." in place of the composer, and he still
 * reads (decrypts) what Alice posts after the change. Screenshots (test-results/screenshots/;
 * copies in docs/screenshots/): channel-members-roles, channel-reader-note.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import type { Browser, Page } from "playwright-core";
import { bootstrapOrg, makeUser } from "@parley/server/testing/factories";
import type { TestServer } from "@parley/server/testing/harness";
import { createAndJoinChannel, launchChromium, newUserPage, shot, signIn, startWebServer } from "./browser-support.ts";

const ORG = "roles";
let server: TestServer;
let browser: Browser;
let alice: Page;
let bob: Page;
const errors: string[] = [];

before(async () => {
  server = await startWebServer();
  browser = await launchChromium();
  const owner = await bootstrapOrg(server, { orgSlug: ORG, orgName: "Acme Roles", username: "alice", displayName: "Alice Admin" });
  await makeUser(server, owner, { username: "bob", displayName: "Bob Reader" });
  alice = await newUserPage(browser, errors);
  bob = await newUserPage(browser, errors);
  await signIn(alice, server.url, ORG, "alice", { deviceName: "Alice laptop", until: "signed-in" });
  await signIn(bob, server.url, ORG, "bob", { deviceName: "Bob laptop", until: "signed-in" });
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

const unexpectedErrors = () => errors.filter((e) => !/status of 40[0-9]/.test(e));
const msg = (page: Page, text: string) => page.locator("main article.msg", { hasText: text });

test("an admin makes a member a reader in the member list; the reader's page shows the note instead of the composer", { timeout: 180_000 }, async () => {
  await createAndJoinChannel(alice, bob, "announcements");
  await bob.getByRole("textbox", { name: "Message #announcements" }).waitFor();

  await alice.getByRole("button", { name: "2 members" }).click({ timeout: 30_000 });
  const panel = alice.getByRole("dialog", { name: "Members" });
  const role = panel.getByLabel("Channel role of Bob Reader");
  await role.waitFor();
  assert.equal(await role.inputValue(), "member");
  await role.selectOption("reader");
  await alice.waitForFunction(
    () => (document.querySelector('select[aria-label="Channel role of Bob Reader"]') as HTMLSelectElement | null)?.value === "reader",
  );
  await shot(alice, "channel-members-roles");
  await panel.getByRole("button", { name: "Close" }).click();

  await bob.getByRole("note").getByText("You can read this channel but not post in it.").waitFor({ timeout: 30_000 });
  assert.equal(await bob.getByRole("textbox", { name: "Message #announcements" }).count(), 0, "no composer for a reader");

  const box = alice.getByRole("textbox", { name: "Message #announcements" });
  await box.fill("read me, Bob");
  await box.press("Enter");
  await msg(bob, "read me, Bob").waitFor({ timeout: 60_000 });
  assert.equal(await msg(bob, "read me, Bob").getByRole("button", { name: "Add reaction" }).count(), 0, "readers do not react");
  await shot(bob, "channel-reader-note");
  assert.deepEqual(unexpectedErrors(), []);
});
