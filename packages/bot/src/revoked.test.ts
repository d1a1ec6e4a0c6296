/**
 * A bot whose device an admin revokes: the running bot reports a clear error (its session ended,
 * what to do); started again it takes a new device (the recorded one is revoked), which rejoins
 * the bot's channel and answers; `provisionBot` then revokes that one and its new device answers.
 */
import test from "node:test";
import assert from "node:assert/strict";
import { slashCommandContent } from "@parley/sdk";
import { startTestServer } from "@parley/server/testing/harness";
import { provisionBot, readIdentity, type Bot } from "./index.ts";
import { FAST, makeBotAccount, nextMessageFrom, ownerClient, startTestBot, tempStateDir } from "./testing/bot-org.ts";

test("an admin revokes the bot's device: a clear error, and re-provisioning brings it back in its channel", async (t) => {
  const server = await startTestServer();
  t.after(() => server.stop());
  const alice = await ownerClient(server);
  t.after(() => alice.close());
  const account = await makeBotAccount(alice, "pinger");
  const creds = { server: server.url, apiKey: account.apiKey, stateDir: tempStateDir(), client: FAST };
  const withPing = (bot: Bot) => bot.command("ping", { description: "Answer pong" }, (ctx) => ctx.reply("pong"));

  const bot = withPing(await startTestBot(t, creds));
  const errors: unknown[] = [];
  bot.on("error", (err) => errors.push(err));
  const channel = await alice.createChannel({ kind: "private", name: "ops" });
  await alice.addMembers(channel.id, [bot.userId]);
  const heard = nextMessageFrom(alice, channel.id, bot.userId);
  await alice.send(channel.id, slashCommandContent("/ping")!);
  assert.equal((await heard).text, "pong");

  await alice.api.call("adminRevokeDevice", { params: { id: bot.userId, deviceId: bot.deviceId } });
  const told = () => errors.find((e) => /the bot's session ended .*device revoked.*re-provision/.test(String((e as Error).message)));
  for (let i = 0; i < 200 && !told(); i++) await new Promise((r) => setTimeout(r, 50));
  assert.ok(told(), `the running bot is told what happened and what to do: ${errors.map(String).join("; ")}`);
  await bot.stop();

  // Started again, the bot finds its recorded device revoked and takes the new sign-in's device
  // (identity.ts): it rejoins the channel by itself and answers.
  const restarted = withPing(await startTestBot(t, creds));
  assert.notEqual(restarted.deviceId, bot.deviceId);
  assert.equal((await readIdentity(creds.stateDir))?.deviceId, restarted.deviceId);
  const heardRestarted = nextMessageFrom(alice, channel.id, restarted.userId);
  await alice.send(channel.id, slashCommandContent("/ping")!);
  assert.equal((await heardRestarted).text, "pong");
  await restarted.stop();

  // The explicit path works too: provisioning revokes that device and makes a new one, which answers.
  const { identity, revoked } = await provisionBot(creds);
  assert.deepEqual(revoked, [restarted.deviceId]);
  const back = withPing(await startTestBot(t, creds));
  assert.equal(back.deviceId, identity.deviceId);
  const heardAgain = nextMessageFrom(alice, channel.id, back.userId);
  await alice.send(channel.id, slashCommandContent("/ping")!);
  assert.equal((await heardAgain).text, "pong");
});
