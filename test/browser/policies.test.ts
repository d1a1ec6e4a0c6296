/**
 * Roles and policies in the admin console (issue 10, done-means 4), against a real Parley server:
 * - The owner labels a private channel "confidential" (Admin → Channels), then under Admin →
 *   Roles & policies: a broken policy shows its parse problem; a policy that would lock every
 *   admin out is refused, naming it; the example "guests may not read confidential channels"
 *   validates and is saved; the dry run lists the guest as denied by it.
 * - The guest, a member of the channel, then cannot read it (the channel says why); a member
 *   still reads what the owner posts.
 * - A custom role "auditor" with org.read_audit, given to the member from Users → Roles, opens
 *   the Audit page of the console to them (and only it).
 * Screenshots (test-results/screenshots/; copies in docs/screenshots/): admin-channel-labels,
 * admin-policy-invalid, admin-policy-lockout, admin-policies, admin-policy-dry-run,
 * channel-policy-denied, admin-custom-roles, member-audit-role.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import type { Browser, Page } from "playwright-core";
import { bootstrapOrg, makeUser, type TestUser } from "@parley/server/testing/factories";
import type { TestServer } from "@parley/server/testing/harness";
import { launchChromium, newUserPage, shot, signIn, startWebServer } from "./browser-support.ts";

const ORG = "policies";
let server: TestServer;
let browser: Browser;
let owner: TestUser;
let olivia: Page;
let mia: Page;
let gus: Page;
let channelId: string;
const errors: string[] = [];

before(async () => {
  server = await startWebServer();
  browser = await launchChromium();
  owner = await bootstrapOrg(server, { orgSlug: ORG, orgName: "Acme Policies", username: "olivia", displayName: "Olivia Owner" });
  await makeUser(server, owner, { username: "mia", displayName: "Mia Member" });
  await makeUser(server, owner, { username: "gus", displayName: "Gus Guest", role: "guest" });
  olivia = await newUserPage(browser, errors);
  mia = await newUserPage(browser, errors);
  gus = await newUserPage(browser, errors);
  await signIn(olivia, server.url, ORG, "olivia", { deviceName: "Olivia laptop", until: "signed-in" });
  await signIn(mia, server.url, ORG, "mia", { deviceName: "Mia laptop", until: "signed-in" });
  await signIn(gus, server.url, ORG, "gus", { deviceName: "Gus laptop", until: "signed-in" });
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

/** Page errors, without the console lines of the 4xx answers the tests provoke. */
const unexpectedErrors = () => errors.filter((e) => !/status of 40[0-9]/.test(e));
const msg = (page: Page, text: string) => page.locator("main article.msg", { hasText: text });

async function openAdmin(page: Page, tab: string): Promise<void> {
  await page.getByRole("link", { name: "Admin" }).click();
  await page.getByRole("tab", { name: tab }).click();
  await page.getByRole("tabpanel").waitFor();
}

async function addPerson(page: Page, who: RegExp): Promise<void> {
  await page.getByRole("button", { name: "Add people" }).click();
  const dialog = page.getByRole("dialog", { name: "Add people to this channel" });
  await dialog.getByLabel(who).check();
  await dialog.getByRole("button", { name: "Add", exact: true }).click();
  await dialog.waitFor({ state: "detached", timeout: 30_000 });
}

