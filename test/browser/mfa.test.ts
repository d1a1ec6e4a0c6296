/**
 * Two-factor authentication in the web app (issue 10), against a real Parley server; the test
 * plays the authenticator app with otplib, reading the key from the setup's "enter by hand" text.
 * A code is accepted once per 30-second step (the server keeps the last step used), so a sign-in
 * right after setting up waits for the next step (codeAfter, at most ~30 s).
 * - A user sets up an authenticator on the profile page, downloads the recovery codes, signs
 *   out, signs in with the password and a code (a wrong code first), then with a recovery code.
 * - DONE-MEANS: an org requiring MFA forces enrolment. The owner's first policy is refused
 *   (it would cover the owner, who has no authenticator yet), the owner sets one up and requires
 *   it of members at once (0 grace days); a member without it signs in and gets only the
 *   enrolment screen (a reload too), sets it up and reaches the chat, live.
 * - An admin resets a member's 2FA: the member is signed out everywhere, and — the policy
 *   requiring it of members — must set it up again at the next sign-in.
 * The tests share one server and run in order. Screenshots (test-results/screenshots/; copies in
 * docs/screenshots/): mfa-setup, mfa-recovery-codes, mfa-signin, mfa-policy, mfa-forced-enrolment.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import { generate } from "otplib";
import type { Browser, Page } from "playwright-core";
import { bootstrapOrg, call, makeUser, TEST_PASSWORD, type TestUser } from "@parley/server/testing/factories";
import type { TestServer } from "@parley/server/testing/harness";
import { wrongTotpCodes } from "@parley/server/testing/totp";
import { launchChromium, newUserPage, shot, signIn, startWebServer } from "./browser-support.ts";

const ORG = "twofa";
let server: TestServer;
let browser: Browser;
let owner: TestUser;
const errors: string[] = [];

before(async () => {
  server = await startWebServer();
  browser = await launchChromium();
  owner = await bootstrapOrg(server, { orgSlug: ORG, orgName: "Acme Two-Factor", username: "olivia", displayName: "Olivia Owner" });
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

/** The page errors of a run, without the console lines of expected 4xx answers (wrong code, refused policy, enrolment only). */
const unexpectedErrors = () => errors.filter((e) => !/status of 40[0-9]/.test(e));

const STEP_MS = 30_000;
const stepOf = (ms: number) => Math.floor(ms / STEP_MS);

/**
 * The app's code of a time step later than `used` (the step of the user's last accepted code):
 * the current step's when it is later, else the next one's, once the clock reaches it.
 */
async function codeAfter(secret: string, used: number | undefined): Promise<{ code: string; step: number }> {
  for (;;) {
    const now = Date.now();
    if (used === undefined || stepOf(now) > used) return { code: await generate({ secret, epoch: Math.floor(now / 1000) }), step: stepOf(now) };
    await new Promise((r) => setTimeout(r, (used + 1) * STEP_MS - now + 250));
  }
}

/** A code that is not the app's for any step the server accepts now. */
const wrongCode = async (secret: string): Promise<string> => (await wrongTotpCodes(secret))[0]!;

/** Go through the setup (the profile's, or the forced screen's): password, key by hand, code, codes. */
async function enrol(page: Page, shots: { setup?: string; codes?: string } = {}): Promise<{ secret: string; codes: string[]; step: number }> {
  const pw = page.getByRole("form", { name: "Set up two-factor authentication" });
  await pw.getByLabel("Current password").fill(TEST_PASSWORD);
  await pw.getByRole("button", { name: "Continue" }).click();
  await page.getByAltText("QR code to scan with your authenticator app").waitFor();
  const grouped = await page.getByTestId("totp-secret").innerText();
  assert.match(grouped, /^([A-Z2-7]{4} )+[A-Z2-7]{1,4}$/, `the key is shown in groups of four: ${grouped}`);
  const secret = grouped.replace(/\s/g, "");
  // The QR code is an image of the server's SVG, not markup in the page.
  const src = await page.getByAltText("QR code to scan with your authenticator app").getAttribute("src");
  assert.ok(src?.startsWith("data:image/svg+xml;base64,"), String(src).slice(0, 40));
  await page.waitForFunction(() => (document.querySelector("img.totp-qr") as HTMLImageElement | null)?.naturalWidth);
  if (shots.setup) await shot(page, shots.setup);
  const { code, step } = await codeAfter(secret, undefined);
  const confirm = page.getByRole("form", { name: "Confirm your authenticator app" });
  await confirm.getByLabel("Code from the app").fill(code);
  await confirm.getByRole("button", { name: "Turn on two-factor authentication" }).click();
  const list = page.getByTestId("recovery-codes");
  await list.waitFor();
  const codes = await list.locator("li").allInnerTexts();
  assert.equal(codes.length, 10);
  for (const c of codes) assert.match(c, /^[a-z2-9]{5}-[a-z2-9]{5}$/);
  if (shots.codes) await shot(page, shots.codes);
  return { secret, codes, step };
}

