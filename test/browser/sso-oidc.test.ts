/**
 * OIDC single sign-on in a real browser (issue 10), against a real `oidc-provider` IdP the
 * test starts on 127.0.0.1: the owner adds the provider in the admin console (and tests it);
 * a user types the organisation, picks "Sign in with Test IdP", signs in at the IdP and lands
 * in Parley with an account made just in time, in the channel their group maps to; signing
 * out goes through the IdP's end-session page (which tells Parley over the back channel); an
 * unreachable IdP gets a clear message. Screenshots (test-results/screenshots/; copies in
 * docs/screenshots/): sso-admin, sso-signin.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import type { Browser } from "playwright-core";
import { bootstrapOrg, TEST_PASSWORD, type TestUser } from "@parley/server/testing/factories";
import type { TestServer } from "@parley/server/testing/harness";
import { startTestIdp, type IdpAccount, type TestIdp } from "@parley/server/testing/oidc-idp";
import { launchChromium, newUserPage, shot, startWebServer } from "./browser-support.ts";

const suite = { errors: [] as string[] } as { server: TestServer; browser: Browser; errors: string[] };
const SECRET = "browser-test-client-secret-42";
const erin: IdpAccount = {
  sub: "erin-0001",
  username: "erin",
  password: "erin-idp-password",
  email: "erin@example.org",
  email_verified: true,
  name: "Erin Example",
  preferred_username: "erin",
  groups: ["support"],
};
let idp: TestIdp;
let owner: TestUser;

before(async () => {
  suite.server = await startWebServer();
  suite.browser = await launchChromium();
  const url = suite.server.url;
  idp = await startTestIdp({
    accounts: [erin],
    clients: [
      {
        clientId: "parley-web",
        clientSecret: SECRET,
        redirectUris: [`${url}/auth/sso/oidc/callback`],
        postLogoutRedirectUris: [`${url}/`],
        backchannelLogoutUri: `${url}/auth/sso/oidc/backchannel`,
      },
    ],
  });
  owner = await bootstrapOrg(suite.server, { orgSlug: "sso-co", orgName: "SSO & Co", username: "olivia" });
});
/** The provider the first test adds through the console (added over the API when that test did not). */
async function ensureProvider(): Promise<void> {
  if ((await owner.api("GET", "/sso/providers")).body.providers.length) return;
  const r = await owner.api("POST", "/sso/providers", {
    name: "Test IdP",
    issuer: idp.issuer,
    clientId: "parley-web",
    clientSecret: SECRET,
    scopes: ["openid", "email", "profile", "groups"],
  });
  assert.equal(r.status, 201, JSON.stringify(r.body));
}

after(async () => {
  await suite.browser?.close();
  await suite.server?.stop();
  await idp?.stop();
});

test("the owner adds and tests an OIDC provider in the admin console", { timeout: 180_000 }, async () => {
  const support = await owner.api("POST", "/channels", { kind: "public", name: "support" });
  assert.equal(support.status, 201);
  const page = await newUserPage(suite.browser, suite.errors);
  await page.goto(suite.server.url);
  await page.getByLabel("Organisation").fill("sso-co");
  await page.getByLabel("Username").fill("olivia");
  await page.getByLabel("Password").fill(TEST_PASSWORD);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await page.getByRole("button", { name: "Sign out" }).waitFor({ timeout: 30_000 });
  await page.getByRole("link", { name: "Admin" }).click();
  await page.getByRole("tab", { name: "Single sign-on" }).click();
  await page.getByText("No single sign-on provider yet.").waitFor();
  await page.getByRole("button", { name: "Add OpenID Connect provider" }).click();
  const form = page.getByRole("form", { name: "Add OpenID Connect provider" });
  await form.getByText(`${suite.server.url}/auth/sso/oidc/callback`).waitFor();
  await form.getByLabel("Name on the sign-in screen").fill("Test IdP");
  await form.getByLabel("Issuer URL").fill(idp.issuer);
  await form.getByLabel("Client ID").fill("parley-web");
  await form.getByLabel("Client secret").fill(SECRET);
  await form.getByLabel("Scopes").fill("openid email profile groups");
  await form.getByRole("button", { name: "Add channel mapping" }).click();
  await form.getByLabel("Group of channel mapping 1").fill("support");
  await form.getByLabel("Channel of channel mapping 1").selectOption({ label: "#support" });
  await form.getByRole("button", { name: "Add provider" }).click();

  const table = page.getByRole("table", { name: "Single sign-on providers" });
  const row = table.getByRole("row").filter({ hasText: "Test IdP" });
  await row.waitFor();
  assert.match(await row.innerText(), /Enabled/);
  await row.getByRole("button", { name: "Test", exact: true }).click();
  await page.getByRole("status").filter({ hasText: "Test IdP: works" }).waitFor();
  await shot(page, "sso-admin");

  const stored = (await owner.api("GET", "/sso/providers")).body.providers;
  assert.equal(stored.length, 1);
  assert.equal(stored[0].clientSecretSet, true);
  assert.deepEqual(stored[0].channelMapping, [{ group: "support", channelId: support.body.id }]);
  assert.deepEqual(stored[0].scopes, ["openid", "email", "profile", "groups"]);
  await page.context().close();
});

