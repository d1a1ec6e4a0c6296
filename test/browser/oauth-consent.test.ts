/**
 * OAuth2 apps in the web app (issue 13), against a real Parley server and Debian chromium:
 * a signed-in user follows an app's authorization link, sees the consent page (the app, the
 * scopes, Allow / Deny), allows, and the browser lands on the app's redirect URI with a code;
 * the app (this test) redeems it with its PKCE verifier and calls the API with the token; the
 * user disconnects the app under Profile → Connected apps and the token is refused at once.
 * Screenshots (test-results/screenshots/; copies in docs/screenshots/): oauth-consent,
 * oauth-connected-apps.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import { bootstrapOrg, call } from "@parley/server/testing/factories";
import { authorizeUrl, newPkce, tokenRequest } from "@parley/server/testing/oauth-client";
import { browserSuite, newUserPage, shot, signIn } from "./browser-support.ts";

const suite = browserSuite();

test("consent in the browser: allow, the app's token works, disconnect ends it", { timeout: 240_000 }, async () => {
  const s = suite.server;
  const owner = await bootstrapOrg(s, { orgSlug: "apps", orgName: "Acme Apps", username: "alice", displayName: "Alice Owner" });
  const redirectUri = `${s.url}/app-callback`;
  const created = await owner.api("POST", "/oauth-apps", { name: "Tracker", redirectUris: [redirectUri], scopes: ["read"] });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  const app = { clientId: created.body.clientId as string, redirectUri };

  const page = await newUserPage(suite.browser, suite.errors);
  await signIn(page, s.url, "apps", "alice", { deviceName: "Alice laptop", until: "signed-in" });
  const pkce = newPkce();
  await page.goto(authorizeUrl(s.url, app, { scope: "read", state: "browser-state", challenge: pkce.challenge }));
  await page.waitForURL(/\/oauth-consent\//);
  await page.getByRole("heading", { name: "Tracker wants access to your account" }).waitFor({ timeout: 30_000 });
  await page.getByRole("list", { name: "What the app may do" }).getByText("read").waitFor();
  const file = await shot(page, "oauth-consent");
  fs.copyFileSync(file, new URL("../../docs/screenshots/oauth-consent.png", import.meta.url));

  await page.getByRole("button", { name: "Allow" }).click();
  await page.waitForURL(/\/app-callback\?/);
  const back = new URL(page.url());
  assert.equal(back.searchParams.get("state"), "browser-state");
  const code = back.searchParams.get("code");
  assert.ok(code, back.href);
  const token = await tokenRequest(s.url, {
    grant_type: "authorization_code",
    code,
    redirect_uri: redirectUri,
    client_id: app.clientId,
    code_verifier: pkce.verifier,
  });
  assert.equal(token.status, 200, JSON.stringify(token.body));
  const bearer = { authorization: `Bearer ${String(token.body.access_token)}` };
  const me = await call(s, "GET", "/me", undefined, bearer);
  assert.equal(me.status, 200);
  assert.equal(me.body.user.username, "alice");

  await page.goto(`${s.url}/profile`);
  const apps = page.getByRole("table", { name: "Connected apps" });
  await apps.getByText("Tracker").waitFor({ timeout: 30_000 });
  await page.getByRole("heading", { name: "Connected apps" }).scrollIntoViewIfNeeded();
  await shot(page, "oauth-connected-apps");
  await apps.getByRole("button", { name: "Disconnect Tracker" }).click();
  await page.getByRole("dialog").getByRole("button", { name: "Disconnect" }).click();
  await page.getByText("No connected apps.").waitFor();
  assert.equal((await call(s, "GET", "/me", undefined, bearer)).status, 401);
  assert.deepEqual(
    suite.errors.filter((e) => !/status of 40[0-9]/.test(e)),
    [],
  );
});