/** Tick "I saved them" and press the button that leaves the codes. */
async function savedCodes(page: Page, button: string): Promise<void> {
  const done = page.getByRole("button", { name: button });
  assert.equal(await done.isDisabled(), true, "the codes cannot be left before they are saved");
  await page.getByLabel("I saved them").check();
  await done.click();
}

/** The sign-in form's first step; resolves once the code step shows. */
async function passwordStep(page: Page, username: string): Promise<void> {
  await page.goto(server.url);
  await page.getByRole("heading", { name: "Sign in" }).waitFor();
  await page.getByLabel("Organisation").fill(ORG);
  await page.getByLabel("Username").fill(username);
  await page.getByLabel("Password").fill(TEST_PASSWORD);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await page.getByRole("heading", { name: "Two-factor authentication" }).waitFor({ timeout: 30_000 });
}

async function signOut(page: Page): Promise<void> {
  await page.locator(".sidebar").getByRole("button", { name: "Sign out" }).click();
  await page.getByRole("heading", { name: "Sign in" }).waitFor({ timeout: 30_000 });
}

test("set up on the profile page, recovery codes downloaded; sign in with password and code, then with a recovery code", { timeout: 240_000 }, async () => {
  await makeUser(server, owner, { username: "alice", displayName: "Alice Archer" });
  const page = await newUserPage(browser, errors);
  await signIn(page, server.url, ORG, "alice", { until: "signed-in" });
  await page.getByRole("link", { name: "Profile" }).click();
  const section = page.getByRole("region", { name: "Two-factor authentication" });
  await section.getByTestId("mfa-status").getByText("Off.").waitFor();
  await section.getByRole("button", { name: "Set up two-factor authentication" }).click();
  await section.scrollIntoViewIfNeeded();
  const { secret, codes, step } = await enrol(page, { setup: "mfa-setup" });

  // The codes as a text file: whose they are, one code a line.
  const [download] = await Promise.all([page.waitForEvent("download"), page.getByRole("button", { name: "Download as text" }).click()]);
  assert.equal(download.suggestedFilename(), `parley-recovery-codes-${ORG}-alice.txt`);
  const text = fs.readFileSync(await download.path(), "utf8");
  assert.match(text, /^Parley recovery codes for alice in Acme Two-Factor\n/);
  for (const c of codes) assert.ok(text.includes(`\n${c}\n`), `${c} is in the file`);
  await page.getByTestId("recovery-codes").scrollIntoViewIfNeeded();
  await shot(page, "mfa-recovery-codes");
  await savedCodes(page, "Done");
  await section.getByText("Two-factor authentication is on.").waitFor();
  await section
    .getByTestId("mfa-status")
    .getByText(/^On since .*10 recovery codes left\./)
    .waitFor();

  // Sign out; the password alone is not enough any more.
  await signOut(page);
  await passwordStep(page, "alice");
  const code = page.getByLabel("6-digit code");
  assert.equal(await code.getAttribute("autocomplete"), "one-time-code");
  assert.equal(await code.getAttribute("inputmode"), "numeric");
  await shot(page, "mfa-signin");
  await code.fill(await wrongCode(secret));
  await page.getByRole("button", { name: "Verify" }).click();
  await page.getByRole("alert").getByText("That code is wrong or was already used; wait for the next code.").waitFor();
  // The confirmation's step is used up: the next code is the next step's.
  const next = await codeAfter(secret, step);
  await page.getByLabel("6-digit code").fill(next.code);
  await page.getByRole("button", { name: "Verify" }).click();
  await page.locator(".sidebar").getByRole("button", { name: "Sign out" }).waitFor({ timeout: 30_000 });

  // A recovery code instead (once).
  await signOut(page);
  await passwordStep(page, "alice");
  await page.getByRole("button", { name: "Use a recovery code instead" }).click();
  await page.getByLabel("Recovery code").fill(codes[0]!.toUpperCase());
  await page.getByRole("button", { name: "Verify" }).click();
  await page.locator(".sidebar").getByRole("button", { name: "Sign out" }).waitFor({ timeout: 30_000 });
  await page.getByRole("link", { name: "Profile" }).click();
  await page
    .getByTestId("mfa-status")
    .getByText(/9 recovery codes left/)
    .waitFor();
  // It worked once.
  const used = await call(server, "POST", "/auth/login", { org: ORG, username: "alice", password: TEST_PASSWORD, deviceName: "x" });
  assert.equal(used.status, 401);
  assert.equal(used.body.code, "mfa_required");
  const again = await call(server, "POST", "/auth/mfa", { mfaToken: used.body.details.mfaToken, recoveryCode: codes[0] });
  assert.equal(again.body.code, "mfa_invalid");
  await page.context().close();
  assert.deepEqual(unexpectedErrors(), []);
});

