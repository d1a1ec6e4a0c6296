/**
 * SAML 2.0 single sign-on in a real browser (issue 10), against a real IdP (samlify) the
 * test starts on 127.0.0.1: the owner adds the provider in the admin console from the IdP's
 * metadata XML and sees what to enter at the IdP; the IdP imports Parley's SP metadata; a
 * user picks "Sign in with Test SAML", signs in at the IdP, whose page posts the response to
 * Parley's ACS, and lands in Parley with an account made just in time, in the channel their
 * group maps to; signing out goes through the IdP's single logout. Screenshots
 * (test-results/screenshots/; copies in docs/screenshots/): sso-saml-admin, sso-saml-signin.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import type { Browser } from "playwright-core";
import { bootstrapOrg, TEST_PASSWORD, type TestUser } from "@parley/server/testing/factories";
import type { TestServer } from "@parley/server/testing/harness";
import { startSamlIdp, type SamlAccount, type TestSamlIdp } from "@parley/server/testing/saml-idp";
import { launchChromium, newUserPage, shot, startWebServer } from "./browser-support.ts";

const suite = { errors: [] as string[] } as { server: TestServer; browser: Browser; errors: string[] };
const frank: SamlAccount = {
  username: "frank",
  password: "frank-idp-password",
  nameId: "frank-persistent-0001",
  attributes: { username: "frank", email: "frank@example.org", displayName: "Frank Example", groups: ["support"] },
};
let idp: TestSamlIdp;
let owner: TestUser;

before(async () => {
  suite.server = await startWebServer();
  suite.browser = await launchChromium();
  idp = await startSamlIdp({ accounts: [frank] });
  owner = await bootstrapOrg(suite.server, { orgSlug: "saml-co", orgName: "SAML & Co", username: "olivia" });
});
after(async () => {
  await suite.browser?.close();
  await suite.server?.stop();
  await idp?.stop();
});

/** The provider the first test adds through the console (added over the API when that test did not), imported by the IdP. */
async function ensureProvider(): Promise<void> {
  let providers = (await owner.api("GET", "/sso/providers")).body.providers;
  if (!providers.length) {
    const r = await owner.api("POST", "/sso/providers", { kind: "saml", name: "Test SAML", idpMetadataXml: idp.metadataXml });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    providers = [r.body];
  }
  idp.registerSp(await (await fetch(providers[0].metadataUrl)).text());
}

test("the owner adds a SAML provider from the IdP's metadata and sees what to enter at the IdP", { timeout: 180_000 }, async () => {
  const support = await owner.api("POST", "/channels", { kind: "public", name: "support" });
  assert.equal(support.status, 201);
  const page = await newUserPage(suite.browser, suite.errors);
  await page.goto(suite.server.url);
  await page.getByLabel("Organisation").fill("saml-co");
  await page.getByLabel("Username").fill("olivia");
  await page.getByLabel("Password").fill(TEST_PASSWORD);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await page.getByRole("button", { name: "Sign out" }).waitFor({ timeout: 30_000 });
  await page.getByRole("link", { name: "Admin" }).click();
  await page.getByRole("tab", { name: "Single sign-on" }).click();
  await page.getByText("No single sign-on provider yet.").waitFor();
  await page.getByRole("button", { name: "Add SAML provider" }).click();
  const form = page.getByRole("form", { name: "Add SAML provider" });
  await form.getByLabel("Name on the sign-in screen").fill("Test SAML");
  await form.getByLabel("IdP metadata XML").fill(idp.metadataXml);
  await form.getByRole("button", { name: "Add channel mapping" }).click();
  await form.getByLabel("Group of channel mapping 1").fill("support");
  await form.getByLabel("Channel of channel mapping 1").selectOption({ label: "#support" });
  await form.getByRole("button", { name: "Add provider" }).click();

  const table = page.getByRole("table", { name: "Single sign-on providers" });
  const row = table.getByRole("row").filter({ hasText: "Test SAML" });
  await row.waitFor();
  assert.match(await row.innerText(), /Enabled/);
  const stored = (await owner.api("GET", "/sso/providers")).body.providers;
  assert.equal(stored.length, 1);
  assert.equal(stored[0].kind, "saml");
  assert.equal(stored[0].idpEntityId, idp.entityId);
  assert.deepEqual(stored[0].channelMapping, [{ group: "support", channelId: support.body.id }]);
  for (const text of [stored[0].spEntityId, stored[0].acsUrl, stored[0].metadataUrl]) await table.getByText(text, { exact: true }).first().waitFor();
  // The IdP's admin imports Parley's SP metadata (from the URL shown).
  idp.registerSp(await (await fetch(stored[0].metadataUrl)).text());
  await row.getByRole("button", { name: "Test", exact: true }).click();
  await page.getByRole("status").filter({ hasText: "Test SAML: works" }).waitFor();
  await shot(page, "sso-saml-admin");
  await page.context().close();
});

test("a user signs in through the SAML IdP, lands in the mapped channel, and signs out through single logout", { timeout: 180_000 }, async () => {
  await ensureProvider();
  const page = await newUserPage(suite.browser, suite.errors);
  await page.goto(suite.server.url);
  await page.getByLabel("Organisation").fill("saml-co");
  const button = page.getByRole("link", { name: "Sign in with Test SAML" });
  await button.waitFor();
  await page.getByLabel("This device").fill("Frank's browser");
  await button.click();

  // At the IdP: its own sign-in form; its answer is posted to Parley's ACS by the page.
  await page.waitForURL((u) => u.href.startsWith(idp.url));
  await page.getByLabel("IdP username").fill("frank");
  await page.getByLabel("IdP password").fill("frank-idp-password");
  await shot(page, "sso-saml-signin");
  await page.getByRole("button", { name: "Continue" }).click();

  await page.getByRole("button", { name: "Sign out" }).waitFor({ timeout: 30_000 });
  assert.ok(!page.url().includes("code="), page.url());
  await page
    .getByRole("link", { name: /support/ })
    .first()
    .waitFor();
  const users = (await owner.api("GET", "/users")).body.users as Array<{ username: string; displayName: string }>;
  assert.ok(users.some((u) => u.username === "frank" && u.displayName === "Frank Example"));

  // Signing out sends a signed LogoutRequest to the IdP, which answers back to Parley.
  await page.getByRole("button", { name: "Sign out" }).click();
  await page.waitForURL((u) => u.href.startsWith(`${idp.url}/slo`), { waitUntil: "commit" });
  await page.waitForURL((u) => u.href.startsWith(suite.server.url) && !u.href.includes("/saml/"));
  await page.getByLabel("Organisation").waitFor();
  assert.equal(idp.logoutRequests.at(-1)?.nameId, frank.nameId, "the IdP got our LogoutRequest for Frank");
  const sessions = await suite.server.deps.db.selectFrom("sessions").selectAll().where("sso_provider_id", "is not", null).execute();
  assert.ok(sessions.length > 0 && sessions.every((s) => s.revoked_at !== null));
  assert.deepEqual(
    suite.errors.filter((e) => !/status of 404/.test(e)),
    [],
  );
  await page.context().close();
});
