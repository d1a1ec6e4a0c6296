/**
 * A bot answers a slash command in an E2EE channel and the server never sees the text (issue
 * 13, "done means" 2). Alice's SDK client runs `/ticket <canary>` in a private channel the bot
 * was added to; the bot (packages/bot, its own device and MLS keys) decrypts it and replies with
 * a second canary. Then the server's storage and logs are scanned as raw bytes for both, in every
 * encoding the canary scan knows: the SQLite files (hot WAL and checkpointed) and the data
 * directory, or pg_dump, every row as text and the heap/WAL files on PostgreSQL; the logs at
 * level trace. Controls: the channel topic and the command's registered description, which the
 * server legitimately stores in clear, must be found, so the scan is not blind.
 */
import test from "node:test";
import assert from "node:assert/strict";
import { slashCommandContent } from "@parley/sdk";
import { DIALECTS, createTestDatabase, startTestServer, type TestDialect } from "@parley/server/testing/harness";
import { makeBotAccount, nextMessageFrom, ownerClient, startTestBot, tempStateDir } from "../packages/bot/src/testing/bot-org.ts";
import {
  describeHits,
  needlesOf,
  newCanary,
  pgDataFiles,
  pgDump,
  pgRowsAsText,
  scanBuffer,
  scanDir,
  scanFile,
  scanLogs,
  scanSqlite,
  type Hit,
} from "./support/canary-scan.ts";

async function runBotCanary(dialect: TestDialect, t: import("node:test").TestContext): Promise<void> {
  const command = newCanary("cmd");
  const answer = newCanary("ans");
  const control = newCanary("ctrl");
  const needles = [...needlesOf(command), ...needlesOf(answer)];
  const controlNeedles = needlesOf(control).filter((n) => n.encoding === "utf8");

  const database = await createTestDatabase(dialect);
  t.after(() => database.drop());
  const server = await startTestServer({ database, config: { logLevel: "trace", checkMlsFraming: true } });
  let running = true;
  t.after(async () => {
    if (running) await server.close();
  });
  const alice = await ownerClient(server);
  t.after(() => alice.close());
  const account = await makeBotAccount(alice, "tickets");
  const bot = await startTestBot(t, { server: server.url, apiKey: account.apiKey, stateDir: tempStateDir() });
  bot.command("ticket", { description: `Open a ticket ${control}`, usage: "<title>" }, (ctx) => ctx.reply(`Opened "${ctx.args}" as ${answer}`));
  await bot.syncCommands();

  const channel = await alice.createChannel({ kind: "private", name: "support", topic: `topic ${control}` });
  await alice.addMembers(channel.id, [bot.userId]);
  const listed = await alice.api.call("listChannelCommands", { params: { channelId: channel.id } });
  const botCommands = listed.commands.filter((c) => c.source === "bot");
  assert.deepEqual(
    botCommands.map((c) => c.name),
    ["ticket"],
  );
  const replied = nextMessageFrom(alice, channel.id, bot.userId);
  const sent = await alice.send(channel.id, slashCommandContent(`/ticket ${command}`, botCommands[0]!.botUserId!)!);
  const reply = await replied;
  assert.equal(reply.text, `Opened "${command}" as ${answer}`);
  // What went over the wire is ciphertext.
  for (const raw of [sent.event.content, reply.raw.content]) assert.deepEqual(scanBuffer(Buffer.from(raw, "base64"), needles, "wire"), []);
  await bot.stop();
  await alice.close();

  const hits: Hit[] = [];
  const scanned: string[] = [];
  const dataDir = database.dataDir;
  const sqliteFile = server.deps.storage.file ?? `${dataDir}/parley.db`;
  if (dialect === "sqlite") {
    hits.push(...scanSqlite(sqliteFile, needles, scanned));
    assert.ok(scanSqlite(sqliteFile, controlNeedles).length > 0, "control: the topic is found in the SQLite files");
  }
  hits.push(...scanDir(dataDir, needles, scanned));
  running = false;
  await server.close();
  hits.push(...scanLogs(server.logs, needles));
  assert.ok(
    server.logs.some((l) => l.includes('"route":"setBotCommands"')) && server.logs.some((l) => l.includes('"route":"postCommitBundle"')),
    "the logs cover the bot's routes",
  );
  if (dialect === "sqlite") {
    hits.push(...scanSqlite(sqliteFile, needles, scanned), ...scanDir(dataDir, needles, scanned));
    assert.ok(scanFile(sqliteFile, controlNeedles).length > 0, "control: the topic is in the checkpointed database file");
  } else {
    const url = database.url!;
    const dump = pgDump(url);
    const rows = await pgRowsAsText(url);
    hits.push(...scanBuffer(dump, needles, "pg_dump"), ...scanBuffer(rows, needles, "SELECT rows"));
    assert.ok(scanBuffer(dump, controlNeedles, "pg_dump").length > 0, "control: the topic and description are in pg_dump");
    assert.ok(scanBuffer(rows, controlNeedles, "rows").length > 0, "control: the topic and description are in the rows");
    const files = await pgDataFiles(url);
    if (files) for (const f of files) hits.push(...scanFile(f, needles, scanned));
    else t.diagnostic("PostgreSQL data directory not readable from here: heap/WAL scan skipped");
  }
  assert.equal(hits.length, 0, `plaintext canary found:\n${describeHits(hits)}`);
  t.diagnostic(`${dialect}: ${scanned.length} files scanned, ${server.logs.length} log lines`);
}

for (const dialect of DIALECTS) {
  test(`a bot answers a slash command and the server never sees the command or the reply (${dialect})`, { timeout: 120_000 }, (t) => runBotCanary(dialect, t));
}