test("the owner labels a channel, writes policies (broken, lock-out, the guest one) and dry-runs it", { timeout: 240_000 }, async () => {
  // A private channel with the member and the guest in it.
  await olivia.getByRole("button", { name: "Create channel" }).click();
  await olivia.getByLabel("Name").fill("deals");
  await olivia.getByLabel(/Private — only people you add/).check();
  await olivia.getByRole("button", { name: "Create", exact: true }).click();
  await olivia.getByRole("heading", { name: "deals" }).waitFor();
  channelId = new URL(olivia.url()).pathname.split("/").pop()!;
  await addPerson(olivia, /Mia Member/);
  await addPerson(olivia, /Gus Guest/);

  // Admin → Channels: label it; a bad label is named before the server is asked.
  await openAdmin(olivia, "Channels");
  const panel = olivia.getByRole("tabpanel");
  await panel.getByRole("button", { name: "Labels of deals" }).click();
  const labels = panel.getByRole("form", { name: "Labels of deals" });
  await labels.getByLabel("Labels for deals").fill("Top Secret!");
  await labels.getByRole("button", { name: "Save labels" }).click();
  await labels
    .getByRole("alert")
    .getByText(/"top" is not a label|"secret!" is not a label/)
    .waitFor();
  await labels.getByLabel("Labels for deals").fill("confidential");
  await labels.getByRole("button", { name: "Save labels" }).click();
  await panel.getByRole("row", { name: /deals/ }).getByLabel("Labels: confidential").waitFor();
  await shot(olivia, "admin-channel-labels");

  // Roles & policies: a policy that does not parse shows the problem; nothing is saved.
  await olivia.getByRole("tab", { name: "Roles & policies" }).click();
  await panel.getByText("No policies yet: roles alone decide.").waitFor();
  const editor = panel.getByRole("form", { name: "New policy" });
  const text = editor.getByLabel(/Cedar policy/);
  await text.fill('forbid (principal, action == Action::"channel.read", resource) when { principal.role == "guest" &&');
  await editor.getByRole("button", { name: "Validate" }).click();
  const problems = editor.getByRole("alert").getByRole("list", { name: "Problems" });
  await problems.waitFor();
  assert.match(await problems.innerText(), /\S/);
  await shot(olivia, "admin-policy-invalid");

  // A policy that would lock every admin out is refused, naming it.
  await editor.getByLabel("Policy name").fill("security: nobody");
  await text.fill('forbid (principal, action == Action::"org.manage_security", resource);');
  await editor.getByRole("button", { name: "Add policy" }).click();
  const lockout = editor.getByRole("alert");
  await lockout.getByText(/no owner or admin could still manage the organisation's security/).waitFor();
  await lockout.getByRole("list", { name: "Policies concerned" }).getByText("“security: nobody”").waitFor();
  await shot(olivia, "admin-policy-lockout");
  assert.equal((await owner.api("GET", "/org/policies")).body.policies.length, 0, "nothing was stored");

  // The example: guests may not read channels labelled confidential.
  await editor.getByLabel("Policy name").fill("");
  await editor.getByLabel("Insert an example").selectOption({ label: "Guests may not read confidential channels" });
  assert.match(await text.inputValue(), /resource\.labels\.contains\("confidential"\)/);
  await editor.getByRole("button", { name: "Validate" }).click();
  await editor
    .getByRole("status")
    .getByText(/Valid: one forbid statement/)
    .waitFor();
  await editor.getByRole("button", { name: "Add policy" }).click();
  const policies = panel.getByRole("table", { name: "Policies" });
  await policies.getByRole("cell", { name: "confidential: no guests", exact: true }).waitFor();
  assert.equal(await policies.getByLabel("Enable policy confidential: no guests").isChecked(), true);
  await shot(olivia, "admin-policies");

  // Dry run: who could read #deals now.
  const dry = panel.getByRole("form", { name: "Dry run" });
  await dry.getByLabel("Action").selectOption("channel.read");
  await dry.getByLabel("Channel").selectOption(channelId);
  await dry.getByRole("button", { name: "Run" }).click();
  const result = panel.getByRole("table", { name: "Dry run result" });
  const gusRow = result.getByRole("row", { name: /Gus Guest/ });
  await gusRow.getByRole("cell", { name: "Denied", exact: true }).waitFor();
  await gusRow.getByText("“confidential: no guests”").waitFor();
  await gusRow.getByText("affected").waitFor();
  await result
    .getByRole("row", { name: /Mia Member/ })
    .getByRole("cell", { name: "Allowed", exact: true })
    .waitFor();
  await result.scrollIntoViewIfNeeded();
  await shot(olivia, "admin-policy-dry-run");
  assert.deepEqual(unexpectedErrors(), []);
});

test("the guest cannot read the confidential channel, and is told why; the member still reads it", { timeout: 180_000 }, async () => {
  await olivia.goto(`${server.url}/c/${channelId}`);
  await olivia.getByRole("heading", { name: /deals/ }).getByLabel("Labels: confidential").waitFor({ timeout: 30_000 });
  const box = olivia.getByRole("textbox", { name: "Message #deals" });
  await box.fill("the confidential numbers");
  await box.press("Enter");
  await msg(olivia, "the confidential numbers").waitFor();

  await mia.getByRole("link", { name: /^Channel deals/ }).click({ timeout: 30_000 });
  await msg(mia, "the confidential numbers").waitFor({ timeout: 60_000 });

  // The guest had the channel open (a newcomer's home opens their first channel): live frames simply stop.
  // Opening it again asks the server, whose refusal the channel shows.
  await gus.getByRole("link", { name: "Profile" }).click();
  await gus.getByRole("link", { name: /^Channel deals/ }).click({ timeout: 30_000 });
  await gus
    .getByRole("alert")
    .getByText(/You cannot read this channel: .*“?confidential: no guests/)
    .waitFor({ timeout: 30_000 });
  await new Promise((r) => setTimeout(r, 2000));
  assert.equal(await msg(gus, "the confidential numbers").count(), 0, "the guest reads nothing of the channel");
  await shot(gus, "channel-policy-denied");
  assert.deepEqual(unexpectedErrors(), []);
});

test("a custom role with the audit-log permission opens the Audit page to a member", { timeout: 180_000 }, async () => {
  await openAdmin(olivia, "Roles & policies");
  const panel = olivia.getByRole("tabpanel");
  const form = panel.getByRole("form", { name: "New custom role" });
  await form.getByLabel("Role name").fill("auditor");
  await form.getByLabel("Description").fill("Reads the audit log");
  assert.equal(await form.getByLabel(/org\.manage_admins/).count(), 0, "owner-only permissions are not offered");
  await form.getByLabel(/org\.read_audit/).check();
  await form.getByRole("button", { name: "Create role" }).click();
  await panel
    .getByRole("table", { name: "Custom roles" })
    .getByRole("cell", { name: /^auditor/ })
    .waitFor();

  await olivia.getByRole("tab", { name: "Users" }).click();
  await panel.getByRole("button", { name: "Custom roles of mia" }).click();
  const dialog = olivia.getByRole("dialog", { name: "Custom roles of @mia" });
  await dialog.getByLabel(/auditor/).check();
  await dialog.getByRole("button", { name: "Save roles" }).click();
  await dialog.waitFor({ state: "detached" });
  await olivia.getByRole("tab", { name: "Roles & policies" }).click();
  await panel
    .getByRole("table", { name: "Custom roles" })
    .getByRole("row", { name: /auditor/ })
    .getByText("Mia Member")
    .waitFor();
  await shot(olivia, "admin-custom-roles");

  // The member, after a reload (the app reads its permissions at start), sees the console with the Audit page only.
  await mia.reload();
  await mia.getByRole("link", { name: "Admin" }).click({ timeout: 30_000 });
  await mia.getByRole("tab", { name: "Audit" }).waitFor();
  assert.deepEqual(await mia.getByRole("tab").allInnerTexts(), ["Audit"]);
  await mia
    .getByRole("tabpanel")
    .getByText(/policy\.created|Policy created/i)
    .first()
    .waitFor({ timeout: 30_000 });
  await shot(mia, "member-audit-role");
  assert.deepEqual(unexpectedErrors(), []);
});