test("DONE-MEANS: an org that requires MFA of members forces a member without it to set it up before reaching the chat", { timeout: 240_000 }, async () => {
  await makeUser(server, owner, { username: "mia", displayName: "Mia Member" });
  const admin = await newUserPage(browser, errors);
  await signIn(admin, server.url, ORG, "olivia", { until: "signed-in" });
  await admin.getByRole("link", { name: "Admin" }).click();
  await admin.getByRole("tab", { name: "Org settings" }).click();
  const policy = admin.getByRole("form", { name: "Two-factor authentication policy" });
  await policy.scrollIntoViewIfNeeded();

  // Required of everyone, the owner included, who has no authenticator yet: refused, with the way out.
  await policy.getByLabel("Require two-factor authentication").check();
  await policy.getByLabel("Grace period (days)").fill("0");
  await policy.getByRole("button", { name: "Save two-factor policy" }).click();
  await policy
    .getByRole("alert")
    .getByText(/would require two-factor authentication of you, and you have not set it up/)
    .waitFor();
  await policy.getByRole("link", { name: "Set up two-factor authentication on your profile" }).click();
  await admin.getByRole("heading", { name: "Your profile" }).waitFor();
  await admin.getByRole("button", { name: "Set up two-factor authentication" }).click();
  await enrol(admin);
  await savedCodes(admin, "Done");
  await admin.getByText("Two-factor authentication is on.").waitFor();

  // Now: required of members, at once.
  await admin.getByRole("link", { name: "Admin" }).click();
  await admin.getByRole("tab", { name: "Org settings" }).click();
  await policy.getByLabel("Require two-factor authentication").check();
  for (const role of ["Owners", "Admins", "Guests"]) await policy.getByLabel(role, { exact: true }).uncheck();
  await policy.getByLabel("Grace period (days)").fill("0");
  await policy.getByRole("button", { name: "Save two-factor policy" }).click();
  await policy.getByText("Saved.").waitFor();
  await policy.scrollIntoViewIfNeeded();
  await shot(admin, "mfa-policy");
  const stored = await owner.api("GET", "/org/mfa-policy");
  assert.deepEqual(stored.body, { required: true, roles: ["member"], graceDays: 0 });

  // The member signs in with the password: only the enrolment screen, also after a reload.
  const page = await newUserPage(browser, errors);
  await page.goto(server.url);
  await page.getByLabel("Organisation").fill(ORG);
  await page.getByLabel("Username").fill("mia");
  await page.getByLabel("Password").fill(TEST_PASSWORD);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  const forced = page.getByRole("heading", { name: "Your organisation requires two-factor authentication" });
  await forced.waitFor({ timeout: 30_000 });
  assert.equal(await page.locator(".sidebar").count(), 0, "no chat before enrolling");
  await page.goto(`${server.url}/profile`);
  await forced.waitFor({ timeout: 30_000 });
  assert.equal(await page.locator(".sidebar").count(), 0, "no chat after a reload either");
  await page.getByText("Signed in as @mia in Acme Two-Factor.").waitFor();
  await enrol(page, { setup: "mfa-forced-enrolment" });
  await savedCodes(page, "Continue to Parley");

  // Enrolled: the chat, with a live connection.
  await page.locator(".sidebar").getByRole("button", { name: "Sign out" }).waitFor({ timeout: 30_000 });
  await page.locator('.sidebar .conn[data-state="live"]').waitFor({ timeout: 30_000 });
  assert.equal(await forced.count(), 0);
  await page.context().close();
  await admin.context().close();
  assert.deepEqual(unexpectedErrors(), []);
});

