/**
 * The identity pages of the admin console (issue 10), against a real Parley server:
 * - Directory → SCIM: the owner creates a token (shown once with the SCIM base URL), the test
 *   plays the identity provider with fetch against /scim/v2/Users, the user it creates shows
 *   in the Users tab and the token's last use in its row; revoking it (confirmed) makes the IdP's
 *   next request fail.
 * - API keys: a service account and a key for it, shown once; the key signs in over the API
 *   and its use shows in the list.
 * - Sessions: the session policy (a list without the owner's own address is refused, saying
 *   why), a member's sessions from the Users tab and the Sessions tab, "Sign out everywhere"
 *   (confirmed): the member's page returns to sign-in. The owner's own profile lists sessions.
 * - Directory → LDAP: the settings form; Test reports a closed port clearly; then against a
 *   real slapd (testing/ldap.ts) Test looks a person up, and Sync now shows its outcome.
 * The tests share one server and run in order. Screenshots (test-results/screenshots/; copies in
 * docs/screenshots/): admin-scim, admin-api-keys, admin-sessions, admin-user-sessions,
 * profile-sessions, admin-ldap.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import net from "node:net";
import type { Browser, Page } from "playwright-core";
import type { AuthTokens } from "@parley/protocol";
import { bootstrapOrg, call, makeUser, type TestUser } from "@parley/server/testing/factories";
import type { TestServer } from "@parley/server/testing/harness";
import { LDAP_GROUPS, LDAP_PEOPLE, LDAP_SERVICE_DN, LDAP_SERVICE_PASSWORD, startTestLdap } from "@parley/server/testing/ldap";
import { launchChromium, newUserPage, shot, signIn, startWebServer } from "./browser-support.ts";

const ORG = "identity";
let server: TestServer;
let browser: Browser;
let owner: TestUser;
let page: Page;
const errors: string[] = [];

before(async () => {
  server = await startWebServer();
  browser = await launchChromium();
  owner = await bootstrapOrg(server, { orgSlug: ORG, orgName: "Acme Identity", username: "olivia", displayName: "Olivia Owner" });
  await makeUser(server, owner, { username: "mia", displayName: "Mia Member" });
  page = await newUserPage(browser, errors);
  await signIn(page, server.url, ORG, "olivia", { deviceName: "Olivia laptop", until: "signed-in" });
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

/** The page errors of a run, without the console lines of the 4xx answers the tests provoke. */
const unexpectedErrors = () => errors.filter((e) => !/status of 40[0-9]/.test(e));

async function openAdmin(tab: string): Promise<void> {
  await page.getByRole("link", { name: "Admin" }).click();
  await page.getByRole("tab", { name: tab }).click();
  await page.getByRole("tabpanel").waitFor();
}

