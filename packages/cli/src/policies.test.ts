/**
 * Roles and policies from the real binary against a real server (issue 10): a channel
 * labelled confidential, a broken policy located by line and column, the policy "guests may
 * not read channels labelled confidential" created from stdin, a lock-out refused, the dry-run
 * listing the guest; a custom role created and assigned. A member is refused every admin
 * command with nothing written; bad options are usage errors (exit 2). SQLite only: the
 * server's side runs on both dialects in packages/server/src/modules/access/policies.test.ts.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { startTestServer, TEST_SETUP_TOKEN } from "@parley/server/testing/harness";
import { countRows } from "@parley/server/testing/factories";
import { parley, tempDir, type Run } from "./testing/spawn-cli.ts";

const CONFIDENTIAL = `// Guests never read confidential channels.
forbid (principal, action == Action::"channel.read", resource)
when { principal.role == "guest" && resource.labels.contains("confidential") };
`;

function refused(r: Run, code: string): void {
  assert.equal(r.code, 1, `${r.stdout}\n${r.stderr}`);
  assert.equal(r.json().error.code, code, r.stdout);
}

test("channel labels, policies (validate, create, lock-out, dry-run) and custom roles (sqlite)", { timeout: 600_000 }, async (t) => {
  const server = await startTestServer({ dialect: "sqlite" });
  const dir = tempDir("policies");
  t.after(async () => {
    await server.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  const as =
    (who: string) =>
    (args: string[], opts: { env?: Record<string, string>; input?: string } = {}) =>
      parley(["--profile-dir", path.join(dir, who), ...args], opts);
  const owner = as("owner");
  const bob = as("bob");
  const gus = as("gus");
  const setup = await owner(
    ["setup", "--server", server.url, "--token", TEST_SETUP_TOKEN, "--org", "acme", "--org-name", "Acme", "--username", "owner", "--display-name", "Owner"],
    { env: { PARLEY_PASSWORD: "olga-secret-pw-123" } },
  );
  assert.equal(setup.code, 0, setup.stderr);
  for (const [who, run, role] of [
    ["bob", bob, "member"],
    ["gus", gus, "guest"],
  ] as const) {
    const invite = await owner(["invite", "create", "--role", role, "--json"]);
    const accept = await run(["invite", "accept", invite.json().token, "--server", server.url, "--username", who, "--display-name", who], {
      env: { PARLEY_PASSWORD: `${who}-password-4567` },
    });
    assert.equal(accept.code, 0, accept.stderr);
  }
  assert.equal((await owner(["channel", "create", "deals", "--private"])).code, 0);
  const invited = await owner(["channel", "invite", "deals", "gus", "bob"]);
  assert.equal(invited.code, 0, invited.stderr);

  // ---- channel labels --------------------------------------------------------------------------
  assert.equal((await owner(["channel", "labels", "deals", "--set", "Top Secret"])).code, 2, "not a label");
  assert.equal((await owner(["channel", "labels", "deals", "--set", "a", "--add", "b"])).code, 2, "one change at a time");
  const labelled = await owner(["channel", "labels", "#deals", "--set", "confidential,deals"]);
  assert.equal(labelled.code, 0, labelled.stderr);
  assert.equal(labelled.stdout.trim(), "#deals: confidential, deals");
  refused(await bob(["channel", "labels", "deals", "--remove", "confidential", "--json"]), "forbidden");
  const shown = await bob(["channel", "labels", "deals", "--json"]);
  assert.deepEqual(shown.json().channel.labels, ["confidential", "deals"], "members see the labels; bob's removal wrote nothing");

  // ---- policies ----------------------------------------------------------------------------------
  const file = (name: string, text: string) => {
    const p = path.join(dir, name);
    fs.writeFileSync(p, text);
    return p;
  };
  const broken = file("broken.cedar", CONFIDENTIAL.replace("resource.labels", "resource.lables"));
  const checked = await owner(["policies", "validate", "--file", broken]);
  assert.equal(checked.code, 1, checked.stderr);
  assert.match(checked.stdout, /broken\.cedar:3:\d+: .*`lables`.*\(did you mean `labels`\?\)/);
  const parseError = await owner(["policies", "create", "no guests", "--file", file("parse.cedar", "forbid (principal, action, resource) when { };")]);
  assert.equal(parseError.code, 1);
  assert.match(parseError.stderr, /the policy is refused: .*\(line 1, column \d+\).* — fix the policy text/);
  assert.equal((await owner(["policies", "dry-run", "--action", "channel.read"])).code, 2, "a channel action needs --channel");
  assert.equal((await owner(["policies", "dry-run", "--action", "channel.fly", "--channel", "deals"])).code, 2, "unknown action");

  const before = { policies: await countRows(server, "org_policies"), roles: await countRows(server, "org_roles") };
  const good = file("confidential.cedar", CONFIDENTIAL);
  refused(await bob(["policies", "create", "mine", "--file", good, "--json"]), "forbidden");
  refused(await bob(["policies", "validate", "--file", good, "--json"]), "forbidden");
  refused(await bob(["roles", "create", "auditor", "--permissions", "org.read_audit", "--json"]), "forbidden");
  refused(await bob(["users", "roles", "bob", "--set", "auditor", "--json"]), "forbidden");
  assert.deepEqual({ policies: await countRows(server, "org_policies"), roles: await countRows(server, "org_roles") }, before, "nothing written");

  const created = await owner(["policies", "create", "confidential: no guests", "--file", "-", "--description", "issue 10"], { input: CONFIDENTIAL });
  assert.equal(created.code, 0, created.stderr);
  assert.match(created.stdout, /Created policy "confidential: no guests" \(\S+\), enforced from now on/);
  const lockOut = file("lockout.cedar", `forbid (principal, action == Action::"org.manage_security", resource);`);
  const locked = await owner(["policies", "create", "nobody manages", "--file", lockOut, "--json"]);
  refused(locked, "policy_lockout");
  assert.match(locked.stderr, /denied by "nobody manages".* — at least one owner or admin/);
  const listed = await owner(["policies"]);
  assert.match(listed.stdout, /confidential: no guests\s+enabled/);
  assert.doesNotMatch(listed.stdout, /nobody manages/);

  const dry = await owner(["policies", "dry-run", "--action", "channel.read", "--channel", "deals"]);
  assert.equal(dry.code, 0, dry.stderr);
  assert.match(dry.stdout, /^1 of 3 active user\(s\) may not channel\.read on #deals\./);
  assert.match(dry.stdout, /gus\s+gus\s+guest\s+denied\s+by "confidential: no guests"/);
  assert.doesNotMatch(dry.stdout, /\bbob\b/);
  const draft = await owner([
    "policies",
    "dry-run",
    "--action",
    "channel.read",
    "--channel",
    "deals",
    "--file",
    good,
    "--replaces",
    "confidential: no guests",
    "--json",
  ]);
  assert.deepEqual(draft.json().affected, [], "the same text in place of the policy changes nobody");

  // ---- custom roles --------------------------------------------------------------------------------
  assert.equal((await owner(["roles", "create", "auditor", "--permissions", "org.read_audit,org.fly"])).code, 2, "unknown permission");
  assert.equal((await owner(["roles", "create", "admin", "--permissions", "org.read_audit"])).code, 2, "a built-in role's name");
  const ownerOnly = await owner(["roles", "create", "root", "--permissions", "org.manage_admins"]);
  assert.equal(ownerOnly.code, 2, "an owner-only permission");
  assert.match(ownerOnly.stderr, /org\.manage_admins is reserved to owners/);
  const role = await owner(["roles", "create", "auditor", "--permissions", "org.read_audit", "--description", "Reads the audit log"]);
  assert.equal(role.code, 0, role.stderr);
  const assigned = await owner(["users", "roles", "bob", "--add", "auditor"]);
  assert.equal(assigned.code, 0, assigned.stderr);
  assert.equal(assigned.stdout.trim(), "bob: member + auditor");
  const roles = await owner(["roles", "--json"]);
  assert.deepEqual(
    roles.json().roles.map((r: { name: string; permissions: string[]; memberIds: string[] }) => [r.name, r.permissions, r.memberIds.length]),
    [["auditor", ["org.read_audit"], 1]],
  );
});
