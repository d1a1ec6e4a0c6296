/**
 * `parley bot` from the real binary against a real server: an admin creates a bot, `bot run`
 * hosts a bot module that answers a slash command a member's SDK client sends in an E2EE
 * channel, and stops cleanly on SIGTERM; with its keys deleted, `bot run` says to re-provision,
 * and `bot provision` makes a new device. SQLite only: the server side runs on both dialects in
 * packages/server/src/modules/bots/bot-commands.test.ts.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { ParleyClient, slashCommandContent } from "@parley/sdk";
import { childEnv } from "@parley/server/testing/child-env";
import { BIN, CLI_OWNER_PASSWORD, cliOwnerOrg, parley } from "./testing/spawn-cli.ts";

test("parley bot create, run (answers a slash command, stops on SIGTERM), lost keys, provision (sqlite)", { timeout: 300_000 }, async (t) => {
  const { server, dir, owner } = await cliOwnerOrg(t, "bot", { config: { checkMlsFraming: true } });
  const created = await owner(["bot", "create", "pinger", "--display-name", "Pinger", "--json"]);
  assert.equal(created.code, 0, created.stderr);
  const { key, user } = created.json() as { key: string; user: { id: string; service: boolean } };
  assert.equal(user.service, true);

  const botFile = path.join(dir, "pinger.mjs");
  fs.writeFileSync(
    botFile,
    'export default function setup(bot) {\n  bot.command("ping", { description: "Answers pong", usage: "[text]" }, (ctx) => ctx.reply(`pong ${ctx.args}`));\n}\n',
  );
  const stateDir = path.join(dir, "state");
  const env = { PARLEY_API_KEY: key, PARLEY_SERVER: server.url };
  const child = spawn(process.execPath, [BIN, "bot", "run", botFile, "--state-dir", stateDir], {
    env: { ...childEnv(), ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  let stdout = "";
  child.stderr.on("data", (d) => (stderr += String(d)));
  child.stdout.on("data", (d) => (stdout += String(d)));
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  t.after(() => {
    if (child.exitCode === null) process.kill(child.pid!, "SIGKILL");
  });
  const deadline = Date.now() + 60_000;
  while (!stderr.includes("running; Ctrl-C stops")) {
    if (child.exitCode !== null || Date.now() > deadline) assert.fail(`bot run did not start:\n${stderr}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.match(stderr, /signed in as pinger/);
  assert.match(stderr, /commands registered: \/ping/);

  const alice = await ParleyClient.login({ baseUrl: server.url, org: "acme", username: "owner", password: CLI_OWNER_PASSWORD, deviceName: "test" });
  t.after(() => alice.close());
  alice.connect();
  await alice.waitUntilLive();
  const channel = await alice.createChannel({ kind: "private", name: "ops" });
  await alice.addMembers(channel.id, [user.id]);
  const pong = alice.next("message", (e) => e.channelId === channel.id && e.senderId === user.id && !e.content.decodeError, 30_000);
  await alice.send(channel.id, slashCommandContent("/ping hello", user.id)!);
  assert.equal((await pong).text, "pong hello");

  process.kill(child.pid!, "SIGTERM");
  assert.equal(await exited, 0, stderr);
  assert.match(stderr, /stopping/);
  assert.match(stdout, /bot stopped/);

  // The key store is lost: a clear error naming the fix; then provision gives the bot a new device.
  fs.rmSync(path.join(stateDir, "device"), { recursive: true });
  const lost = await parley(["bot", "run", botFile, "--state-dir", stateDir], { env });
  assert.notEqual(lost.code, 0);
  assert.match(lost.stderr, /key store of bot pinger .* is missing/);
  assert.match(lost.stderr, /parley bot provision --state-dir/);
  const provisioned = await parley(["bot", "provision", "--state-dir", stateDir], { env });
  assert.equal(provisioned.code, 0, provisioned.stderr);
  assert.match(provisioned.stdout, /has a new device .*\nRevoked: /);

  // Bad input: no key, a module without a default export.
  const noKey = await parley(["bot", "run", botFile, "--state-dir", stateDir], { env: { PARLEY_SERVER: server.url } });
  assert.notEqual(noKey.code, 0);
  assert.match(noKey.stderr, /PARLEY_API_KEY is not set/);
  const bad = path.join(dir, "bad.mjs");
  fs.writeFileSync(bad, "export const x = 1;\n");
  const badRun = await parley(["bot", "run", bad, "--state-dir", stateDir], { env });
  assert.notEqual(badRun.code, 0);
  assert.match(badRun.stderr, /has no default export function/);
});