test("an admin resets a member's 2FA: signed out everywhere, and set up again at the next sign-in", { timeout: 240_000 }, async () => {
  const adam = await makeUser(server, owner, { username: "adam", displayName: "Adam Admin", role: "admin" });
  const bea = await makeUser(server, owner, { username: "bea", displayName: "Bea Member" });
  assert.ok(adam.user.id);
  // Bea sets up an authenticator (through the API) and signs in with it in a browser.
  const started = await bea.api("POST", "/me/mfa/totp", { currentPassword: TEST_PASSWORD });
  assert.equal(started.status, 200, JSON.stringify(started.body));
  const secret = started.body.secret as string;
  const first = await codeAfter(secret, undefined);
  const confirmed = await bea.api("POST", "/me/mfa/totp/confirm", { code: first.code });
  assert.equal(confirmed.status, 200, JSON.stringify(confirmed.body));
  const beaPage = await newUserPage(browser, errors);
  await passwordStep(beaPage, "bea");
  await beaPage.getByLabel("6-digit code").fill((await codeAfter(secret, first.step)).code);
  await beaPage.getByRole("button", { name: "Verify" }).click();
  await beaPage.locator(".sidebar").getByRole("button", { name: "Sign out" }).waitFor({ timeout: 30_000 });

  // The admin: Users → Reset 2FA (not on their own row).
  const page = await newUserPage(browser, errors);
  await signIn(page, server.url, ORG, "adam", { until: "signed-in" });
  await page.getByRole("link", { name: "Admin" }).click();
  const users = page.getByRole("tabpanel");
  await users.getByRole("button", { name: "Reset two-factor authentication of bea" }).waitFor();
  assert.equal(await users.getByRole("button", { name: "Reset two-factor authentication of adam" }).count(), 0);
  await users.getByRole("button", { name: "Reset two-factor authentication of bea" }).click();
  const dialog = page.getByRole("dialog", { name: "Reset two-factor authentication?" });
  await dialog.getByText(/authenticator app and all their recovery codes are removed/).waitFor();
  await dialog.getByRole("button", { name: "Reset two-factor authentication" }).click();
  const done = page.getByRole("dialog", { name: "Two-factor authentication reset for @bea" });
  await done.getByText(/signed out everywhere/).waitFor();
  await done.getByRole("button", { name: "Done" }).click();

  // Bea's browser is signed out; her next sign-in asks for no code, but the org's policy wants one set up.
  await beaPage.getByRole("heading", { name: "Sign in" }).waitFor({ timeout: 60_000 });
  await beaPage.getByLabel("Organisation").fill(ORG);
  await beaPage.getByLabel("Username").fill("bea");
  await beaPage.getByLabel("Password").fill(TEST_PASSWORD);
  await beaPage.getByRole("button", { name: "Sign in", exact: true }).click();
  await beaPage.getByRole("heading", { name: "Your organisation requires two-factor authentication" }).waitFor({ timeout: 30_000 });
  const status = await bea.api("GET", "/me/mfa");
  assert.equal(status.status, 401, "her API session ended too");
  await beaPage.context().close();
  await page.context().close();
  assert.deepEqual(unexpectedErrors(), []);
});
