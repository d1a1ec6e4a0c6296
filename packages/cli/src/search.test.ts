/**
 * `parley search` (issue 9, done-means 4 for the CLI) with the real binary: alice chats in two
 * channels from her laptop profile; a new profile of hers (a device that did not exist then)
 * restores with the recovery key and finds a word of those messages in both channels, from an
 * index sealed in its profile; a second search reads nothing again; bad input is refused.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { startTestServer } from "@parley/server/testing/harness";
import { bootstrapOrg, TEST_PASSWORD } from "@parley/server/testing/factories";
import { parley, tempDir } from "./testing/spawn-cli.ts";

test("a new CLI device finds words said before it existed, across channels, from an index sealed in its profile", { timeout: 180_000 }, async (t) => {
  const server = await startTestServer({ config: { checkMlsFraming: true } });
  t.after(() => server.stop());
  await bootstrapOrg(server, { orgSlug: "clisearch", username: "alice" });
  const dir = tempDir("search");
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const run = (who: string, args: string[], env: Record<string, string> = {}) =>
    parley(["--profile-dir", path.join(dir, who), ...args], { env: { PARLEY_PASSWORD: TEST_PASSWORD, ...env } });
  const ok = async (who: string, args: string[], env: Record<string, string> = {}) => {
    const r = await run(who, args, env);
    assert.equal(r.code, 0, `parley ${args.join(" ")}: ${r.stderr}`);
    return r;
  };

  const login = await ok("laptop", ["login", "--server", server.url, "--org", "clisearch", "--username", "alice", "--json"]);
  const recoveryKey = login.json().recoveryKey as string;
  await ok("laptop", ["channel", "create", "alpha"]);
  await ok("laptop", ["channel", "create", "beta"]);
  await ok("laptop", ["send", "alpha", "the kingfisher report is due"]);
  await ok("laptop", ["send", "beta", "lunch plans"]);
  await ok("laptop", ["send", "beta", "saw a kingfisher at the lake"]);

  await ok("phone", ["login", "--server", server.url, "--org", "clisearch", "--username", "alice"]);
  await ok("phone", ["recovery-key", "restore"], { PARLEY_RECOVERY_KEY: recoveryKey });
  const found = await ok("phone", ["search", "kingfisher", "--json"]);
  const results = found.json().results as Array<{ channel: string; text: string; sender: string }>;
  assert.deepEqual(results.map((r) => `${r.channel}: ${r.text}`).sort(), ["alpha: the kingfisher report is due", "beta: saw a kingfisher at the lake"]);
  assert.equal(results[0]!.sender, "alice");
  const index = fs.readFileSync(path.join(dir, "phone", "search.idx"));
  assert.ok(!index.toString("latin1").includes("kingfisher"), "the index is sealed at rest");

  const lines = await ok("phone", ["search", "KINGFISH", "--channel", "beta"]);
  assert.match(lines.stdout, /^#beta #\d+ \[.*\] alice: saw a kingfisher at the lake$/m, "a prefix, one channel, in the message line format");
  assert.doesNotMatch(lines.stdout, /alpha/);
  await ok("laptop", ["send", "alpha", "kingfisher, again"]);
  const again = await ok("phone", ["search", "kingfisher", "--json"]);
  assert.equal(again.json().results.length, 3, "the new message is found: the index reads what came since");
  assert.equal(fs.readFileSync(path.join(dir, "phone", "search.idx")).equals(index), false);

  const none = await ok("phone", ["search", "heron"]);
  assert.match(none.stdout, /nothing found for "heron"/);
  const usage = await run("phone", ["search"]);
  assert.equal(usage.code, 2, "a query is required");
  const unknown = await run("phone", ["search", "kingfisher", "--channel", "nope", "--json"]);
  assert.equal(unknown.code, 1);
  assert.equal(unknown.json().error.code, "not_found");
});
