/**
 * Passkeys in the web app (issue 10), against a real Parley server, with Chromium's virtual
 * authenticator (the CDP WebAuthn domain: a platform authenticator with resident keys and user
 * verification that answers without a prompt, and backs its passkeys up as a syncing provider does). Chromium refuses WebAuthn on an IP address, so
 * this server's public URL, and the relying party it derives from it, is http://localhost:PORT
 * (it still listens on 127.0.0.1), and the browser opens the app there.
 * - A user adds a passkey on the profile (password, the authenticator, a name), signs out and
 *   DONE-MEANS: signs in with the passkey only (organisation typed, no username or password).
 * - With the passkey as the account's only second factor, a password sign-in asks for it.
 * - Rename; remove is refused while the org requires MFA of the user and it is their last
 *   second factor, and works once the org no longer does.
 * The tests share one server, browser page and authenticator, and run in order. Screenshots
 * (test-results/screenshots/; copies in docs/screenshots/): passkeys-profile, passkey-signin.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import type { Browser, CDPSession, Page } from "playwright-core";
import type { AuthTokens } from "@parley/protocol";
import { asTestUser, call, makeUser, TEST_PASSWORD, type TestUser } from "@parley/server/testing/factories";
import { TEST_SETUP_TOKEN, type TestServer } from "@parley/server/testing/harness";
import { freePort } from "@parley/server/testing/ports";
import { launchChromium, newUserPage, shot, signIn, startWebServer } from "./browser-support.ts";

const ORG = "keys";
let server: TestServer;
let url: string;
let browser: Browser;
let owner: TestUser;
let alice: TestUser;
let page: Page;
let cdp: CDPSession;
let authenticatorId: string;
const errors: string[] = [];

before(async () => {
  const port = await freePort();
  url = `http://localhost:${port}`;
  server = await startWebServer({ port, publicUrl: url });
  browser = await launchChromium();
  const setup = await call<AuthTokens>(server, "POST", "/setup", {
    setupToken: TEST_SETUP_TOKEN,
    orgSlug: ORG,
    orgName: "Acme Keys",
    username: "olivia",
    displayName: "Olivia Owner",
    password: TEST_PASSWORD,
    deviceName: "test device",
  });
  assert.equal(setup.status, 201, JSON.stringify(setup.body));
  owner = asTestUser(server, setup.body, TEST_PASSWORD);
  alice = await makeUser(server, owner, { username: "alice", displayName: "Alice Archer" });
  page = await newUserPage(browser, errors);
  // The authenticator belongs to this page's target: it keeps its passkeys across sign-outs and reloads.
  cdp = await page.context().newCDPSession(page);
  await cdp.send("WebAuthn.enable");
  ({ authenticatorId } = await cdp.send("WebAuthn.addVirtualAuthenticator", {
    options: {
      protocol: "ctap2",
      transport: "internal",
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: true,
      // Like a passkey provider that syncs (a password manager): the profile says "synced".
      defaultBackupEligibility: true,
      defaultBackupState: true,
    },
  }));
});

after(async () => {
  await page?.context().close();
  await browser?.close();
  await server?.stop();
});

/** The page errors of a run, without the console lines of expected 4xx answers (a refused removal). */
const unexpectedErrors = () => errors.filter((e) => !/status of 40[0-9]/.test(e));

const sidebarSignOut = () => page.locator(".sidebar").getByRole("button", { name: "Sign out" });

async function signOut(): Promise<void> {
  await sidebarSignOut().click();
  await page.getByRole("heading", { name: "Sign in" }).waitFor({ timeout: 30_000 });
}

async function passkeysSection() {
  await page.getByRole("link", { name: "Profile" }).click();
  await page.getByRole("heading", { name: "Your profile" }).waitFor();
  const section = page.getByRole("region", { name: "Passkeys" });
  await section.scrollIntoViewIfNeeded();
  return section;
}

