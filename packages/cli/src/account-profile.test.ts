/**
 * `parley account profile`'s status, title and time-zone flags from the real binary against a
 * real server (issue 13): set, shown by whoami, refused input changes nothing, cleared.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { startTestServer, TEST_SETUP_TOKEN } from "@parley/server/testing/harness";
import { parley, tempDir } from "./testing/spawn-cli.ts";

test("account profile: status emoji and expiry, title, time zone (sqlite)", { timeout: 300_000 }, async (t) => {
  const server = await startTestServer({ dialect: "sqlite" });
  const dir = tempDir("profile");
  t.after(async () => {
    await server.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  const owner = (args: string[]) => parley(["--profile-dir", path.join(dir, "owner"), ...args], { env: { PARLEY_PASSWORD: "olga-secret-pw-123" } });
  const setup = await owner([
    "setup",
    "--server",
    server.url,
    "--token",
    TEST_SETUP_TOKEN,
    "--org",
    "acme",
    "--org-name",
    "Acme",
    "--username",
    "owner",
    "--display-name",
    "Owner",
    "--json",
  ]);
  assert.equal(setup.code, 0, setup.stderr);

  const before = Date.now();
  const set = await owner([
    "account",
    "profile",
    "--status",
    "Lunch",
    "--status-emoji",
    "🍜",
    "--status-until",
    "1h",
    "--title",
    "CFO",
    "--time-zone",
    "Asia/Tokyo",
    "--json",
  ]);
  assert.equal(set.code, 0, set.stderr);
  const user = set.json().user;
  assert.deepEqual([user.statusEmoji, user.statusText, user.title, user.timeZone], ["🍜", "Lunch", "CFO", "Asia/Tokyo"]);
  assert.ok(user.statusExpiresAt >= before + 3600_000 && user.statusExpiresAt <= Date.now() + 3600_000, "ends in an hour");
  const whoami = (await owner(["whoami"])).stdout;
  assert.match(whoami, /^ {2}status: {2}🍜 Lunch \(until \d{4}-\d\d-\d\d \d\d:\d\d\)$/m);
  assert.match(whoami, /^ {2}title: {3}CFO$/m);
  assert.match(whoami, /^ {2}time zone: Asia\/Tokyo$/m);

  // Refused: by the CLI (usage, exit 2) or the server (validation_failed, exit 1); nothing changes.
  assert.equal((await owner(["account", "profile", "--status-until", "soon", "--status", "x"])).code, 2);
  assert.equal((await owner(["account", "profile", "--status-until", "1h"])).code, 2, "an expiry needs a status");
  assert.equal((await owner(["account", "profile", "--title", "x", "--clear-title"])).code, 2);
  const badTz = await owner(["account", "profile", "--time-zone", "Mars/Base", "--json"]);
  assert.equal(badTz.code, 1);
  assert.equal(badTz.json().error.code, "validation_failed");
  const past = await owner(["account", "profile", "--status", "late", "--status-until", "2020-01-01T10:00", "--json"]);
  assert.equal(past.json().error.code, "validation_failed");
  const after = (await owner(["whoami", "--json"])).json().user;
  assert.deepEqual([after.statusText, after.statusExpiresAt, after.title, after.timeZone], ["Lunch", user.statusExpiresAt, "CFO", "Asia/Tokyo"]);

  const cleared = (await owner(["account", "profile", "--clear-status", "--clear-title", "--clear-time-zone", "--json"])).json().user;
  assert.deepEqual([cleared.statusEmoji, cleared.statusText, cleared.statusExpiresAt, cleared.title, cleared.timeZone], [null, null, null, null, null]);
  assert.doesNotMatch((await owner(["whoami"])).stdout, /status:|title:|time zone:/);
});
