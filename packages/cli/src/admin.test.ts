/**
 * Offline administration with the real binary, on the data dir of a running
 * server (SQLite in WAL mode allows both): invite, users, roles,
 * deactivate/reactivate, devices, revoke-device, migrate.
 */
import { test, after } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { createTestDatabase, startTestServer, TEST_SETUP_TOKEN } from "@parley/server/testing/harness";
import { parley, tempDir } from "./testing/spawn-cli.ts";

const dirs: string[] = [];
after(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

// ~25 CLI processes, each opening the database: minutes on a loaded 2-core box, so more than the suite's 120 s default.
test("admin commands act on the database directly", { timeout: 300_000 }, async () => {
  const db = await createTestDatabase("sqlite");
  const server = await startTestServer({ database: db });
  const dir = tempDir("admin");
  dirs.push(dir, db.dataDir);
  const admin = (args: string[]) => parley(["admin", ...args, "--data-dir", db.dataDir, "--json"]);
  const bob = (args: string[], pw = "bob-password-123") => parley(["--profile-dir", path.join(dir, "bob"), ...args], { env: { PARLEY_PASSWORD: pw } });
  try {
    const noOrg = await admin(["users"]);
    assert.equal(noOrg.code, 1);
    assert.equal(noOrg.json().error.code, "no_org");

    const setup = await parley(
      [
        "--profile-dir",
        path.join(dir, "owner"),
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
      ],
      { env: { PARLEY_PASSWORD: "boss-secret-pw-1" } },
    );
    assert.equal(setup.code, 0, setup.stderr);

    const invite = await admin(["invite", "--role", "guest", "--max-uses", "2", "--expires", "1h"]);
    assert.equal(invite.code, 0, invite.stderr);
    assert.equal(invite.json().role, "guest");
    assert.equal(invite.json().maxUses, 2);
    assert.ok(invite.json().expiresAt - Date.now() <= 3600_000);
    assert.equal((await bob(["invite", "accept", invite.json().token, "--server", server.url, "--username", "bob", "--display-name", "Bob"])).code, 0);

    const users = await admin(["users"]);
    assert.deepEqual(
      users.json().users.map((u: { username: string; role: string }) => [u.username, u.role]),
      [
        ["bob", "guest"],
        ["owner", "owner"],
      ],
    );
    assert.equal((await admin(["role", "bob", "member"])).json().user.role, "member");
    const badRole = await admin(["role", "bob", "emperor"]);
    assert.equal(badRole.code, 2);
    const lastOwner = await admin(["role", "owner", "member"]);
    assert.equal(lastOwner.code, 1);
    assert.match(lastOwner.json().error.message, /last owner/);
    assert.equal((await admin(["role", "nobody", "member"])).json().error.code, "not_found");

    assert.equal((await admin(["deactivate", "bob"])).json().user.deactivated, true);
    const blocked = await bob(["login", "--server", server.url, "--org", "acme", "--username", "bob", "--json"]);
    assert.equal(blocked.code, 1);
    assert.equal(blocked.json().error.code, "invalid_credentials");
    assert.equal((await admin(["reactivate", "bob"])).json().user.deactivated, false);
    assert.equal((await bob(["login", "--server", server.url, "--org", "acme", "--username", "bob"])).code, 0);

    const devices = await admin(["devices", "bob"]);
    assert.equal(devices.json().devices.length, 1, "signing in again reuses the profile's device");
    const deviceId = devices.json().devices[0].id;
    assert.equal((await admin(["revoke-device", "bob", deviceId])).code, 0);
    assert.equal((await admin(["devices", "bob"])).json().devices[0].revoked, true);

    const migrate = await admin(["migrate"]);
    assert.deepEqual(migrate.json(), { applied: [], dialect: "sqlite" });
  } finally {
    await server.stop();
  }
});

test("admin e2ee reset gives channels a new MLS group generation with a visible event", async () => {
  const { bootstrapOrg } = await import("@parley/server/testing/factories");
  const { initChannel, mlsClient } = await import("@parley/server/testing/mls-clients");
  const db = await createTestDatabase("sqlite");
  const server = await startTestServer({ database: db });
  dirs.push(db.dataDir);
  const admin = (args: string[]) => parley(["admin", "e2ee", "reset", ...args, "--data-dir", db.dataDir, "--json"]);
  try {
    const owner = await bootstrapOrg(server);
    const ch = (await owner.api("POST", "/channels", { kind: "public", name: "ops" })).body.id as string;
    assert.equal((await initChannel(await mlsClient(owner), ch)).status, 200);
    assert.equal((await admin([])).code, 2, "--channel or --all is required");
    assert.equal((await admin(["--channel", "ch_nope"])).json().error.code, "not_found");

    const r = await admin(["--all"]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(r.json().reset, [{ channelId: ch, generation: 1 }]);
    assert.match(r.stderr, /reset 1\/1: ops \(generation 1\)/);
    const info = await owner.api("GET", `/channels/${ch}/group-info`);
    assert.deepEqual([info.body.generation, info.body.epoch, info.body.groupInfo], [1, 0, null]);
    const events = (await owner.api("GET", `/channels/${ch}/events?after=0`)).body.events as {
      kind: string;
      generation: number;
      senderId: string;
      content: string;
    }[];
    const reset = events.at(-1)!;
    assert.deepEqual([reset.kind, reset.generation, reset.senderId], ["reset", 1, "server"]);
    assert.deepEqual(JSON.parse(Buffer.from(reset.content, "base64").toString()), { generation: 1, reason: "operator", by: null });
    // Nothing has a group any more: --all finds nothing to do.
    assert.deepEqual((await admin(["--all"])).json().reset, []);
  } finally {
    await server.stop();
  }
});
