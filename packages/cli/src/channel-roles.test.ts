/**
 * `parley channel role` from the real binary against a real server: an admin makes a member a
 * reader, whose send is then refused; a bad role is a usage error (exit 2) and a member may not
 * change roles (nothing written). SQLite only: the server's side runs on both dialects in
 * packages/server/src/modules/channels/channel-roles.test.ts.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { startTestServer, TEST_SETUP_TOKEN } from "@parley/server/testing/harness";
import { parley, tempDir } from "./testing/spawn-cli.ts";

test("parley channel role: set, refused for members, readers may not post (sqlite)", { timeout: 300_000 }, async (t) => {
  const server = await startTestServer({ dialect: "sqlite" });
  const dir = tempDir("channel-roles");
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
  const invite = await owner(["invite", "create", "--role", "member", "--json"]);
  const accept = await bob(["invite", "accept", invite.json().token, "--server", server.url, "--username", "bob", "--display-name", "Bob"], {
    env: { PARLEY_PASSWORD: "bob-password-4567" },
  });
  assert.equal(accept.code, 0, accept.stderr);
  assert.equal((await owner(["channel", "create", "news", "--private"])).code, 0);
  assert.equal((await owner(["channel", "invite", "news", "bob"])).code, 0);

  const bad = await owner(["channel", "role", "news", "bob", "boss"]);
  assert.equal(bad.code, 2, bad.stderr);
  assert.match(bad.stderr + bad.stdout, /admin, moderator, member, reader/);
  const roleChanges = () =>
    server.deps.db
      .selectFrom("audit_log")
      .select("action")
      .where("action", "=", "channel.member.role_changed")
      .execute()
      .then((r) => r.length);
  const refused = await bob(["channel", "role", "news", "owner", "member", "--json"]);
  assert.equal(refused.code, 1, refused.stdout);
  assert.equal(refused.json().error.code, "forbidden");
  assert.equal(await roleChanges(), 0, "nothing written");

  const set = await owner(["channel", "role", "#news", "bob", "Reader"]);
  assert.equal(set.code, 0, set.stderr);
  assert.equal(set.stdout.trim(), "bob is now a reader of #news.");
  assert.equal(await roleChanges(), 1, "audited");
  const list = await bob(["channel", "list", "--json"]);
  assert.equal(list.json().channels.find((c: { name: string }) => c.name === "news").myRole, "reader");
  const send = await bob(["send", "#news", "hello?", "--json"]);
  assert.equal(send.code, 1, send.stdout);
  assert.match(send.stdout, /readers of this channel may not post/);
});
