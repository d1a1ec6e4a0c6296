/**
 * Profiles in the web app (issue 13), against a real Parley server: Bob has a status with an
 * emoji and an end, a title and a time zone. In a channel, Alice hovers Bob's name on his
 * message and his profile card opens after a short delay (title, status with its end, local
 * time in Tokyo, presence); a click on his name in the member list opens it too, and
 * "Message" opens their DM. People (from the sidebar) searches the org's directory on the
 * server by title and opens a card from the list. Screenshots (test-results/screenshots/;
 * copies in docs/screenshots/): profile-card, people-directory.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import type { Browser, Page } from "playwright-core";
import { bootstrapOrg, makeUser, type TestUser } from "@parley/server/testing/factories";
import type { TestServer } from "@parley/server/testing/harness";
import { createAndJoinChannel, launchChromium, newUserPage, shot, signIn, startWebServer } from "./browser-support.ts";

const ORG = "profiles";
let server: TestServer;
let browser: Browser;
let alice: Page;
let bob: Page;
let bobUser: TestUser;
const errors: string[] = [];

before(async () => {
  server = await startWebServer();
  browser = await launchChromium();
  const owner = await bootstrapOrg(server, { orgSlug: ORG, orgName: "Acme Profiles", username: "alice", displayName: "Alice Admin" });
  bobUser = await makeUser(server, owner, { username: "bob", displayName: "Bob Builder" });
  const carol = await makeUser(server, owner, { username: "carol", displayName: "Carol Crane" });
  const dave = await makeUser(server, owner, { username: "dave", displayName: "Dave Digger" });
  const set = async (u: TestUser, body: Record<string, unknown>) => assert.equal((await u.api("PATCH", "/me", body)).status, 200);
  await set(bobUser, {
    statusEmoji: "🌴",
    statusText: "On leave",
    statusExpiresAt: Date.now() + 2 * 3600_000,
    title: "Head of Payments",
    timeZone: "Asia/Tokyo",
  });
  await set(carol, { title: "Site Engineer", statusEmoji: "🚌", statusText: "Commuting" });
  await set(dave, { title: "Engineer", timeZone: "Europe/Berlin" });
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
const card = (page: Page, name: string) => page.getByRole("dialog", { name: `Profile of ${name}` });
const tokyoTime = () => new Intl.DateTimeFormat(undefined, { timeZone: "Asia/Tokyo", hour: "2-digit", minute: "2-digit" });

test("hovering or clicking a name opens the profile card; Message opens the DM", { timeout: 240_000 }, async () => {
  await createAndJoinChannel(alice, bob, "payments");
  const box = bob.getByRole("textbox", { name: "Message #payments" });
  await box.fill("invoices are out");
  await box.press("Enter");
  const msg = alice.locator("main article.msg", { hasText: "invoices are out" });
  await msg.waitFor({ timeout: 60_000 });

  // The status emoji beside the sender's name.
  await msg.getByLabel("status: 🌴 On leave").waitFor();
  // Hover: nothing at once, the card after the delay.
  await msg.getByRole("button", { name: "Bob Builder" }).hover();
  assert.equal(await card(alice, "Bob Builder").count(), 0, "not opened at once");
  const c = card(alice, "Bob Builder");
  await c.waitFor({ timeout: 5_000 });
  await c.getByText("Head of Payments").waitFor();
  await c.getByText("@bob").waitFor();
  const status = c.getByLabel("Status");
  assert.match((await status.textContent()) ?? "", /🌴\s*On leave · until /);
  const localTime = (await c.locator("dd", { hasText: "Asia/Tokyo" }).textContent()) ?? "";
  const now = Date.now();
  assert.ok(
    [now - 60_000, now, now + 60_000].some((t) => localTime.startsWith(tokyoTime().format(t))),
    `local time in Tokyo: ${localTime}`,
  );
  await c.locator("dd", { hasText: /online|away|offline/ }).waitFor();
  await shot(alice, "profile-card");
  await alice.keyboard.press("Escape");
  await c.waitFor({ state: "detached" });

  // Click in the member list.
  await alice.getByRole("button", { name: "2 members" }).click({ timeout: 30_000 });
  const panel = alice.getByRole("dialog", { name: "Members" });
  await panel.getByRole("button", { name: "Bob Builder", exact: true }).click();
  const fromList = card(alice, "Bob Builder");
  await fromList.getByText("Head of Payments").waitFor();
  await fromList.getByRole("button", { name: "Message" }).click();
  await alice.getByRole("link", { name: /^Direct message with Bob Builder/ }).waitFor({ timeout: 30_000 });
  await alice.waitForURL(/\/c\//);
  assert.deepEqual(unexpectedErrors(), []);
});

test("People lists the org, searches by title on the server, and opens a card", { timeout: 120_000 }, async () => {
  await alice.getByRole("link", { name: "People" }).click();
  await alice.getByRole("heading", { name: "People" }).waitFor();
  const list = alice.getByRole("list", { name: "People" });
  for (const name of ["Alice Admin", "Bob Builder", "Carol Crane", "Dave Digger"]) await list.getByRole("button", { name }).waitFor();
  await alice.getByLabel("Search people").fill("engineer");
  await alice.waitForFunction(() => document.querySelectorAll('ul[aria-label="People"] li').length === 2);
  const names = await list.locator("li .person-trigger").allTextContents();
  assert.deepEqual(names, ["Carol Crane", "Dave Digger"]);
  await list.getByText("🚌 Commuting").waitFor();
  await shot(alice, "people-directory");
  await list.getByRole("button", { name: "Dave Digger" }).click();
  const c = card(alice, "Dave Digger");
  await c.getByText("Europe/Berlin").waitFor();
  await alice.getByLabel("Search people").fill("nobody-here");
  await alice.getByText("No one matches “nobody-here”.").waitFor();
  assert.deepEqual(unexpectedErrors(), []);
});
