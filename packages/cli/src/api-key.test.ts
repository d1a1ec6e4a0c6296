/**
 * Scripts and operators (issue 10): the CLI signs in with PARLEY_API_KEY on PARLEY_SERVER
 * (a service account's key, limited to its scopes), and `parley admin operator-token create`
 * makes a token the operator API accepts.
 */
import { test, after } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { ParleyClient } from "@parley/sdk/node";
import { createTestDatabase, startTestServer, TEST_SETUP_TOKEN } from "@parley/server/testing/harness";
import { parley, tempDir } from "./testing/spawn-cli.ts";

const dirs: string[] = [];
after(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

test("a script signs in with an API key; an operator token made offline opens the operator API", { timeout: 300_000 }, async () => {
  const db = await createTestDatabase("sqlite");
  const server = await startTestServer({ database: db });
  const dir = tempDir("apikey");
  dirs.push(dir, db.dataDir);
  try {
    const owner = await ParleyClient.setup({
      baseUrl: server.url,
      setupToken: TEST_SETUP_TOKEN,
      orgSlug: "acme",
      orgName: "Acme",
      username: "owner",
      displayName: "Owner",
      password: "violet anchor mountain tea",
      deviceName: "laptop",
    });
    const bot = await owner.api.call("createServiceAccount", { body: { username: "deploy-bot", displayName: "Deploy bot" } });
    const { key } = await owner.api.call("createServiceAccountKey", { params: { id: bot.id }, body: { name: "ci", scopes: ["read"] } });
    await owner.close();

    const asBot = (args: string[], env: Record<string, string>) => parley(["--profile-dir", path.join(dir, "bot"), ...args, "--json"], { env });
    const noServer = await asBot(["whoami"], { PARLEY_API_KEY: key });
    assert.equal(noServer.code, 1);
    assert.match(noServer.stderr + noServer.stdout, /PARLEY_SERVER/);
    const who = await asBot(["whoami"], { PARLEY_API_KEY: key, PARLEY_SERVER: server.url });
    assert.equal(who.code, 0, who.stderr);
    assert.equal(who.json().user.username, "deploy-bot");
    // The session is kept in the profile: the next run resumes it.
    const again = await asBot(["whoami"], { PARLEY_API_KEY: key, PARLEY_SERVER: server.url });
    assert.equal(again.code, 0, again.stderr);
    const sessions = await server.deps.db.selectFrom("sessions").select("id").where("api_key_id", "is not", null).execute();
    assert.equal(sessions.length, 1, "one session for both runs");
    const write = await asBot(["channel", "create", "nope"], { PARLEY_API_KEY: key, PARLEY_SERVER: server.url });
    assert.notEqual(write.code, 0, "a read key does not write");

    const made = await parley(["admin", "operator-token", "create", "ops team", "--data-dir", db.dataDir, "--json"]);
    assert.equal(made.code, 0, made.stderr);
    const token: string = made.json().token;
    assert.match(token, /^op_/);
    const orgs = await fetch(`${server.url}/api/v1/operator/orgs`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(orgs.status, 200);
    assert.deepEqual(
      ((await orgs.json()) as { orgs: Array<{ slug: string }> }).orgs.map((o) => o.slug),
      ["acme"],
    );
  } finally {
    await server.stop();
  }
});
