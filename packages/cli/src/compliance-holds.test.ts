/**
 * Retention and legal holds from the real binary against a real server (issue 11): the
 * owner sets the org's periods and a channel override, places a hold on a user and on a
 * channel, lists and releases one, queues a run; a member is refused with nothing written;
 * bad periods are usage errors (exit 2). SQLite only: the server's side runs on both
 * dialects in packages/server/src/modules/compliance/compliance.test.ts.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { startTestServer, TEST_SETUP_TOKEN } from "@parley/server/testing/harness";
import { countRows } from "@parley/server/testing/factories";
import { parley, tempDir } from "./testing/spawn-cli.ts";

test("compliance retention and holds (sqlite)", { timeout: 300_000 }, async (t) => {
  const server = await startTestServer({ dialect: "sqlite" });
  const dir = tempDir("compliance");
  t.after(async () => {
    await server.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  const as =
    (who: string) =>
    (args: string[], opts: { env?: Record<string, string> } = {}) =>
      parley(["--profile-dir", path.join(dir, who), ...args], opts);
  const owner = as("owner");
  const bob = as("bob");
  const setup = await owner(
    ["setup", "--server", server.url, "--token", TEST_SETUP_TOKEN, "--org", "acme", "--org-name", "Acme", "--username", "owner", "--display-name", "Owner"],
    { env: { PARLEY_PASSWORD: "olga-secret-pw-123" } },
  );
  assert.equal(setup.code, 0, setup.stderr);
  const invite = await owner(["invite", "create", "--json"]);
  const accept = await bob(["invite", "accept", invite.json().token, "--server", server.url, "--username", "bob", "--display-name", "Bob"], {
    env: { PARLEY_PASSWORD: "bob-password-4567" },
  });
  assert.equal(accept.code, 0, accept.stderr);
  assert.equal((await owner(["channel", "create", "deals"])).code, 0);

  const bad = await owner(["compliance", "retention", "set", "--events", "0"]);
  assert.equal(bad.code, 2, bad.stderr);
  assert.match(bad.stderr, /--events takes a number of days/);

  const set = await owner(["compliance", "retention", "set", "--events", "30d", "--audit", "365", "--json"]);
  assert.equal(set.code, 0, set.stderr);
  assert.deepEqual(set.json(), { eventsDays: 30, filesDays: null, auditDays: 365 });
  const ch = await owner(["compliance", "retention", "channel", "#deals", "--events", "forever", "--files", "90"]);
  assert.equal(ch.code, 0, ch.stderr);
  assert.match(ch.stdout, /#deals: events forever, attachments 90 days/);

  const holdUser = await owner(["compliance", "hold", "bob", "--matter", "SEC 2026-14", "--note", "custodian", "--json"]);
  assert.equal(holdUser.code, 0, holdUser.stderr);
  const holdChannel = await owner(["compliance", "hold", "#deals", "--matter", "Audit 7"]);
  assert.equal(holdChannel.code, 0, holdChannel.stderr);
  assert.match(holdChannel.stdout, /on #deals for "Audit 7"/);

  // A member may do none of it, and nothing is written.
  const before = await countRows(server, "legal_holds");
  const refused = await bob(["compliance", "hold", "owner", "--matter", "x", "--json"]);
  assert.equal(refused.code, 1, refused.stdout);
  assert.equal(refused.json().error.code, "forbidden");
  assert.equal(await countRows(server, "legal_holds"), before);

  const released = await owner(["compliance", "release", holdUser.json().hold.id, "--note", "closed"]);
  assert.equal(released.code, 0, released.stderr);
  const list = await owner(["compliance", "holds", "--all"]);
  assert.equal(list.code, 0, list.stderr);
  assert.match(list.stdout, /SEC 2026-14.*bob.*released/);
  assert.match(list.stdout, /Audit 7.*#deals.*active/);

  // The compliance archive: created with 2-of-3 shares; its scope changes only with two shares of that split.
  const shares = path.join(dir, "shares");
  const init = await owner([
    "compliance",
    "archive",
    "init",
    "--name",
    "Acme archive",
    "--shares-out",
    shares,
    "--threshold",
    "2",
    "--count",
    "3",
    "--channels",
    "#deals",
    "--json",
  ]);
  assert.equal(init.code, 0, init.stderr);
  assert.equal(init.json().policy.version, 1);
  assert.equal(fs.statSync(path.join(shares, "share-1-of-3.txt")).mode & 0o777, 0o600);
  const other = path.join(dir, "other-shares");
  const { splitSecret, generateArchiveSecret } = await import("@parley/crypto");
  fs.mkdirSync(other);
  fs.writeFileSync(path.join(other, "s.txt"), splitSecret(generateArchiveSecret(), 2, 2)[0]!);
  const mixed = await owner([
    "compliance",
    "archive",
    "scope",
    "--shares",
    `${path.join(shares, "share-1-of-3.txt")},${path.join(other, "s.txt")}`,
    "--kinds",
    "private",
  ]);
  assert.equal(mixed.code, 1, mixed.stdout);
  assert.match(mixed.stderr, /shares do not rebuild the archive secret/);
  const scoped = await owner([
    "compliance",
    "archive",
    "scope",
    "--shares",
    `${path.join(shares, "share-1-of-3.txt")},${path.join(shares, "share-3-of-3.txt")}`,
    "--kinds",
    "private",
  ]);
  assert.equal(scoped.code, 0, scoped.stderr);
  assert.match(scoped.stdout, /Stored archive policy version 2/);
  assert.match((await bob(["compliance", "archive"])).stdout, /Acme archive \(policy version 2, signer [0-9a-f ]+\)\nCovers: kinds private/);

  const run = await owner(["compliance", "retention", "run"]);
  assert.equal(run.code, 0, run.stderr);
  const shown = await owner(["compliance", "retention"]);
  assert.equal(shown.code, 0, shown.stderr);
  assert.match(shown.stdout, /Events: 30 days; attachments: forever; audit entries: 365 days/);
  assert.match(shown.stdout, /#deals.*events forever.*attachments 90 days/);
});
