/**
 * One bot, both integrations of docs/integrations.md's worked example: it answers `/ticket`
 * and serves a CI notifier's incoming webhook through botChannelIO, against a real server with
 * MLS on; the member reads both decrypted, the webhook's post labelled with its integration.
 */
import test from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { slashCommandContent } from "@parley/sdk";
import { selfSignedCertificate } from "@parley/server/testing/certs";
import { startTestServer } from "@parley/server/testing/harness";
import { freePort } from "@parley/server/testing/ports";
import { makeBotAccount, nextMessageFrom, ownerClient, startTestBot, tempStateDir } from "../testing/bot-org.ts";
import { callHook } from "../testing/https-call.ts";
import { botChannelIO } from "./bot-io.ts";
import { addIncomingWebhook, startIncomingWebhooks } from "./incoming.ts";
import { openWebhookState } from "./state.ts";

test("a bot answers /ticket and serves an incoming webhook with the same device and keys", async (t) => {
  const server = await startTestServer({ config: { checkMlsFraming: true } });
  t.after(() => server.stop());
  const alice = await ownerClient(server);
  t.after(() => alice.close());
  const account = await makeBotAccount(alice, "ci");
  const stateDir = tempStateDir();
  const bot = await startTestBot(t, { server: server.url, apiKey: account.apiKey, stateDir });
  bot.command("ticket", { description: "Open a ticket", usage: "<title>" }, (ctx) => ctx.reply(`Ticket opened: ${ctx.args}`).then(() => undefined));
  await bot.syncCommands();
  const channel = await alice.createChannel({ kind: "private", name: "builds" });
  await alice.addMembers(channel.id, [bot.userId]);

  const answer = nextMessageFrom(alice, channel.id, bot.userId);
  await alice.send(channel.id, slashCommandContent("/ticket Flaky test in CI", bot.userId)!);
  assert.equal((await answer).text, "Ticket opened: Flaky test in CI");

  const reg = await alice.api.call("createIntegration", {
    body: { kind: "incoming", name: "CI notifier", botUserId: bot.userId, channelId: channel.id, runsAt: "ci-runner-3.example.net" },
  });
  const state = openWebhookState(path.join(stateDir, "webhooks"));
  t.after(() => state.close());
  const hook = addIncomingWebhook(state, { id: reg.id, name: reg.name, channelId: channel.id, runsAt: reg.runsAt });
  const tlsDir = fs.mkdtempSync(path.join(os.tmpdir(), "parley-bot-io-tls-"));
  t.after(() => fs.rmSync(tlsDir, { recursive: true, force: true }));
  const tls = selfSignedCertificate(tlsDir);
  const hooks = await startIncomingWebhooks({ state, io: botChannelIO(bot), tls: { key: tls.key, cert: tls.cert }, port: await freePort() });
  t.after(() => hooks.close());
  const posted = nextMessageFrom(alice, channel.id, bot.userId);
  const r = await callHook(`${hooks.url}/hooks/${reg.id}`, tls.cert, {
    headers: { "content-type": "application/json", authorization: `Bearer ${hook.token}` },
    body: JSON.stringify({ text: "✅ main #1423 passed" }),
  });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  const e = await posted;
  assert.equal(e.text, "✅ main #1423 passed");
  assert.equal(e.seq, r.body.seq);
  assert.deepEqual(e.content.integration, { id: reg.id, name: "CI notifier", runsAt: "ci-runner-3.example.net" });
});
