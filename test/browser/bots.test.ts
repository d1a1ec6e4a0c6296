/**
 * A bot in the web app (issue 13), against a real Parley server: the bot runs in this test
 * process through packages/bot (its own device and MLS keys) and registers /ticket. Alice adds
 * it to a channel from "Add people", types "/" in the composer, picks /ticket from the
 * autocomplete with the keyboard, sends it; the bot decrypts the command and answers in the
 * channel, and the answer shows with the BOT badge (also in the member list). Screenshot
 * (test-results/screenshots/; copy in docs/screenshots/): bot-message.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { bootstrapOrg } from "@parley/server/testing/factories";
import { startBot } from "../../packages/bot/src/index.ts";
import { FAST } from "../../packages/bot/src/testing/bot-org.ts";
import { browserSuite, createChannel, newUserPage, shot, signIn } from "./browser-support.ts";

const suite = browserSuite();
const unexpectedErrors = () => suite.errors.filter((e) => !/status of 40[0-9]/.test(e));

test("pick a bot's slash command in the composer; the bot answers with a BOT badge", { timeout: 240_000 }, async (t) => {
  const owner = await bootstrapOrg(suite.server, { orgSlug: "bots", orgName: "Acme Bots", username: "alice", displayName: "Alice Owner" });
  const account = await owner.api("POST", "/service-accounts", { username: "helpdesk", displayName: "Helpdesk" });
  assert.equal(account.status, 201);
  const key = await owner.api("POST", `/service-accounts/${account.body.id as string}/api-keys`, { name: "bot", scopes: ["read", "write"] });
  assert.equal(key.status, 201);
  const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), "parley-browser-bot-"));
  const bot = await startBot({ server: suite.server.url, apiKey: key.body.key as string, stateDir, client: FAST });
  t.after(async () => {
    await bot.stop();
    fs.rmSync(stateDir, { recursive: true, force: true });
  });
  bot.command("ticket", { description: "Open a support ticket", usage: "<title>" }, (ctx) => ctx.reply(`Ticket #1 opened: ${ctx.args}`));
  bot.command("status", { description: "Service status" }, (ctx) => ctx.reply("All systems go"));
  await bot.syncCommands();

  const alice = await newUserPage(suite.browser, suite.errors);
  await signIn(alice, suite.server.url, "bots", "alice", { deviceName: "Alice laptop", until: "signed-in", live: true });
  await createChannel(alice, "support");
  // Alice adds the bot like any person: membership, then her device adds the bot's device to the MLS group.
  await alice.getByRole("button", { name: "Add people" }).click();
  const picker = alice.getByRole("dialog", { name: "Add people to this channel" });
  await picker.getByLabel("Helpdesk (@helpdesk)").check();
  await picker.getByRole("button", { name: "Add", exact: true }).click();
  await picker.waitFor({ state: "detached", timeout: 30_000 });

  // "/" lists the bot's commands with usage and description; typing narrows; arrows + Tab pick.
  const box = alice.getByRole("textbox", { name: "Message #support" });
  await box.click();
  await box.pressSequentially("/");
  const list = alice.getByRole("listbox", { name: "Slash commands" });
  await list.getByRole("option", { name: /\/status/ }).waitFor();
  await list.getByRole("option", { name: /\/ticket <title> Open a support ticket/ }).waitFor();
  // The built-ins /poll and /remind come first, then the bot's commands by name.
  const names = (await list.getByRole("option").allTextContents()).map((s) => s.split(" ")[0]);
  assert.deepEqual(names, ["/poll", "/remind", "/status", "/ticket"]);
  for (let i = 0; i < 3; i++) await box.press("ArrowDown");
  assert.equal(
    await list
      .getByRole("option", { selected: true })
      .textContent()
      .then((s) => s?.startsWith("/ticket")),
    true,
  );
  await box.press("Tab");
  assert.equal(await box.inputValue(), "/ticket ");
  await list.waitFor({ state: "detached" });
  await box.pressSequentially("Printer on fire");
  await box.press("Enter");

  // The bot decrypted the command and answered; its message carries the BOT badge.
  const reply = alice.locator("main article.msg", { hasText: "Ticket #1 opened: Printer on fire" });
  await reply.waitFor({ timeout: 30_000 });
  await reply.locator(".bot-badge", { hasText: "BOT" }).waitFor();
  assert.equal(await alice.locator("main article.msg", { hasText: "/ticket Printer on fire" }).locator(".bot-badge").count(), 0);
  await shot(alice, "bot-message");

  await alice.getByRole("button", { name: /^2 members$/ }).click();
  const members = alice.getByRole("list", { name: "Channel members" });
  await members.getByRole("listitem").filter({ hasText: "Helpdesk" }).locator(".bot-badge").waitFor();
  assert.equal(await members.getByRole("listitem").filter({ hasText: "Alice Owner" }).locator(".bot-badge").count(), 0);
  assert.deepEqual(unexpectedErrors(), []);
});
