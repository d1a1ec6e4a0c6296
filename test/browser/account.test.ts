/**
 * Accounts in the web app (issue 10, first slice), against a real Parley server that sends
 * email to a real SMTP server on 127.0.0.1 (links point at the server's own URL, the default
 * when PARLEY_PUBLIC_URL is unset).
 * - Password reset by email, end to end: "Forgot password?" on the sign-in screen → the
 *   email's link opens the reset screen (the token leaves the address bar) → a too-short
 *   password shows the policy's minimum → a good one → "Password changed — sign in" with the
 *   form pre-filled → the old password fails, the new one signs in; the link is dead after.
 * - The profile page: name and status, a picture (a generated 300×200 PNG, cropped to its
 *   centred 200×200 square in the browser), the email address changed through its emailed link, the password
 *   changed with "Sign out my other sessions" (the user's other browser is signed out).
 * - The admin console: an invite emailed, a user without email reset by the admin (the
 *   one-time link shown, and it works), an address set, the password policy changed.
 * Screenshots (test-results/screenshots/; copies in docs/screenshots/): forgot-password,
 * reset-password, profile, admin-reset-password, password-policy.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import zlib from "node:zlib";
import type { Browser, Page } from "playwright-core";
import type { AuthTokens } from "@parley/protocol";
import { asTestUser, call, makeUser, TEST_PASSWORD, type TestUser } from "@parley/server/testing/factories";
import { TEST_SETUP_TOKEN, type TestServer } from "@parley/server/testing/harness";
import { linkIn, startTestSmtp, type TestSmtp } from "@parley/server/testing/smtp";
import { launchChromium, newUserPage, shot, signIn, startWebServer } from "./browser-support.ts";

const ORG = "acct";
const BOB_EMAIL = "bob@example.org";
const NEW_PASSWORD = "plum tiger lantern 42";
let smtp: TestSmtp;
let server: TestServer;
let browser: Browser;
let owner: TestUser;
const errors: string[] = [];

before(async () => {
  smtp = await startTestSmtp();
  server = await startWebServer({ smtpUrl: smtp.url, smtpRequireTls: false });
  browser = await launchChromium();
  // The owner sets up the org with an email address.
  const setup = await call<AuthTokens>(server, "POST", "/setup", {
    setupToken: TEST_SETUP_TOKEN,
    orgSlug: ORG,
    orgName: "Acme Accounts",
    username: "olivia",
    displayName: "Olivia Owner",
    password: TEST_PASSWORD,
    deviceName: "test device",
    email: "olivia@example.org",
  });
  assert.equal(setup.status, 201, JSON.stringify(setup.body));
  owner = asTestUser(server, setup.body, TEST_PASSWORD);
});

after(async () => {
  await browser?.close();
  await server?.stop();
  await smtp?.stop();
});

/** The page errors of a run, without the console lines of expected 4xx answers (wrong password, used link). */
const unexpectedErrors = () => errors.filter((e) => !/status of 40[0-9]/.test(e));

/** A `width`×`height` RGB PNG with a gradient (a real, decodable image for the file picker). */
function pngImage(width: number, height: number): Buffer {
  const chunk = (type: string, data: Buffer) => {
    const body = Buffer.concat([Buffer.from(type, "ascii"), data]);
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(zlib.crc32(body));
    return Buffer.concat([len, body, crc]);
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 8; // bit depth
  header[9] = 2; // RGB
  const rows = Buffer.alloc(height * (1 + width * 3));
  for (let y = 0; y < height; y++) {
    const row = y * (1 + width * 3);
    for (let x = 0; x < width; x++) rows.set([(x * 255) / width, (y * 255) / height, 160], row + 1 + x * 3);
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", header),
    chunk("IDAT", zlib.deflateSync(rows)),
    chunk("IEND", Buffer.alloc(0)),
  ]);
}

/** Sign in through the form with a given password; resolves once the outcome shows. */
async function signInWith(page: Page, password: string): Promise<"signed-in" | string> {
  await page.getByLabel("Password", { exact: true }).fill(password);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  const outcome = await Promise.race([
    page
      .getByRole("button", { name: "Sign out" })
      .waitFor({ timeout: 30_000 })
      .then(() => "signed-in"),
    page
      .getByRole("alert")
      .waitFor({ timeout: 30_000 })
      .then(() => page.getByRole("alert").innerText()),
  ]);
  return outcome;
}