test("SCIM: a token shown once provisions a user over /scim/v2, who shows in the Users tab; revoked, it stops working", { timeout: 120_000 }, async () => {
  await openAdmin("Directory");
  const panel = page.getByRole("tabpanel");
  await panel.getByText("No SCIM tokens yet.").waitFor();
  const form = panel.getByRole("form", { name: "Create SCIM token" });
  await form.getByRole("button", { name: "Create SCIM token" }).click();
  await panel
    .getByRole("alert")
    .getByText(/Name the token/)
    .waitFor();
  await form.getByLabel("Token name").fill("Okta");
  await form.getByRole("button", { name: "Create SCIM token" }).click();
  const once = panel.getByRole("status", { name: "SCIM token “Okta”" });
  const token = await once.getByRole("textbox", { name: "SCIM token", exact: true }).inputValue();
  const base = await once.getByRole("textbox", { name: "SCIM base URL" }).inputValue();
  assert.equal(base, `${server.url}/scim/v2`);
  assert.match(token, /\S{20,}/);
  await panel.getByRole("table", { name: "SCIM tokens" }).getByRole("cell", { name: "Okta", exact: true }).waitFor();
  await shot(page, "admin-scim");

  // The identity provider creates a user.
  const scim = (method: string, path: string, body?: unknown) =>
    fetch(`${base}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, "content-type": "application/scim+json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  const created = await scim("POST", "/Users", {
    schemas: ["urn:ietf:params:scim:schemas:core:2.0:User"],
    userName: "sam",
    displayName: "Sam Provisioned",
    name: { givenName: "Sam", familyName: "Provisioned" },
    emails: [{ value: "sam@example.org", primary: true }],
    active: true,
  });
  assert.equal(created.status, 201, await created.clone().text());

  // The Users tab lists the new user (after a reload: the app reads people at start and from live updates).
  await page.reload();
  await openAdmin("Users");
  await page.getByRole("tabpanel").getByRole("cell", { name: "@sam", exact: true }).waitFor({ timeout: 30_000 });
  await page.getByRole("tabpanel").getByRole("cell", { name: "sam@example.org", exact: true }).waitFor();

  // The token's last use shows; revoking it (confirmed) refuses the IdP's next request.
  await page.getByRole("tab", { name: "Directory" }).click();
  const row = page.getByRole("table", { name: "SCIM tokens" }).getByRole("row", { name: /Okta/ });
  assert.doesNotMatch(await row.getByRole("cell").nth(3).innerText(), /never/);
  await row.getByRole("button", { name: "Revoke SCIM token Okta" }).click();
  const dialog = page.getByRole("dialog", { name: "Revoke SCIM token “Okta”?" });
  await dialog.getByRole("button", { name: "Revoke token" }).click();
  await dialog.waitFor({ state: "detached" });
  await row.getByRole("cell", { name: "Revoked", exact: true }).waitFor();
  assert.equal((await scim("GET", "/Users")).status, 401);
  assert.deepEqual(unexpectedErrors(), []);
});

test("API keys: a service account's key, shown once, signs in over the API and its use shows", { timeout: 120_000 }, async () => {
  await openAdmin("API keys");
  const panel = page.getByRole("tabpanel");
  await panel.getByText("No API keys yet.").waitFor();
  const sa = panel.getByRole("form", { name: "Create service account" });
  await sa.getByLabel("Service account username").fill("exporter");
  await sa.getByLabel("Service account display name").fill("Nightly exporter");
  await sa.getByRole("button", { name: "Create service account" }).click();
  await sa.getByRole("status").getByText("Service account @exporter created.", { exact: false }).waitFor();
  await panel.getByRole("table", { name: "Service accounts" }).getByRole("cell", { name: "@exporter", exact: true }).waitFor();

  const form = panel.getByRole("form", { name: "Create API key" });
  await form.getByLabel("For").selectOption({ label: "Service account Nightly exporter (@exporter)" });
  await form.getByLabel("Key name").fill("Nightly export");
  await form.getByLabel("Write").check();
  await form.getByLabel("Expires after (days)").fill("30");
  await form.getByRole("button", { name: "Create API key" }).click();
  const once = panel.getByRole("status", { name: "API key “Nightly export” for @exporter" });
  const key = await once.getByRole("textbox", { name: "New API key" }).inputValue();
  assert.match(key, /^pk_/);
  const keys = panel.getByRole("table", { name: "API keys" });
  await keys.getByRole("cell", { name: "Nightly exporter (@exporter)", exact: true }).waitFor();
  await shot(page, "admin-api-keys");
  await once.getByRole("button", { name: "Done" }).click();

  // The key signs in and calls the API as the service account.
  const signedIn = await call<AuthTokens>(server, "POST", "/auth/api-key", { key, deviceName: "exporter job" });
  assert.equal(signedIn.status, 200, JSON.stringify(signedIn.body));
  assert.equal(signedIn.body.user.username, "exporter");
  const me = await call<{ user: { username: string } }>(server, "GET", "/me", undefined, { authorization: `Bearer ${signedIn.body.accessToken}` });
  assert.equal(me.status, 200);
  assert.equal(me.body.user.username, "exporter");

  // Its last use shows once the list reloads; a revoked key (confirmed) no longer signs in.
  await page.getByRole("tab", { name: "Sessions" }).click();
  await page.getByRole("tab", { name: "API keys" }).click();
  const row = page.getByRole("table", { name: "API keys" }).getByRole("row", { name: /Nightly export/ });
  assert.doesNotMatch(await row.getByRole("cell").nth(6).innerText(), /never/);
  assert.match(await row.innerText(), /read, write/);
  await row.getByRole("button", { name: "Revoke API key Nightly export" }).click();
  await page.getByRole("dialog", { name: "Revoke API key “Nightly export”?" }).getByRole("button", { name: "Revoke key" }).click();
  await row.getByRole("cell", { name: "Revoked", exact: true }).waitFor();
  assert.equal((await call(server, "POST", "/auth/api-key", { key })).status, 401);
  assert.deepEqual(unexpectedErrors(), []);
});

test("Sessions: the policy refuses a lock-out; an admin signs a member out everywhere and the member's page signs out", { timeout: 180_000 }, async () => {
  const member = await newUserPage(browser, errors);
  await signIn(member, server.url, ORG, "mia", { deviceName: "Mia phone", until: "signed-in", live: true });

  await openAdmin("Sessions");
  const policy = page.getByRole("form", { name: "Session policy" });
  const allow = policy.getByLabel("IP allow-list");
  await allow.and(page.locator(":enabled")).waitFor();
  await policy.getByLabel("Idle timeout (minutes)").fill("120");
  await policy.getByLabel("Absolute timeout (hours)").fill("24");
  await allow.fill("10.0.0.0/8\nnot-an-address");
  await policy.getByRole("button", { name: "Save session policy" }).click();
  await policy
    .getByRole("alert")
    .getByText(/"not-an-address" is not an IP address/)
    .waitFor();
  await allow.fill("10.0.0.0/8");
  await policy.getByRole("button", { name: "Save session policy" }).click();
  await policy
    .getByRole("alert")
    .getByText(/Not saved: .*lock yourself out/)
    .waitFor();
  await allow.fill("10.0.0.0/8\n127.0.0.0/8\n::1");
  await policy.getByRole("button", { name: "Save session policy" }).click();
  await policy.getByRole("status").getByText("Saved.").waitFor();
  const stored = await owner.api("GET", "/org/session-policy");
  assert.deepEqual(stored.body, { idleTimeoutMinutes: 120, absoluteTimeoutHours: 24, ipAllowList: ["10.0.0.0/8", "127.0.0.0/8", "::1"] });

  // Mia's sessions, picked in the Sessions tab.
  await page.getByRole("tabpanel").getByLabel("User", { exact: true }).selectOption({ label: "Mia Member (@mia)" });
  const sessions = page.getByRole("table", { name: "Sessions of mia" });
  await sessions.getByRole("cell", { name: "Mia phone", exact: true }).waitFor();
  await page.locator(".admin-panel").evaluate((el) => el.scrollTo(0, 0));
  await shot(page, "admin-sessions");

  // From the Users tab row: the same view; sign her out everywhere (confirmed).
  await page.getByRole("tab", { name: "Users" }).click();
  await page.getByRole("button", { name: "Sessions of mia" }).click();
  const inRow = page.getByRole("region", { name: "Sessions of mia" });
  await inRow.getByRole("cell", { name: "Mia phone", exact: true }).waitFor();
  await inRow.getByRole("button", { name: "Sign out mia everywhere" }).click();
  const dialog = page.getByRole("dialog", { name: "Sign out @mia everywhere?" });
  await dialog.getByText(/Every session of Mia Member ends/).waitFor();
  await shot(page, "admin-user-sessions");
  await dialog.getByRole("button", { name: "Sign out everywhere" }).click();
  await inRow
    .getByRole("status")
    .getByText(/Signed out everywhere: \d+ sessions? ended\./)
    .waitFor();
  await inRow.getByText("No active sessions.").waitFor();
  await member.getByRole("heading", { name: "Sign in" }).waitFor({ timeout: 60_000 });
  await member.context().close();

  // The owner's own sessions on the profile.
  await page.getByRole("link", { name: "Profile" }).click();
  const own = page.getByRole("table", { name: "Your sessions" });
  await own.getByRole("cell", { name: /Olivia laptop/ }).waitFor();
  await page.getByRole("heading", { name: "Sessions" }).scrollIntoViewIfNeeded();
  await shot(page, "profile-sessions");
  // This session is ended with "Sign out everywhere", not from its row; the setup's session can be ended.
  assert.equal(await own.getByRole("button", { name: "End session on Olivia laptop" }).count(), 0);
  await own.getByRole("button", { name: "End session on test device" }).waitFor();
  assert.deepEqual(unexpectedErrors(), []);
});

/** A port on 127.0.0.1 nothing listens on. */
async function closedPort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

test("LDAP: settings save, Test names a closed port, and against a real slapd Test finds a person and Sync now reports", { timeout: 180_000 }, async () => {
  await openAdmin("Directory");
  const form = page.getByRole("form", { name: "LDAP settings" });
  const url = form.getByLabel("Server URL");
  await url.and(page.locator(":enabled")).waitFor();
  await url.fill(`ldap://127.0.0.1:${await closedPort()}`);
  await form.getByLabel("Bind DN").fill(LDAP_SERVICE_DN);
  await form.getByLabel("Bind password").fill(LDAP_SERVICE_PASSWORD);
  await form.getByLabel("User base DN").fill(LDAP_PEOPLE);
  await form.getByLabel("Timeout (seconds)").fill("3");
  await form.getByRole("button", { name: "Test connection" }).click();
  const result = form.getByRole("status", { name: "LDAP test result" });
  await result.getByText("Failed at connecting").waitFor({ timeout: 30_000 });
  await form.getByLabel("Sync interval (minutes)").fill("2");
  await form.getByRole("button", { name: "Save LDAP settings" }).click();
  await form
    .getByRole("alert")
    .getByText(/^Sync interval: /)
    .waitFor();
  await form.getByLabel("Sync interval (minutes)").fill("600");
  await form.getByRole("button", { name: "Save LDAP settings" }).click();
  await form.getByRole("status").getByText("Saved.").waitFor();
  assert.equal((await owner.api("GET", "/ldap")).body.settings.syncIntervalMinutes, 600);

  // A real directory: Test looks alice up with her groups' role; Sync now shows its outcome.
  const ldap = await startTestLdap({
    people: [{ uid: "alice", cn: "Alice Archer", mail: "alice@example.org", password: "alice-directory-pw" }],
    groups: [{ cn: "admins", members: ["alice"] }],
  });
  try {
    await url.fill(ldap.url);
    await form.getByLabel("Bind password").fill(LDAP_SERVICE_PASSWORD);
    await form.getByLabel("Read groups").check();
    await form.getByLabel("Group base DN").fill(LDAP_GROUPS);
    await form.getByRole("button", { name: "Add role mapping" }).click();
    await form.getByLabel("Group of role mapping 1").fill("admins");
    await form.getByLabel("Role of role mapping 1").selectOption("admin");
    await form.getByLabel("Look up a username (optional)").fill("alice");
    await form.getByRole("button", { name: "Test connection" }).click();
    await result.getByText("Connection works").waitFor({ timeout: 30_000 });
    await result.getByText(/groups admins, role admin/).waitFor();
    await form.getByRole("button", { name: "Save LDAP settings" }).click();
    await form.getByRole("status").getByText("Saved.").waitFor();
    await form.getByRole("button", { name: "Sync now" }).click();
    await page.getByLabel("Last sync").getByText("Last sync succeeded").waitFor({ timeout: 60_000 });
    await page
      .getByLabel("Last sync")
      .getByText(/1 directory entries/)
      .waitFor();
    await page.getByRole("heading", { name: "LDAP / Active Directory" }).scrollIntoViewIfNeeded();
    await shot(page, "admin-ldap");
  } finally {
    await ldap.destroy();
  }
  assert.deepEqual(unexpectedErrors(), []);
});
