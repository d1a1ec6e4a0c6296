/**
 * Admin console → Integrations (issue 13) against a real Parley server: an owner registers an
 * incoming and an outgoing webhook served by a bot service account (over the API, as the
 * runtime's operator would), the bot reports a dead letter of the outgoing one, and the page
 * lists both integrations — bot, channel, where they run — and the dead letter (target, status,
 * error; no content). Disabling one from the page shows it disabled. Screenshot
 * (test-results/screenshots/; a copy in docs/screenshots/): admin-integrations.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { asTestUser, bootstrapOrg, call } from "@parley/server/testing/factories";
import { browserSuite, newUserPage, shot, signIn } from "./browser-support.ts";

const suite = browserSuite();

test("the Integrations page lists integrations and an outgoing webhook's dead letters; Disable works", { timeout: 120_000 }, async () => {
  const server = suite.server;
  const owner = await bootstrapOrg(server, { orgSlug: "hooks", orgName: "Acme Hooks", username: "olivia", displayName: "Olivia Owner" });
  const page = await newUserPage(suite.browser, suite.errors);
  await signIn(page, server.url, "hooks", "olivia", { deviceName: "Olivia laptop", until: "signed-in" });
  const sa = await owner.api("POST", "/service-accounts", { username: "ci-bot", displayName: "CI bot" });
  const key = await owner.api("POST", `/service-accounts/${sa.body.id}/api-keys`, { name: "runtime", scopes: ["read", "write"] });
  const bot = asTestUser(server, (await call(server, "POST", "/auth/api-key", { key: key.body.key, deviceName: "webhook runtime" })).body, "");
  const ch = await owner.api("POST", "/channels", { kind: "private", name: "builds", members: [sa.body.id] });
  assert.equal(ch.status, 201, JSON.stringify(ch.body));
  const reg = (name: string, kind: string) =>
    owner.api("POST", "/integrations", { kind, name, botUserId: sa.body.id, channelId: ch.body.id, runsAt: "ci-runner-3.example.net" });
  assert.equal((await reg("CI notifier", "incoming")).status, 201);
  const out = await reg("Deploy feed", "outgoing");
  const dl = await bot.api("POST", `/integrations/${out.body.id}/dead-letters`, {
    deliveryId: "dlv_Q2kM7yJ1nT0bXfA9c3LpWe",
    channelId: ch.body.id,
    seq: 42,
    targetHost: "deploy.example.net:443",
    lastStatus: 302,
    lastError: "redirect_refused: the target answered 302 to http://127.0.0.1:8080/admin/reset",
    attempts: 1,
    failedAt: Date.now() - 60_000,
  });
  assert.equal(dl.status, 200, JSON.stringify(dl.body));

  await page.getByRole("link", { name: "Admin" }).click();
  await page.getByRole("tab", { name: "Integrations" }).click();
  const panel = page.getByRole("tabpanel");
  const table = panel.getByRole("table", { name: "Integrations" });
  const row = table.getByRole("row", { name: /CI notifier/ });
  await row.waitFor({ timeout: 30_000 });
  // The bot and the channel were made after sign-in: their names show once the chat store has them.
  await row.getByText("CI bot (@ci-bot)").waitFor();
  await row.getByText("#builds").waitFor();
  assert.match(await row.innerText(), /Incoming webhook[\s\S]*CI bot \(@ci-bot\)[\s\S]*#builds[\s\S]*ci-runner-3\.example\.net[\s\S]*Enabled/);
  await table.getByRole("button", { name: "Dead letters of Deploy feed" }).click();
  const dead = panel.getByRole("table", { name: "Dead letters table of Deploy feed" });
  await dead.getByRole("cell", { name: "deploy.example.net:443" }).waitFor();
  assert.match(await dead.innerText(), /302[\s\S]*redirect_refused/);
  await page.setViewportSize({ width: 1280, height: 1000 }); // the list and the dead letters in one picture
  await shot(page, "admin-integrations");

  await row.getByRole("button", { name: "Disable CI notifier" }).click();
  await row.getByRole("cell", { name: "Disabled", exact: true }).waitFor();
  const list = await owner.api("GET", "/integrations");
  assert.equal(list.body.integrations.find((i: { name: string }) => i.name === "CI notifier").enabled, false);
});
