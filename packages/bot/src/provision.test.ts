/**
 * A bot whose state directory lost its keys: starting it fails with BotKeysLostError saying what
 * to do (and leaves no extra device behind); provisionBot revokes the lost device and makes a
 * new one, which rejoins the bot's channel by itself and answers again.
 */
import test from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { slashCommandContent } from "@parley/sdk";
import { startTestServer } from "@parley/server/testing/harness";
import { BotKeysLostError, provisionBot, readIdentity, startBot, type Bot } from "./index.ts";
import { FAST, makeBotAccount, nextMessageFrom, ownerClient, startTestBot, tempStateDir } from "./testing/bot-org.ts";

test("a lost key store is a clear error; re-provisioning revokes the old device and the new one answers in the same channel", async (t) => {
  const server = await startTestServer({ config: { checkMlsFraming: true } });
  t.after(() => server.stop());
  const alice = await ownerClient(server);
  t.after(() => alice.close());
  const account = await makeBotAccount(alice, "echo");
  const stateDir = tempStateDir();
  const creds = { server: server.url, apiKey: account.apiKey, stateDir, client: FAST };
  const withEcho = (bot: Bot) => bot.command("echo", { description: "Say it back", usage: "<text>" }, (ctx) => ctx.reply(`echo: ${ctx.args}`));

  const first = withEcho(await startTestBot(t, creds));
  const channel = await alice.createChannel({ kind: "private", name: "ops" });
  await alice.addMembers(channel.id, [first.userId]);
  const heard = nextMessageFrom(alice, channel.id, first.userId);
  await alice.send(channel.id, slashCommandContent("/echo one")!);
  assert.equal((await heard).text, "echo: one");
  const oldDevice = first.deviceId;
  first.state.set("kept", "yes");
  await first.stop();
  const activeDevices = async () =>
    (await alice.api.call("listUserDevices", { params: { id: account.userId } })).devices.filter((d) => !d.revoked).map((d) => d.id);

  // The key store is deleted: a clear error before anything reaches the server.
  fs.rmSync(path.join(stateDir, "device"), { recursive: true });
  await assert.rejects(startBot(creds), (err: unknown) => {
    assert.ok(err instanceof BotKeysLostError);
    assert.equal(err.code, "bot_keys_lost");
    assert.deepEqual(err.devices, [oldDevice]);
    assert.match(err.message, /key store of bot echo .* is missing/);
    assert.match(err.message, /parley bot provision --state-dir /);
    return true;
  });
  // A whole directory lost (a fresh one) while the account has a device: the same error, and the device made to find out is revoked again.
  const fresh = tempStateDir();
  await assert.rejects(startBot({ ...creds, stateDir: fresh }), (err: unknown) => err instanceof BotKeysLostError && err.devices.includes(oldDevice));
  assert.deepEqual(await activeDevices(), [oldDevice]);
  assert.equal(await readIdentity(fresh), undefined);

  // Re-provision: the old device is revoked, a new one recorded; stored state survives.
  const { identity, revoked } = await provisionBot(creds);
  assert.deepEqual(revoked, [oldDevice]);
  assert.notEqual(identity.deviceId, oldDevice);
  assert.deepEqual(await activeDevices(), [identity.deviceId]);
  const second = withEcho(await startTestBot(t, creds));
  assert.equal(second.deviceId, identity.deviceId);
  assert.equal(second.state.get("kept"), "yes");
  // The bot is still a member: its new device rejoined the channel's MLS group by itself (external commit) and answers.
  const heardAgain = nextMessageFrom(alice, channel.id, second.userId);
  await alice.send(channel.id, slashCommandContent("/echo two")!);
  assert.equal((await heardAgain).text, "echo: two");
  assert.ok(alice.e2ee!.members(channel.id)!.some((m) => m.deviceId === identity.deviceId));
});