test("password reset by email, end to end: forgot password → emailed link → policy error → new password → sign in", { timeout: 180_000 }, async () => {
  const url = server.url;
  const bob = await makeUser(server, owner, { username: "bob", displayName: "Bob Builder" });
  const set = await owner.api("PUT", `/users/${bob.user.id}/email`, { email: BOB_EMAIL });
  assert.equal(set.status, 200, JSON.stringify(set.body));

  const page = await newUserPage(browser, errors);
  await page.goto(url);
  await page.getByRole("heading", { name: "Sign in" }).waitFor();
  await page.getByLabel("Organisation").fill(ORG);
  await page.getByLabel("Username").fill("bob");
  await page.getByRole("link", { name: "Forgot password?" }).click();
  await page.getByRole("heading", { name: "Forgot your password?" }).waitFor();
  // The sign-in form's organisation and username carry over.
  assert.equal(await page.getByLabel("Organisation").inputValue(), ORG);
  assert.equal(await page.getByLabel("Username or email").inputValue(), "bob");
  assert.equal(new URL(page.url()).pathname, "/forgot-password");
  await shot(page, "forgot-password");
  await page.getByRole("button", { name: "Email me a link" }).click();
  await page.getByText("If that account has an email address, a link is on its way").waitFor();

  // An unknown account gets the same answer (and no email).
  await page.goto(`${url}/forgot-password?org=${ORG}&login=nobody`);
  await page.getByRole("button", { name: "Email me a link" }).click();
  await page.getByText("If that account has an email address, a link is on its way").waitFor();

  const mail = await smtp.waitFor((m) => m.to.includes(BOB_EMAIL) && m.text.includes("/reset-password#token="), 30_000);
  const link = linkIn(mail, `${url}/reset-password`);
  await page.goto(link);
  await page.getByRole("heading", { name: "Choose a new password" }).waitFor();
  await page.getByText("@bob").waitFor();
  assert.ok(!page.url().includes("token"), `the token left the address bar: ${page.url()}`);
  await page.getByText(/At least 10 characters/).waitFor();

  // Too short for the policy (10): refused with the policy's minimum.
  await page.getByLabel("New password", { exact: true }).fill("short1");
  await page.getByLabel("Confirm new password").fill("short1");
  await page.getByRole("button", { name: "Set new password" }).click();
  await page.getByRole("alert").getByText("too short: use at least 10 characters").waitFor();
  // On the list of common passwords: refused by the server.
  await page.getByLabel("New password", { exact: true }).fill("1234567890");
  await page.getByLabel("Confirm new password").fill("1234567890");
  await page.getByRole("button", { name: "Set new password" }).click();
  await page
    .getByRole("alert")
    .getByText(/common or leaked/)
    .waitFor();
  await page.getByLabel("New password", { exact: true }).fill(NEW_PASSWORD);
  await page.getByLabel("Confirm new password").fill("plum tiger lantern 4");
  await page.getByRole("button", { name: "Set new password" }).click();
  await page
    .getByRole("alert")
    .getByText(/two passwords differ/)
    .waitFor();
  await page.getByLabel("Confirm new password").fill(NEW_PASSWORD);
  await shot(page, "reset-password");
  await page.getByRole("button", { name: "Set new password" }).click();
  await page.getByRole("heading", { name: "Password changed — sign in" }).waitFor();

  // Sign in, pre-filled: the old password fails, the new one works.
  await page.getByRole("link", { name: "Sign in" }).click();
  await page.getByRole("heading", { name: "Sign in" }).waitFor();
  assert.equal(await page.getByLabel("Organisation").inputValue(), ORG);
  assert.equal(await page.getByLabel("Username").inputValue(), "bob");
  assert.match(await signInWith(page, TEST_PASSWORD), /Wrong organisation, username or password/);
  assert.equal(await signInWith(page, NEW_PASSWORD), "signed-in");
  assert.equal(new URL(page.url()).pathname.startsWith("/sign-in"), false, "signed in, the app leaves /sign-in");

  // The link worked once.
  const again = await newUserPage(browser, errors);
  await again.goto(link);
  await again.getByRole("alert").getByText("This link has expired or was already used; ask for a new one.").waitFor();
  await again.getByRole("link", { name: "Ask for a new link" }).waitFor();
  await again.context().close();
  await page.context().close();
  assert.deepEqual(unexpectedErrors(), []);
});

