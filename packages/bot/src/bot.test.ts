/**
 * Bots against a real server: a bot added to an E2EE channel by a member answers a slash
 * command sent by the member's SDK client (in the channel and in a thread), posts, sees
 * messages, keeps its state and device across restarts, and registers its commands.
 */
import test from "node:test";
import assert from "node:assert/strict";
import { slashCommandContent } from "@parley/sdk";
import { startTestServer } from "@parley/server/testing/harness";
import type { BotMessage } from "./index.ts";
import { makeBotAccount, nextMessageFrom, ownerClient, startTestBot, tempStateDir } from "./testing/bot-org.ts";

test("a bot in an E2EE channel answers slash commands, posts, hears messages and keeps state across a restart", async (t) => {
  const server = await startTestServer({ config: { checkMlsFraming: true } });
  t.after(() => server.stop());
  const alice = await ownerClient(server);
  t.after(() => alice.close());
  const account = await makeBotAccount(alice, "helpdesk");
  const stateDir = tempStateDir();
  const lines: string[] = [];

  const start = async () => {
    const bot = await startTestBot(t, { server: server.url, apiKey: account.apiKey, stateDir, log: (l) => lines.push(l) });
    bot.command("ticket", { description: "Open a ticket", usage: "<title>" }, async (ctx) => {
      const n = (bot.state.get<number>("tickets") ?? 0) + 1;
      bot.state.set("tickets", n);
      await ctx.reply(`Ticket #${n} opened: ${ctx.args} (by ${ctx.message.senderId === alice.userId ? "alice" : "?"})`);
    });
    bot.command("boom", { description: "Fails" }, () => {
      throw new Error("handler exploded");
    });
    await bot.syncCommands();
    return bot;
  };
  let bot = await start();
  assert.equal(bot.userId, account.userId);
  assert.ok(lines.some((l) => l.startsWith("signed in as helpdesk")) && lines.includes("live"), lines.join("\n"));

  // A member adds the bot like anyone else: server membership, then an MLS add of its device.
  const channel = await alice.createChannel({ kind: "private", name: "support" });
  await alice.addMembers(channel.id, [bot.userId]);
  const { commands } = await alice.api.call("listChannelCommands", { params: { channelId: channel.id } });
  assert.deepEqual(
    commands.filter((c) => c.source === "bot").map((c) => [c.name, c.usage, c.botUserId]),
    [
      ["boom", "", bot.userId],
      ["ticket", "<title>", bot.userId],
    ],
  );

  const seen: BotMessage[] = [];
  bot.onMessage((m) => void seen.push(m));
  const answer = nextMessageFrom(alice, channel.id, bot.userId);
  const sent = await alice.send(channel.id, slashCommandContent("/ticket Printer on fire", bot.userId)!);
  const reply = await answer;
  assert.equal(reply.text, "Ticket #1 opened: Printer on fire (by alice)");
  assert.equal(reply.threadRoot, null);
  await bot.idle();
  assert.deepEqual(seen, [
    {
      channelId: channel.id,
      seq: sent.event.seq,
      senderId: alice.userId,
      text: "/ticket Printer on fire",
      threadRoot: null,
      command: { name: "ticket", args: "Printer on fire", bot: bot.userId },
    },
  ]);

  // In a thread, the answer goes to the thread; a plain "/ticket" text (a client that does not mark commands) works too.
  const root = await alice.sendMessage(channel.id, "printer thread");
  const inThread = nextMessageFrom(alice, channel.id, bot.userId);
  await alice.reply(channel.id, root.event.seq, "/ticket Paper jam");
  const threadReply = await inThread;
  assert.equal(threadReply.text, "Ticket #2 opened: Paper jam (by alice)");
  assert.equal(threadReply.threadRoot, root.event.seq);

  // A failing handler: the user is told, the error reaches bot.on("error").
  const errors: unknown[] = [];
  bot.on("error", (e) => void errors.push(e));
  const failed = nextMessageFrom(alice, channel.id, bot.userId);
  await alice.send(channel.id, slashCommandContent("/boom", bot.userId)!);
  assert.equal((await failed).text, "Sorry, /boom failed.");
  await bot.idle();
  assert.equal((errors[0] as Error).message, "handler exploded");
  // An unknown command meant for this bot gets the list; one meant for another bot is left alone.
  const unknown = nextMessageFrom(alice, channel.id, bot.userId);
  await alice.send(channel.id, slashCommandContent("/other", "usr_someone_else")!);
  await alice.send(channel.id, slashCommandContent("/nope", bot.userId)!);
  assert.equal((await unknown).text, "Unknown command /nope. Commands: /ticket, /boom.");

  // post(): the integration seam's write, answered with the seq.
  const posted = nextMessageFrom(alice, channel.id, bot.userId, (e) => e.text === "deploy finished");
  const seq = await bot.post(channel.id, "deploy finished");
  assert.equal((await posted).seq, seq);

  // Restart on the same state directory: same device, state kept, still answering.
  const deviceId = bot.deviceId;
  await bot.stop();
  assert.ok(lines.includes("stopped"));
  bot = await start();
  assert.equal(bot.deviceId, deviceId);
  assert.equal(bot.state.get("tickets"), 2);
  const again = nextMessageFrom(alice, channel.id, bot.userId);
  await alice.send(channel.id, slashCommandContent("/ticket After restart", bot.userId)!);
  assert.equal((await again).text, "Ticket #3 opened: After restart (by alice)");
  const { devices } = await alice.api.call("listUserDevices", { params: { id: bot.userId } });
  assert.deepEqual(
    devices.filter((d) => !d.revoked).map((d) => d.id),
    [deviceId],
    "one device across restarts",
  );
});

test("a person's client cannot register commands, and a bot's bad command name is refused before anything is sent", async (t) => {
  const server = await startTestServer();
  t.after(() => server.stop());
  const alice = await ownerClient(server);
  t.after(() => alice.close());
  await assert.rejects(alice.api.call("setBotCommands", { body: { commands: [{ name: "x", description: "x", usage: "" }] } }), { code: "forbidden" });
  const account = await makeBotAccount(alice, "namer");
  const bot = await startTestBot(t, { server: server.url, apiKey: account.apiKey, stateDir: tempStateDir() });
  assert.throws(() => bot.command("Bad Name", { description: "x" }, () => undefined), /bad command name/);
  assert.deepEqual((await bot.client.api.call("listBotCommands")).commands, []);
});
