/**
 * The Audit tab in a real browser: an owner creates a channel and finds it in the
 * org's audit log, scrolls to load older entries, filters by action, actor and target,
 * and opens an entry's details (personal data included); a plain member has no admin
 * console at all. Screenshot: test-results/screenshots/audit.png (docs/screenshots/
 * holds a copy picked by hand).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import type { Page } from "playwright-core";
import { bootstrapOrg, makeUser } from "@parley/server/testing/factories";
import { browserSuite, createChannel, newUserPage, shot, signIn } from "./browser-support.ts";

const suite = browserSuite();

const rows = (page: Page) => page.getByRole("table", { name: "Audit log" }).locator("tbody tr:not(.audit-details)");
/** The action column of every row shown. */
const actions = (page: Page) => rows(page).locator("td:nth-child(3)").allInnerTexts();

async function applyFilters(page: Page, set: { actor?: string; action?: string; target?: string }): Promise<void> {
  const form = page.getByRole("form", { name: "Audit filters" });
  await form.getByRole("button", { name: "Clear" }).click();
  if (set.actor) await form.getByLabel("Actor").selectOption({ label: set.actor });
  if (set.action) await form.getByLabel("Action").fill(set.action);
  if (set.target) await form.getByLabel("Target").fill(set.target);
  await form.getByRole("button", { name: "Apply" }).click();
}

test("audit tab: an admin sees, scrolls and filters the org's log; a member has no console", { timeout: 240_000 }, async () => {
  const owner = await bootstrapOrg(suite.server, { orgSlug: "ledger-co", orgName: "Ledger & Co", username: "alice" });
  const bob = await makeUser(suite.server, owner, { username: "bob", displayName: "Bob Builder" });
  // More than a page of older entries, so the list has something to load on scroll.
  for (let i = 0; i < 55; i++) assert.equal((await owner.api("POST", "/invites", { role: "member" })).status, 201);
  const general = await owner.api("POST", "/channels", { kind: "public", name: "general" });
  assert.equal((await bob.api("POST", `/channels/${general.body.id}/join`)).status, 200);

  const alice = await newUserPage(suite.browser, suite.errors);
  await signIn(alice, suite.server.url, "ledger-co", "alice", { deviceName: "Alice laptop", until: "signed-in" });
  await createChannel(alice, "ledger");

  // ---- the channel just created is on top of the log ------------------------------
  await alice.getByRole("link", { name: "Admin" }).click();
  await alice.getByRole("tab", { name: "Audit" }).click();
  const created = rows(alice).filter({ hasText: "channel.created" }).filter({ hasText: "#ledger" });
  await created.waitFor();
  assert.match(await created.innerText(), /Owner \(@alice\)[\s\S]*channel\.created[\s\S]*#ledger[\s\S]*success/);
  await created.getByRole("button", { name: /^Details of entry/ }).click();
  const details = alice.locator(".audit-details dl").first();
  assert.match(await details.innerText(), /kind\s+public/);
  await shot(alice, "audit");

  // ---- infinite scroll: the end of the list loads the next page ---------------------
  assert.equal(await rows(alice).count(), 50);
  await alice.getByTestId("audit-list").evaluate((el) => {
    el.scrollTop = el.scrollHeight;
  });
  await alice.waitForFunction(() => document.querySelectorAll("table[aria-label='Audit log'] tbody tr:not(.audit-details)").length > 50);
  await alice.getByTestId("audit-list").evaluate((el) => {
    el.scrollTop = el.scrollHeight;
  });
  await alice.getByText("The beginning of the log.").waitFor();
  assert.ok((await actions(alice)).includes("org.invite.created"));

  // ---- filters: action prefix, actor, target ------------------------------------------
  await applyFilters(alice, { action: "channel." });
  await alice.waitForFunction(() =>
    Array.from(document.querySelectorAll("table[aria-label='Audit log'] tbody tr:not(.audit-details) td:nth-child(3)")).every((td) =>
      td.textContent?.startsWith("channel."),
    ),
  );
  await alice.getByText("The beginning of the log.").waitFor();
  assert.deepEqual([...new Set(await actions(alice))].sort(), ["channel.created", "channel.member.joined"]);

  await applyFilters(alice, { actor: "Bob Builder (@bob)" });
  await alice.getByText("The beginning of the log.").waitFor();
  assert.ok((await rows(alice).locator("td:nth-child(2)").allInnerTexts()).every((t) => t === "Bob Builder (@bob)"));
  assert.ok((await actions(alice)).includes("channel.member.joined"));

  await applyFilters(alice, { target: general.body.id });
  await alice.getByText("The beginning of the log.").waitFor();
  assert.deepEqual(await actions(alice), ["channel.member.joined", "channel.created"]);

  // Personal data: the sign-in of Alice's browser, with the client address.
  await applyFilters(alice, { action: "auth.login.succeeded" });
  await alice.getByText("The beginning of the log.").waitFor();
  await rows(alice)
    .first()
    .getByRole("button", { name: /^Details of entry/ })
    .click();
  assert.match(await alice.locator(".audit-details dl").first().innerText(), /ip\s+127\.0\.0\.1/);

  // ---- a plain member: no Admin link, and /admin shows no console -----------------------
  const bobPage = await newUserPage(suite.browser, suite.errors);
  await signIn(bobPage, suite.server.url, "ledger-co", "bob", { deviceName: "Bob desktop", until: "signed-in" });
  assert.equal(await bobPage.getByRole("link", { name: "Admin" }).count(), 0);
  await bobPage.goto(`${suite.server.url}/admin`);
  await bobPage.getByText("Admins only").waitFor();
  assert.equal(await bobPage.getByRole("tab", { name: "Audit" }).count(), 0);

  assert.deepEqual(
    suite.errors.filter((e) => !/status of 40[134]/.test(e)),
    [],
  );
});