test(
  "profile: name and status, a picture, the email address via its link, and a password change that signs out the other sessions",
  { timeout: 240_000 },
  async () => {
    const url = server.url;
    await makeUser(server, owner, { username: "pat", displayName: "Pat Doe" });
    const page = await newUserPage(browser, errors);
    const other = await newUserPage(browser, errors);
    await signIn(other, url, ORG, "pat", { deviceName: "Pat phone", until: "signed-in" });
    await signIn(page, url, ORG, "pat", { deviceName: "Pat laptop", until: "signed-in" });

    await page.getByRole("link", { name: "Profile" }).click();
    await page.getByRole("heading", { name: "Your profile" }).waitFor();
    assert.equal(new URL(page.url()).pathname, "/profile");
    await page.getByTestId("current-email").getByText("No email address.").waitFor();

    // Name and status.
    const names = page.getByRole("form", { name: "Name and status" });
    await names.getByLabel("Display name").fill("Pat the Builder");
    await names.getByLabel("Status", { exact: true }).fill("Fixing the roof until 3");
    await names.getByRole("button", { name: "Save" }).click();
    await names.getByText("Saved.").waitFor();
    const foot = page.locator(".sidebar-foot");
    await foot.getByText("Pat the Builder").waitFor();
    await foot.getByText("Fixing the roof until 3").waitFor();

    // A picture: 300×200 in, cropped to its centred square and at most 256×256 out (WebP from chromium): 200×200.
    await page.getByLabel("Profile picture file").setInputFiles({ name: "me.png", mimeType: "image/png", buffer: pngImage(300, 200) });
    await page.getByText("Picture updated.").waitFor({ timeout: 30_000 });
    const img = page.locator(".profile").getByTestId("avatar-image");
    await img.waitFor();
    await page.waitForFunction(() => (document.querySelector(".profile [data-testid=avatar-image]") as HTMLImageElement | null)?.complete === true);
    assert.deepEqual(await img.evaluate((el: HTMLImageElement) => [el.naturalWidth, el.naturalHeight]), [200, 200]);
    const users = await owner.api("GET", "/users");
    const pat = (users.body.users as Array<{ id: string; username: string; avatar?: string | null; statusText?: string | null; displayName: string }>).find(
      (u) => u.username === "pat",
    )!;
    assert.ok(pat.avatar, "the user has an avatar version");
    assert.equal(pat.displayName, "Pat the Builder");
    assert.equal(pat.statusText, "Fixing the roof until 3");
    const picture = await fetch(`${url}/api/v1/users/${pat.id}/avatar`, { headers: { authorization: `Bearer ${owner.accessToken}` } });
    assert.equal(picture.status, 200);
    assert.equal(picture.headers.get("content-type")?.split(";")[0], "image/webp");
    await page.locator(".sidebar-foot").getByTestId("avatar-image").waitFor();
    await page.locator(".admin-panel").evaluate((el) => el.scrollTo(0, 0));
    await shot(page, "profile");

    // Email address: the link sent to the new address confirms it.
    const emailForm = page.getByRole("form", { name: "Change email address" });
    await emailForm.getByLabel("New email address").fill("pat@example.org");
    await emailForm.getByLabel("Current password").fill("not my password");
    await emailForm.getByRole("button", { name: "Add email address" }).click();
    await emailForm
      .getByRole("alert")
      .getByText(/current password is wrong/)
      .waitFor();
    await emailForm.getByLabel("Current password").fill(TEST_PASSWORD);
    await emailForm.getByRole("button", { name: "Add email address" }).click();
    await page.getByText("We sent a link to").waitFor();
    const verify = await smtp.waitFor((m) => m.to.includes("pat@example.org") && m.text.includes("/verify-email#token="), 30_000);
    await page.goto(linkIn(verify, `${url}/verify-email`));
    await page.getByRole("heading", { name: "Email address confirmed" }).waitFor();
    await page.getByText("pat@example.org").waitFor();
    assert.ok(!page.url().includes("token"));
    await page.getByRole("link", { name: "Continue to your profile" }).click();
    await page.getByTestId("current-email").getByText("pat@example.org").waitFor({ timeout: 30_000 });

    // Password, signing out the other session (the "phone" goes back to sign-in).
    const pw = page.getByRole("form", { name: "Change password" });
    await pw.getByText(/At least 10 characters/).waitFor();
    await pw.getByLabel("Current password").fill(TEST_PASSWORD);
    await pw.getByLabel("New password", { exact: true }).fill("pat");
    await pw.getByLabel("Confirm new password").fill("pat");
    await pw.getByRole("button", { name: "Change password" }).click();
    await pw.getByRole("alert").getByText("too short: use at least 10 characters").waitFor();
    await pw.getByLabel("New password", { exact: true }).fill(NEW_PASSWORD);
    await pw.getByLabel("Confirm new password").fill(NEW_PASSWORD);
    await pw.getByLabel("Sign out my other sessions").check();
    await pw.getByRole("button", { name: "Change password" }).click();
    await pw.getByText("Password changed. Your other sessions are signed out.").waitFor();
    await other.getByRole("heading", { name: "Sign in" }).waitFor({ timeout: 60_000 });
    // This session goes on.
    await page.getByRole("link", { name: "Profile" }).waitFor();
    assert.equal(await page.getByRole("button", { name: "Sign out", exact: true }).count(), 1);
    await smtp.waitFor((m) => m.to.includes("pat@example.org") && /password/i.test(m.subject), 30_000);
    await other.getByLabel("Organisation").fill(ORG);
    await other.getByLabel("Username").fill("pat");
    assert.equal(await signInWith(other, NEW_PASSWORD), "signed-in");
    await other.context().close();
    await page.context().close();
    assert.deepEqual(unexpectedErrors(), []);
  },
);