test("a user signs in through the IdP, lands in Parley, and signs out through the IdP", { timeout: 180_000 }, async () => {
  await ensureProvider();
  const page = await newUserPage(suite.browser, suite.errors);
  await page.goto(suite.server.url);
  await page.getByLabel("Organisation").fill("sso-co");
  const button = page.getByRole("link", { name: "Sign in with Test IdP" });
  await button.waitFor();
  await page.getByLabel("This device").fill("Erin's browser");
  await shot(page, "sso-signin");
  await button.click();

  // At the IdP: its own sign-in form.
  await page.waitForURL((u) => u.href.startsWith(idp.issuer));
  await page.getByLabel("IdP username").fill("erin");
  await page.getByLabel("IdP password").fill("erin-idp-password");
  await page.getByRole("button", { name: "Continue" }).click();

  // Back in Parley: signed in, in the channel the group maps to, the code gone from the address bar.
  await page.getByRole("button", { name: "Sign out" }).waitFor({ timeout: 30_000 });
  assert.ok(!page.url().includes("code="), page.url());
  await page
    .getByRole("link", { name: /support/ })
    .first()
    .waitFor();
  const users = (await owner.api("GET", "/users")).body.users as Array<{ username: string; displayName: string }>;
  assert.ok(users.some((u) => u.username === "erin" && u.displayName === "Erin Example"));
  const devices = await suite.server.deps.db.selectFrom("devices").select("name").execute();
  assert.ok(
    devices.some((d) => d.name === "Erin's browser"),
    "the device name given on the sign-in screen",
  );

  // Signing out ends the IdP's session too: its page, then back to Parley's sign-in.
  await page.getByRole("button", { name: "Sign out" }).click();
  await page.getByRole("button", { name: "Yes, sign me out" }).click();
  await page.waitForURL((u) => u.href.startsWith(suite.server.url));
  await page.getByLabel("Organisation").waitFor();
  assert.ok(
    idp.logoutDeliveries.some((d) => d.clientId === "parley-web"),
    "the IdP told Parley over the back channel",
  );
  const sessions = await suite.server.deps.db.selectFrom("sessions").selectAll().where("sso_provider_id", "is not", null).execute();
  assert.ok(sessions.length > 0 && sessions.every((s) => s.revoked_at !== null));
  // A new account has no key locker yet: the app's first look for it is a 404 the console reports.
  assert.deepEqual(
    suite.errors.filter((e) => !/status of 404/.test(e)),
    [],
  );
  await page.context().close();
});

test("an unreachable IdP: the sign-in ends on a clear message with the way back", { timeout: 120_000 }, async () => {
  await ensureProvider();
  const page = await newUserPage(suite.browser, suite.errors);
  await page.goto(suite.server.url);
  await page.getByLabel("Organisation").fill("sso-co");
  const button = page.getByRole("link", { name: "Sign in with Test IdP" });
  await button.waitFor();
  idp.setDown(true);
  try {
    await button.click();
    await page.getByRole("heading", { name: "Single sign-on failed" }).waitFor();
    assert.match(await page.getByRole("alert").innerText(), /identity provider cannot be reached/);
    assert.equal(new URL(page.url()).hash, "", "the fragment is cleared");
    await page.getByRole("link", { name: "Back to sign-in" }).click();
    await page.getByLabel("Organisation").waitFor();
  } finally {
    idp.setDown(false);
  }
  await page.context().close();
});
