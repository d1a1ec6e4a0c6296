/**
 * The security UI in a real browser: fingerprints on the devices page, the
 * 60-digit safety number the same on both sides, the warning when a member
 * signs in on a new device, and the post-quantum badge once an admin switches
 * the org to X-Wing. Screenshots go to test-results/screenshots/.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import type { Page } from "playwright-core";
import { bootstrapOrg, makeUser } from "@parley/server/testing/factories";
import { browserSuite, newUserPage, shot, signIn } from "./browser-support.ts";

const suite = browserSuite();

/** Open the channel's security panel, then the verify dialog for `name`; returns the safety number shown. */
async function safetyNumberWith(page: Page, name: string): Promise<string> {
  await page
    .locator(".channel-head")
    .getByRole("button", { name: /Encrypted/ })
    .click();
  await page
    .getByRole("dialog", { name: "End-to-end encryption" })
    .getByRole("button", { name: `Verify ${name}` })
    .click();
  const dialog = page.getByRole("dialog", { name: `Verify ${name}` });
  const number = dialog.getByTestId("safety-number");
  await number.waitFor();
  return (await number.innerText()).replace(/\s+/g, " ").trim();
}

test("security: fingerprints, matching safety numbers, new-device warning, post-quantum badge", { timeout: 240_000 }, async () => {
  const owner = await bootstrapOrg(suite.server, { orgSlug: "sec", username: "alice" });
  await makeUser(suite.server, owner, { username: "bob", displayName: "Bob Builder" });
  const alice = await newUserPage(suite.browser, suite.errors);
  const bob = await newUserPage(suite.browser, suite.errors);
  await signIn(alice, suite.server.url, "sec", "alice", { deviceName: "Alice laptop", until: "signed-in" });
  await signIn(bob, suite.server.url, "sec", "bob", { deviceName: "Bob desktop", until: "signed-in" });

  await alice.getByRole("button", { name: "Create channel" }).click();
  await alice.getByLabel("Name").fill("vault");
  await alice.getByRole("button", { name: "Create", exact: true }).click();
  await alice.getByRole("heading", { name: "# vault" }).waitFor();
  await bob.getByRole("button", { name: "Browse channels" }).click();
  await bob.getByRole("button", { name: "Join vault" }).click();
  await bob.getByRole("heading", { name: "# vault" }).waitFor();
  const box = alice.getByRole("textbox", { name: "Message #vault" });
  await box.fill("hello vault");
  await box.press("Enter");
  await bob.locator("main article.msg", { hasText: "hello vault" }).waitFor();
  // Bob reads that even when alice sent it before her group took his join (from its archive copy):
  // his reply, sent in an epoch after his join, tells that alice's group is past it.
  const reply = bob.getByRole("textbox", { name: "Message #vault" });
  await reply.fill("hello alice");
  await reply.press("Enter");
  await alice.locator("main article.msg", { hasText: "hello alice" }).waitFor();

  // ---- the encryption panel: suite and epoch of the channel's group --------------
  await alice
    .locator(".channel-head")
    .getByRole("button", { name: /Encrypted/ })
    .click();
  const panel = alice.getByRole("dialog", { name: "End-to-end encryption" });
  await panel
    .getByTestId("channel-suite")
    .getByText(/Standard: X25519/)
    .waitFor();
  assert.match(await panel.getByTestId("channel-epoch").innerText(), /^[1-9]\d*$/);
  await shot(alice, "security-panel");
  await alice.keyboard.press("Escape");

  // ---- own fingerprints on the devices page: 30 digits in groups of five -----------
  await alice.getByRole("link", { name: "Devices" }).click();
  const fp = alice.getByTestId("device-fingerprint").first();
  await fp.waitFor();
  assert.match(await fp.innerText(), /^\d{5}( \d{5}){5}$/);
  await shot(alice, "devices");
  await alice.getByRole("link", { name: /Channel vault/ }).click();

  // ---- safety numbers: 60 digits, the same on both sides ------------------------------
  const fromAlice = await safetyNumberWith(alice, "Bob Builder");
  const fromBob = await safetyNumberWith(bob, "Owner");
  assert.match(fromAlice, /^\d{5}( \d{5}){11}$/);
  assert.equal(fromAlice, fromBob);
  await alice.getByRole("button", { name: /mark as verified/ }).click();
  await alice.getByText("You verified Bob Builder").waitFor();
  await shot(alice, "verify");
  // Esc goes back from the verify dialog to the security panel, then closes it.
  for (const p of [alice, bob]) {
    await p.keyboard.press("Escape");
    await p.getByRole("dialog", { name: "End-to-end encryption" }).waitFor();
    await p.keyboard.press("Escape");
    await p.getByRole("dialog").waitFor({ state: "detached" });
  }

  // ---- Bob signs in on a second browser: Alice is warned -------------------------------
  const bob2 = await newUserPage(suite.browser, suite.errors);
  await signIn(bob2, suite.server.url, "sec", "bob", { deviceName: "Bob phone", until: "signed-in" });
  await bob2.getByRole("link", { name: /Channel vault/ }).click();
  const box2 = bob2.getByRole("textbox", { name: "Message #vault" });
  await box2.fill("from my new phone");
  await box2.press("Enter");
  await alice.locator("main article.msg", { hasText: "from my new phone" }).waitFor({ timeout: 60_000 });
  const warning = alice.getByRole("alert").filter({ hasText: "Bob Builder added a new device" });
  await warning.waitFor({ timeout: 45_000 });
  await shot(alice, "new-device-warning");
  await warning.getByRole("button", { name: "verify" }).click();
  const verify = alice.getByRole("dialog", { name: "Verify Bob Builder" });
  // The new device changed the number Alice verified before.
  await verify.getByText(/safety number changed since you verified/).waitFor();
  const after = (await verify.getByTestId("safety-number").innerText()).replace(/\s+/g, " ").trim();
  assert.notEqual(after, fromAlice);
  await verify.getByRole("button", { name: /mark as verified/ }).click();
  await alice.keyboard.press("Escape");
  await warning.waitFor({ state: "detached" });

  // ---- admin switches the org to X-Wing; a new channel shows the post-quantum badge --------
  await alice.getByRole("link", { name: "Admin" }).click();
  // (the channels tab on the way: member counts, archive and unarchive)
  await alice.getByRole("tab", { name: "Channels" }).click();
  const row = alice.getByRole("table", { name: "Channels" }).getByRole("row").filter({ hasText: "vault" });
  await row.getByRole("cell", { name: "2", exact: true }).waitFor();
  await row.getByRole("button", { name: "Archive vault" }).click();
  await row.getByRole("cell", { name: "Archived" }).waitFor();
  await row.getByRole("button", { name: "Unarchive vault" }).click();
  await row.getByRole("cell", { name: "Active" }).waitFor();
  await alice.getByRole("tab", { name: "Org settings" }).click();
  await alice.getByText(/applies to channels and direct messages whose encryption group is created/).waitFor();
  await alice.getByRole("radio", { name: /Post-quantum \(X-Wing\)/ }).check();
  await alice.getByRole("button", { name: "Save suite" }).click();
  await alice.getByTestId("org-suite").getByText("post-quantum (X-Wing)").waitFor();
  await shot(alice, "admin-settings");
  // This device's keys are for the standard suite: a fresh sign-in makes an X-Wing device.
  await alice.getByRole("button", { name: "Sign out" }).click();
  // Sign-out ends the session and wipes the device's stores before it shows the form; a navigation before then
  // would cut the wipe short.
  await alice.getByRole("heading", { name: "Sign in" }).waitFor({ timeout: 30_000 });
  await signIn(alice, suite.server.url, "sec", "alice", { deviceName: "Alice laptop (X-Wing)", until: "signed-in" });
  // The old device (signed out, still registered with standard-suite keys) is revoked, as the settings note says:
  // a group holds one suite, and the SDK would otherwise try to add that device to the new X-Wing group.
  await alice.getByRole("link", { name: "Devices" }).click();
  await alice.getByRole("button", { name: "Revoke Alice laptop", exact: true }).click();
  await alice.getByRole("button", { name: "Revoke Alice laptop", exact: true }).waitFor({ state: "detached" });
  await alice.getByRole("button", { name: "Create channel" }).click();
  await alice.getByLabel("Name").fill("quantum");
  await alice.getByRole("button", { name: "Create", exact: true }).click();
  await alice.getByRole("heading", { name: "# quantum" }).waitFor();
  await alice
    .locator(".channel-head")
    .getByRole("button", { name: /post-quantum \(X-Wing\)/ })
    .waitFor({ timeout: 30_000 });
  const qbox = alice.getByRole("textbox", { name: "Message #quantum" });
  await qbox.fill("sealed with X-Wing");
  await qbox.press("Enter");
  await alice.locator("main article.msg", { hasText: "sealed with X-Wing" }).waitFor();
  // The old channel keeps the suite its group was created with.
  await alice.getByRole("link", { name: /Channel vault/ }).click();
  await alice.getByRole("heading", { name: "# vault" }).waitFor();
  assert.equal(
    await alice
      .locator(".channel-head")
      .getByRole("button", { name: /post-quantum/ })
      .count(),
    0,
  );
  await alice.getByRole("link", { name: /Channel quantum/ }).click();
  await alice
    .locator(".channel-head")
    .getByRole("button", { name: /post-quantum \(X-Wing\)/ })
    .waitFor();
  await shot(alice, "pq-channel");

  assert.deepEqual(
    suite.errors.filter((e) => !/status of 40[134]/.test(e)),
    [],
  );
});