test("DONE-MEANS: add a passkey on the profile, sign out, and sign in with the passkey only", { timeout: 240_000 }, async () => {
  await signIn(page, url, ORG, "alice", { until: "signed-in" });
  const section = await passkeysSection();
  await section.getByText("You have no passkeys yet.").waitFor();
  await section.getByRole("button", { name: "Add a passkey" }).click();
  const form = section.getByRole("form", { name: "Add a passkey" });
  await form.getByLabel("Current password").fill(TEST_PASSWORD);
  await form.getByRole("button", { name: "Continue" }).click();
  const naming = section.getByRole("form", { name: "Name your passkey" });
  await naming.getByLabel("Passkey name").fill("Test laptop");
  await naming.getByRole("button", { name: "Save passkey" }).click();
  await section.getByText("Passkey “Test laptop” added.", { exact: false }).waitFor();
  const row = section.getByRole("row", { name: /Test laptop/ });
  await row.getByRole("cell", { name: "Never" }).waitFor();
  await row.getByText("synced", { exact: true }).waitFor();
  // The two-factor section counts the passkey as the second factor.
  await page.getByTestId("mfa-status").getByText("On with your passkey:").waitFor();
  await shot(page, "passkeys-profile");

  // The authenticator holds one discoverable passkey for localhost; the server has it for alice.
  const { credentials } = await cdp.send("WebAuthn.getCredentials", { authenticatorId });
  assert.equal(credentials.length, 1);
  assert.equal(credentials[0]!.isResidentCredential, true);
  assert.equal(credentials[0]!.rpId, "localhost");
  const listed = await alice.api("GET", "/me/passkeys");
  assert.deepEqual(
    listed.body.passkeys.map((p: { name: string }) => p.name),
    ["Test laptop"],
  );

  // Signed out (this browser forgets the session, keys and history), then back with the passkey alone.
  await signOut();
  await page.getByLabel("Organisation").fill(ORG);
  await page.getByLabel("Username").fill("");
  await page.getByRole("button", { name: "Sign in with a passkey" }).waitFor();
  await shot(page, "passkey-signin");
  await page.getByRole("button", { name: "Sign in with a passkey" }).click();
  await sidebarSignOut().waitFor({ timeout: 30_000 });
  await page.locator('.sidebar .conn[data-state="live"]').waitFor({ timeout: 30_000 });
  // It is alice, and her passkey was just used.
  const section2 = await passkeysSection();
  await page
    .locator(".channel-head")
    .getByText(/^@alice · /)
    .waitFor();
  const used = section2.getByRole("row", { name: /Test laptop/ });
  await used.waitFor();
  assert.equal(await used.getByRole("cell", { name: "Never" }).count(), 0, "the passkey has a last use now");
  const audit = await owner.api("GET", "/audit?action=auth.login.succeeded");
  assert.equal(audit.status, 200, JSON.stringify(audit.body));
  assert.ok(JSON.stringify(audit.body).includes('"secondFactor":"passkey"'), "the sign-in is recorded as a passkey's (multi-factor on its own)");
  assert.deepEqual(unexpectedErrors(), []);
});

test("a password sign-in of an account whose only second factor is the passkey asks for it", { timeout: 240_000 }, async () => {
  await signOut();
  await page.getByLabel("Organisation").fill(ORG);
  await page.getByLabel("Username").fill("alice");
  await page.getByLabel("Password").fill(TEST_PASSWORD);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await page.getByRole("heading", { name: "Two-factor authentication" }).waitFor({ timeout: 30_000 });
  // No app, no recovery codes: only the passkey.
  assert.equal(await page.getByLabel("6-digit code").count(), 0);
  assert.equal(await page.getByRole("button", { name: "Use a recovery code instead" }).count(), 0);
  await shot(page, "passkey-second-factor");
  await page.getByRole("button", { name: "Use a passkey", exact: true }).click();
  await sidebarSignOut().waitFor({ timeout: 30_000 });
  const status = await call(server, "POST", "/auth/login", { org: ORG, username: "alice", password: TEST_PASSWORD, deviceName: "x" });
  assert.equal(status.body.code, "mfa_required");
  assert.deepEqual(status.body.details.methods, ["passkey"]);
  assert.deepEqual(unexpectedErrors(), []);
});

test("rename; remove is refused while the org requires it as the last second factor, then works", { timeout: 240_000 }, async () => {
  const section = await passkeysSection();
  await section.getByRole("button", { name: "Rename Test laptop" }).click();
  const rename = section.getByRole("form", { name: "Rename passkey Test laptop" });
  await rename.getByLabel("Passkey name").fill("Work laptop");
  await rename.getByRole("button", { name: "Save" }).click();
  await section.getByText("Passkey renamed.").waitFor();
  await section.getByRole("row", { name: /Work laptop/ }).waitFor();

  // The org requires MFA of members: the passkey is alice's only second factor, so it stays.
  const required = await owner.api("PUT", "/org/mfa-policy", { required: true, roles: ["member"], graceDays: 0 });
  assert.equal(required.status, 200, JSON.stringify(required.body));
  await section.getByRole("button", { name: "Remove Work laptop" }).click();
  const dialog = page.getByRole("dialog", { name: "Remove passkey?" });
  await dialog.getByText("will no longer sign you in").waitFor();
  await dialog.getByRole("button", { name: "Remove passkey" }).click();
  await dialog
    .getByRole("alert")
    .getByText(/this passkey is your last second factor\. Add another passkey or set up an authenticator app first/)
    .waitFor();
  await dialog.getByRole("button", { name: "Cancel" }).click();
  assert.equal((await alice.api("GET", "/me/passkeys")).body.passkeys.length, 1);

  // No longer required: removed.
  const relaxed = await owner.api("PUT", "/org/mfa-policy", { required: false, roles: ["member"], graceDays: 0 });
  assert.equal(relaxed.status, 200, JSON.stringify(relaxed.body));
  await section.getByRole("button", { name: "Remove Work laptop" }).click();
  await dialog.getByRole("button", { name: "Remove passkey" }).click();
  await section.getByText("Passkey removed.").waitFor();
  await section.getByText("You have no passkeys yet.").waitFor();
  assert.deepEqual((await alice.api("GET", "/me/passkeys")).body.passkeys, []);
  // The password alone signs in again.
  const login = await call(server, "POST", "/auth/login", { org: ORG, username: "alice", password: TEST_PASSWORD, deviceName: "x" });
  assert.equal(login.status, 200, JSON.stringify(login.body));
  assert.deepEqual(unexpectedErrors(), []);
});