test("admin console: an emailed invite, a reset link for a user without email, an address set, the password policy", { timeout: 240_000 }, async () => {
  const url = server.url;
  await makeUser(server, owner, { username: "carol", displayName: "Carol Crane" });
  const page = await newUserPage(browser, errors);
  await signIn(page, url, ORG, "olivia", { deviceName: "Olivia laptop", until: "signed-in" });
  await page.getByRole("link", { name: "Admin" }).click();
  await page.getByRole("heading", { name: /^Admin/ }).waitFor();

  // Users: emails shown; carol has none.
  const users = page.getByRole("tabpanel");
  await users.getByRole("cell", { name: "olivia@example.org" }).waitFor();
  await users.getByRole("cell", { name: BOB_EMAIL }).waitFor();

  // Reset carol's password: the dialog explains, the result is a one-time link.
  await users.getByRole("button", { name: "Reset password of carol" }).click();
  const confirm = page.getByRole("dialog", { name: "Reset password?" });
  await confirm.getByText(/current password stops working at once/).waitFor();
  await confirm.getByText(/no email address, so you get a link to hand over/).waitFor();
  await confirm.getByRole("button", { name: "Reset password" }).click();
  const result = page.getByRole("dialog", { name: "Password reset for @carol" });
  const resetUrl = await result.getByRole("textbox", { name: "One-time reset link for @carol" }).inputValue();
  assert.ok(resetUrl.startsWith(`${url}/reset-password#token=`), resetUrl);
  await shot(page, "admin-reset-password");
  await result.getByRole("button", { name: "Done" }).click();
  // Her old password stopped working at once.
  const old = await call(server, "POST", "/auth/login", { org: ORG, username: "carol", password: TEST_PASSWORD, deviceName: "x" });
  assert.equal(old.status, 401);

  // Invites: emailed to an address.
  await page.getByRole("tab", { name: "Invites" }).click();
  await page.getByLabel("Email to (optional)").fill("dave@example.org");
  await page.getByRole("button", { name: "Create invite link" }).click();
  await page.getByTestId("invite-emailed").getByText("Invite emailed to dave@example.org.").waitFor();
  const invite = await smtp.waitFor((m) => m.to.includes("dave@example.org"), 30_000);
  assert.ok(invite.text.includes(`${url}/invite/`), invite.text);
  await page.getByRole("cell", { name: "dave@example.org" }).waitFor();

  // Org settings: the password policy.
  await page.getByRole("tab", { name: "Org settings" }).click();
  const policy = page.getByRole("form", { name: "Password policy" });
  await policy.getByLabel("Minimum length").fill("12");
  assert.equal(await policy.getByLabel("Block common passwords").isChecked(), true);
  await policy.getByRole("button", { name: "Save password policy" }).click();
  await policy.getByText("Saved.").waitFor();
  await policy.scrollIntoViewIfNeeded();
  await shot(page, "password-policy");
  const stored = await owner.api("GET", "/org/password-policy");
  assert.deepEqual(stored.body, { minLength: 12, blockCommon: true });

  // The handed-over link works (under the new policy), once.
  const carolPage = await newUserPage(browser, errors);
  await carolPage.goto(resetUrl);
  await carolPage.getByText("@carol").waitFor();
  await carolPage.getByText(/At least 12 characters/).waitFor();
  await carolPage.getByLabel("New password", { exact: true }).fill("plum tiger 42");
  await carolPage.getByLabel("Confirm new password").fill("plum tiger 42");
  await carolPage.getByRole("button", { name: "Set new password" }).click();
  await carolPage.getByRole("heading", { name: "Password changed — sign in" }).waitFor();
  await carolPage.getByRole("link", { name: "Sign in" }).click();
  assert.equal(await signInWith(carolPage, "plum tiger 42"), "signed-in");
  await carolPage.context().close();

  // Now set carol's email address (setting it voids her open links, so only after she used hers).
  await page.getByRole("tab", { name: "Users" }).click();
  await users.getByRole("button", { name: "Set email of carol" }).click();
  const emailDialog = page.getByRole("dialog", { name: "Email address of @carol" });
  await emailDialog.getByLabel("Email address").fill("olivia@example.org");
  await emailDialog.getByRole("button", { name: "Save" }).click();
  await emailDialog.getByRole("alert").getByText("Another account of this organisation already uses that email address.").waitFor();
  await emailDialog.getByLabel("Email address").fill("carol@example.org");
  await emailDialog.getByRole("button", { name: "Save" }).click();
  await users.getByRole("cell", { name: "carol@example.org" }).waitFor();
  await page.context().close();
  assert.deepEqual(unexpectedErrors(), []);
});
