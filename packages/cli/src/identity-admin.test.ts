/**
 * The identity administration commands from the real binary against a real server (issue
 * 10): API keys and service accounts (a key printed once, then usable with PARLEY_API_KEY,
 * revoked), sessions (an admin lists and ends a user's, a user signs out everywhere, the
 * org's session policy), SCIM tokens, and the operator's org commands with an operator
 * token — on SQLite and PostgreSQL; then LDAP (a real slapd: settings from a file with the
 * password from stdin, test, sync with its outcome, the directory down) and SSO providers
 * (a real OIDC IdP: test up and down) on SQLite. Members are refused every admin command
 * and bad input is a usage error (exit 2) with nothing written.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { createOperatorToken } from "@parley/server";
import { startTestServer, TEST_SETUP_TOKEN, type TestDialect, type TestServer } from "@parley/server/testing/harness";
import { countRows, identityCounts } from "@parley/server/testing/factories";
import { LDAP_SERVICE_PASSWORD, ldapSettingsFor, startTestLdap } from "@parley/server/testing/ldap";
import { startTestIdp } from "@parley/server/testing/oidc-idp";
import { parley, tempDir, type Run } from "./testing/spawn-cli.ts";

const OWNER_PW = "olga-secret-pw-123";
const BOB_PW = "bob-password-4567";

type As = (args: string[], opts?: { env?: Record<string, string>; input?: string }) => Promise<Run>;

/** An org made through the CLI: owner (signed in) and bob, a member (signed in). */
async function orgWithMember(t: { after(fn: () => Promise<void> | void): void }, dialect: TestDialect) {
  const server = await startTestServer({ dialect });
  const dir = tempDir("identity");
  t.after(async () => {
    await server.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  const as =
    (who: string): As =>
    (args, opts = {}) =>
      parley(["--profile-dir", path.join(dir, who), ...args], opts);
  const owner = as("owner");
  const bob = as("bob");
  const setup = await owner(
    ["setup", "--server", server.url, "--token", TEST_SETUP_TOKEN, "--org", "acme", "--org-name", "Acme", "--username", "owner", "--display-name", "Owner"],
    { env: { PARLEY_PASSWORD: OWNER_PW } },
  );
  assert.equal(setup.code, 0, setup.stderr);
  const invite = await owner(["invite", "create", "--json"]);
  const accept = await bob(["invite", "accept", invite.json().token, "--server", server.url, "--username", "bob", "--display-name", "Bob"], {
    env: { PARLEY_PASSWORD: BOB_PW },
  });
  assert.equal(accept.code, 0, accept.stderr);
  return { server, dir, as, owner, bob };
}

/** A refusal: exit 1 with this error code in the --json error. */
function refused(r: Run, code: string): void {
  assert.equal(r.code, 1, `${r.stdout}\n${r.stderr}`);
  assert.equal(r.json().error.code, code, r.stdout);
}

// The CLI layer, on SQLite: the server's side of every command runs on SQLite and PostgreSQL in
// its own tests (packages/server), and these dozens of CLI processes cost minutes per dialect.
for (const dialect of ["sqlite"] as const) {
  test(`API keys, service accounts, sessions, SCIM tokens, operator orgs (${dialect})`, { timeout: 600_000 }, async (t) => {
    const { server, dir, as, owner, bob } = await orgWithMember(t, dialect);
    const rows = async (s: TestServer = server) => ({
      ...(await identityCounts(s)),
      api_keys: await countRows(s, "api_keys"),
      scim: await countRows(s, "scim_tokens"),
    });

    // ---- API keys and service accounts ------------------------------------------------------
    assert.equal((await owner(["api-keys", "create", "ci", "--scopes", "read,root", "--json"])).code, 2, "unknown scope");
    assert.equal((await owner(["api-keys", "create", "ci", "--scopes", "read", "--expires", "400d", "--json"])).code, 2, "over a year");
    assert.equal((await owner(["api-keys", "create", "ci", "--json"])).code, 2, "--scopes is required");
    const own = await owner(["api-keys", "create", "laptop script", "--scopes", "read,write", "--expires", "30d"]);
    assert.equal(own.code, 0, own.stderr);
    const ownKey = /\b(pk_\S+)/.exec(own.stdout)?.[1];
    assert.ok(ownKey, own.stdout);
    assert.match(own.stdout, /shown once/);
    const mine = await owner(["api-keys", "--json"]);
    assert.equal(mine.code, 0, mine.stderr);
    assert.deepEqual(
      mine.json().apiKeys.map((k: { name: string; scopes: string[] }) => [k.name, k.scopes]),
      [["laptop script", ["read", "write"]]],
    );
    assert.ok(!mine.stdout.includes(ownKey!) && !(await owner(["api-keys"])).stdout.includes(ownKey!), "a key is never shown again");
    const ownId = mine.json().apiKeys[0].id;

    const before = await rows();
    refused(await bob(["service-accounts", "create", "sneaky-bot", "--display-name", "Sneaky", "--json"]), "forbidden");
    refused(await bob(["api-keys", "--all", "--json"]), "forbidden");
    assert.deepEqual(await rows(), before, "nothing written on refusal");
    assert.equal((await owner(["service-accounts", "create", "deploy-bot", "--display-name", "Deploy bot", "--role", "owner"])).code, 2, "never owner");

    const made = await owner(["service-accounts", "create", "deploy-bot", "--display-name", "Deploy bot", "--json"]);
    assert.equal(made.code, 0, made.stderr);
    assert.deepEqual([made.json().user.username, made.json().user.role], ["deploy-bot", "member"]);
    refused(await owner(["service-accounts", "create-key", "nobody", "ci", "--scopes", "read", "--json"]), "not_found");
    const botKey = await owner(["service-accounts", "create-key", "deploy-bot", "ci", "--scopes", "read", "--json"]);
    assert.equal(botKey.code, 0, botKey.stderr);
    const { key, apiKey } = botKey.json();
    assert.match(key, /^pk_/);
    assert.equal((await owner(["service-accounts", "--json"])).json().serviceAccounts[0].username, "deploy-bot");
    const botEnv = { PARLEY_API_KEY: key, PARLEY_SERVER: server.url };
    const who = await as("bot")(["whoami", "--json"], { env: botEnv });
    assert.equal(who.code, 0, who.stderr);
    assert.equal(who.json().user.username, "deploy-bot");

    const all = await owner(["api-keys", "--all"]);
    assert.match(all.stdout, /deploy-bot\s+ci/);
    assert.match(all.stdout, /owner\s+laptop script/);
    refused(await bob(["api-keys", "revoke", apiKey.id, "--json"]), "forbidden");
    const revoked = await owner(["api-keys", "revoke", apiKey.id, "--json"]);
    assert.equal(revoked.code, 0, revoked.stderr);
    const after = await as("bot-again")(["whoami", "--json"], { env: botEnv });
    assert.equal(after.code, 1, "a revoked key signs nobody in");
    assert.equal((await owner(["api-keys", "revoke", ownId, "--json"])).code, 0, "own key");
    assert.equal((await owner(["api-keys", "--json"])).json().apiKeys[0].revoked, true);

    // ---- sessions -----------------------------------------------------------------------------
    const bobSessions = await owner(["users", "sessions", "bob", "--json"]);
    assert.equal(bobSessions.code, 0, bobSessions.stderr);
    assert.equal(bobSessions.json().sessions.length, 1);
    refused(await bob(["users", "sessions", "owner", "--json"]), "forbidden");
    refused(await bob(["users", "sign-out", "owner", "--json"]), "forbidden");
    assert.equal((await owner(["users", "revoke-session", "bob", "--json"])).code, 2, "SESSION_ID is required");
    const one = await owner(["users", "revoke-session", "bob", bobSessions.json().sessions[0].id, "--json"]);
    assert.equal(one.code, 0, one.stderr);
    assert.deepEqual((await owner(["users", "sessions", "bob", "--json"])).json().sessions, []);
    refused(await owner(["users", "sign-out", "owner", "--json"]), "own_account");

    const login = (who: As) => who(["login", "--server", server.url, "--org", "acme", "--username", "bob", "--json"], { env: { PARLEY_PASSWORD: BOB_PW } });
    assert.equal((await login(bob)).code, 0);
    assert.equal((await login(as("bob-2"))).code, 0);
    const everywhere = await owner(["users", "sign-out", "bob", "--json"]);
    assert.equal(everywhere.code, 0, everywhere.stderr);
    assert.equal(everywhere.json().ended, 2);
    assert.equal((await login(bob)).code, 0);
    assert.equal((await login(as("bob-2"))).code, 0);
    const others = await bob(["sessions", "revoke-all", "--keep-current", "--json"]);
    assert.equal(others.code, 0, others.stderr);
    assert.deepEqual(others.json(), { ended: 1, keptCurrent: true });
    assert.equal((await bob(["whoami"])).code, 0, "this profile stays signed in");
    const all2 = await bob(["sessions", "revoke-all", "--json"]);
    assert.equal(all2.json().ended, 1);
    refused(await bob(["whoami", "--json"]), "not_signed_in");
    assert.equal((await login(bob)).code, 0);

    const policy = await owner(["org", "session-policy", "--json"]);
    assert.deepEqual(policy.json().policy, { idleTimeoutMinutes: null, absoluteTimeoutHours: null, ipAllowList: [] });
    assert.equal((await owner(["org", "session-policy", "--idle-timeout", "90s", "--json"])).code, 2);
    assert.equal((await owner(["org", "session-policy", "--absolute-timeout", "90m", "--json"])).code, 2, "whole hours");
    const set = await owner(["org", "session-policy", "--idle-timeout", "8h", "--absolute-timeout", "7d"]);
    assert.equal(set.code, 0, set.stderr);
    assert.match(set.stdout, /unused for 8 hour\(s\) ends/);
    assert.match(set.stdout, /ends 7 day\(s\) after sign-in/);
    const lockout = await owner(["org", "session-policy", "--ip-allow", "10.0.0.0/8", "--json"]);
    refused(lockout, "bad_request");
    assert.match(lockout.stderr, /nothing was changed/);
    refused(await bob(["org", "session-policy", "--idle-timeout", "1h", "--json"]), "forbidden");
    const allowed = await owner(["org", "session-policy", "--ip-allow", "127.0.0.1, 10.0.0.0/8", "--json"]);
    assert.equal(allowed.code, 0, allowed.stderr);
    assert.deepEqual(allowed.json().policy, { idleTimeoutMinutes: 480, absoluteTimeoutHours: 168, ipAllowList: ["127.0.0.1", "10.0.0.0/8"] });
    const off = await owner(["org", "session-policy", "--ip-allow", "any", "--idle-timeout", "off", "--json"]);
    assert.deepEqual(off.json().policy, { idleTimeoutMinutes: null, absoluteTimeoutHours: 168, ipAllowList: [] });

    // ---- SCIM tokens --------------------------------------------------------------------------
    assert.equal((await owner(["scim", "tokens", "create", "okta", "--expires", "0d", "--json"])).code, 2);
    const beforeScim = await rows();
    refused(await bob(["scim", "tokens", "create", "okta", "--json"]), "forbidden");
    assert.deepEqual(await rows(), beforeScim);
    const scim = await owner(["scim", "tokens", "create", "okta", "--expires", "365d", "--json"]);
    assert.equal(scim.code, 0, scim.stderr);
    assert.equal(scim.json().scimUrl, `${server.url}/scim/v2`);
    const users = await fetch(`${server.url}/scim/v2/Users`, { headers: { authorization: `Bearer ${scim.json().token}` } });
    assert.equal(users.status, 200, "the printed token works");
    const listed = await owner(["scim", "tokens"]);
    assert.match(listed.stdout, /okta\s+as owner/);
    assert.ok(!listed.stdout.includes(scim.json().token));
    assert.equal((await owner(["scim", "tokens", "revoke", scim.json().id])).code, 0);
    assert.ok((await owner(["scim", "tokens", "--json"])).json().tokens[0].revokedAt);
    const gone = await fetch(`${server.url}/scim/v2/Users`, { headers: { authorization: `Bearer ${scim.json().token}` } });
    assert.equal(gone.status, 401);

    // ---- operator -----------------------------------------------------------------------------
    const operator = (args: string[], env: Record<string, string> = {}) => parley(["operator", ...args, "--json"], { env });
    refused(await operator(["orgs"], { PARLEY_SERVER: server.url }), "no_operator_token");
    const { token } = await createOperatorToken(server.deps, "ops");
    const opEnv = { PARLEY_OPERATOR_TOKEN: token, PARLEY_SERVER: server.url };
    assert.equal((await operator(["orgs"], { PARLEY_OPERATOR_TOKEN: token })).code, 2, "no server");
    const wrong = await operator(["orgs"], { ...opEnv, PARLEY_OPERATOR_TOKEN: "op_not-a-real-token-0000000000" });
    refused(wrong, "unauthorized");
    assert.match(wrong.stderr, /operator-token create/);
    refused(await bob(["operator", "orgs", "--json"]), "no_operator_token");
    const orgs = await operator(["orgs"], opEnv);
    assert.equal(orgs.code, 0, orgs.stderr);
    assert.deepEqual(
      orgs.json().orgs.map((o: { slug: string; users: number }) => [o.slug, o.users]),
      [["acme", 3]],
    );
    assert.equal((await operator(["orgs", "create", "beta", "--name", "Beta", "--owner", "boss"], opEnv)).code, 2, "--owner-name missing");
    const beta = await operator(["orgs", "create", "beta", "--name", "Beta", "--owner", "boss", "--owner-name", "Boss"], opEnv);
    assert.equal(beta.code, 0, beta.stderr);
    assert.equal(beta.json().emailed, false);
    assert.match(beta.json().setPasswordUrl, /^http/);
    refused(await operator(["orgs", "create", "beta", "--name", "Beta", "--owner", "boss", "--owner-name", "Boss"], opEnv), "already_exists");
    assert.equal((await operator(["orgs", "suspend", "beta"], opEnv)).code, 2, "--reason is required");
    refused(await operator(["orgs", "suspend", "nope", "--reason", "x"], opEnv), "not_found");
    const suspended = await operator(["orgs", "suspend", "beta", "--reason", "unpaid invoice"], opEnv);
    assert.equal(suspended.code, 0, suspended.stderr);
    assert.deepEqual([suspended.json().org.suspended, suspended.json().org.suspendedReason], [true, "unpaid invoice"]);
    const human = await parley(["operator", "orgs"], { env: opEnv });
    assert.match(human.stdout, /beta\s+Beta\s+1 user\(s\).*suspended .*unpaid invoice/);
    const restored = await operator(["orgs", "restore", beta.json().org.id], opEnv);
    assert.equal(restored.json().org.suspended, false, "by id too");
    fs.rmSync(dir, { recursive: true, force: true });
  });
}

test("LDAP settings, test and sync; SSO providers listed and tested (sqlite)", { timeout: 600_000 }, async (t) => {
  const { server, dir, owner, bob } = await orgWithMember(t, "sqlite");
  const ldap = await startTestLdap({ people: [{ uid: "alice", cn: "Alice", mail: "alice@example.org", password: "alice-directory-pw" }], groups: [] });
  t.after(() => ldap.destroy());

  // ---- LDAP ---------------------------------------------------------------------------------
  const none = await owner(["ldap", "--json"]);
  assert.equal(none.code, 0, none.stderr);
  assert.equal(none.json().settings, null);
  refused(await bob(["ldap", "--json"]), "forbidden");
  assert.equal((await owner(["ldap", "set", "--json"])).code, 2, "nothing to change");
  refused(await owner(["ldap", "set", "--enabled", "on", "--json"]), "not_configured");
  const file = path.join(dir, "ldap.json");
  fs.writeFileSync(file, JSON.stringify(ldapSettingsFor(ldap)));
  refused(await owner(["ldap", "set", "--file", file, "--json"]), "invalid_file");
  const { bindPassword: _, ...settings } = ldapSettingsFor(ldap);
  fs.writeFileSync(file, JSON.stringify({ ...settings, url: "http://ldap.example.org" }));
  const bad = await owner(["ldap", "set", "--file", file, "--json"], { input: `${LDAP_SERVICE_PASSWORD}\n` });
  refused(bad, "validation_failed");
  assert.match(bad.stderr, /url: an ldap:\/\/ or ldaps:\/\/ URL/);
  fs.writeFileSync(file, JSON.stringify(settings));
  refused(await owner(["ldap", "set", "--file", file, "--json"]), "no_password");
  refused(await bob(["ldap", "set", "--file", file, "--json"], { input: `${LDAP_SERVICE_PASSWORD}\n` }), "forbidden");
  assert.equal((await owner(["ldap", "--json"])).json().settings, null, "nothing saved by a refusal");

  const saved = await owner(["ldap", "set", "--file", file], { input: `${LDAP_SERVICE_PASSWORD}\n` });
  assert.equal(saved.code, 0, saved.stderr);
  assert.match(saved.stdout, /LDAP is enabled: ldap:\/\/127\.0\.0\.1:\d+/);
  assert.match(saved.stdout, /password stored/);
  assert.ok(!saved.stdout.includes(LDAP_SERVICE_PASSWORD) && !saved.stderr.includes(LDAP_SERVICE_PASSWORD), "the password is never echoed");
  // The saved settings change by a flag without asking for the password again.
  const disabled = await owner(["ldap", "set", "--enabled", "off", "--json"]);
  assert.equal(disabled.code, 0, disabled.stderr);
  assert.deepEqual([disabled.json().settings.enabled, disabled.json().bindPasswordSet], [false, true]);
  assert.equal((await owner(["ldap", "set", "--enabled", "on", "--json"])).code, 0);

  const tested = await owner(["ldap", "test", "--username", "alice", "--json"]);
  assert.equal(tested.code, 0, tested.stderr);
  assert.deepEqual([tested.json().ok, tested.json().user.username, tested.json().user.role], [true, "alice", "member"]);
  assert.equal((await owner(["ldap", "test", "--bind-password", "--json"])).code, 2, "--bind-password goes with --file");
  const wrongPw = await owner(["ldap", "test", "--file", file, "--bind-password", "--json"], { input: "not-the-password\n" });
  assert.equal(wrongPw.code, 1);
  assert.deepEqual([wrongPw.json().ok, wrongPw.json().stage], [false, "bind"]);

  const synced = await owner(["ldap", "sync", "--json"]);
  assert.equal(synced.code, 0, synced.stderr);
  assert.match(synced.stderr, /sync queued \(job \S+\); waiting/);
  assert.deepEqual([synced.json().lastSync.ok, synced.json().lastSync.trigger], [true, "admin"]);
  assert.equal(synced.json().lastSync.counts.entries, 1);
  refused(await bob(["ldap", "sync", "--json"]), "forbidden");
  const queued = await owner(["ldap", "sync", "--no-wait", "--json"]);
  assert.equal(queued.code, 0, queued.stderr);
  assert.ok(queued.json().jobId);

  await ldap.stop();
  const down = await owner(["ldap", "test"]);
  assert.equal(down.code, 1);
  assert.match(down.stdout, /Failed at connect/);
  // Wait out the queued sync's outcome first, so the next one is told apart from it.
  for (let i = 0; i < 60 && (await owner(["ldap", "--json"])).json().lastSync.at === synced.json().lastSync.at; i++)
    await new Promise((r) => setTimeout(r, 250));
  const failed = await owner(["ldap", "sync"]);
  assert.equal(failed.code, 1, failed.stderr);
  assert.match(failed.stdout, /Sync failed/);

  // ---- SSO ----------------------------------------------------------------------------------
  const idp = await startTestIdp({
    accounts: [],
    clients: [{ clientId: "parley", clientSecret: "s3cret-client", redirectUris: [`${server.url}/auth/sso/oidc/callback`] }],
  });
  t.after(() => idp.stop());
  assert.match((await owner(["sso", "providers"])).stdout, /no single sign-on providers/);
  const login = await fetch(`${server.url}/api/v1/auth/login`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ org: "acme", username: "owner", password: OWNER_PW, deviceName: "test" }),
  });
  const { accessToken } = (await login.json()) as { accessToken: string };
  const created = await fetch(`${server.url}/api/v1/sso/providers`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${accessToken}` },
    body: JSON.stringify({ name: "Keycloak", issuer: idp.issuer, clientId: "parley", clientSecret: "s3cret-client" }),
  });
  assert.equal(created.status, 201, await created.clone().text());
  const providers = await owner(["sso", "providers"]);
  assert.equal(providers.code, 0, providers.stderr);
  assert.match(providers.stdout, /OIDC\s+Keycloak\s+enabled/);
  assert.match(providers.stdout, /redirect URI:\s+http:\/\/\S+\/auth\/sso\/oidc\/callback/);
  assert.ok(!providers.stdout.includes("s3cret-client"));
  refused(await bob(["sso", "providers", "--json"]), "forbidden");
  const ok = await owner(["sso", "test", "keycloak", "--json"]);
  assert.equal(ok.code, 0, ok.stderr);
  assert.deepEqual([ok.json().ok, ok.json().stage, ok.json().metadata.issuer], [true, "done", idp.issuer]);
  refused(await owner(["sso", "test", "okta", "--json"]), "not_found");
  idp.setDown(true);
  const idpDown = await owner(["sso", "test", "Keycloak"]);
  assert.equal(idpDown.code, 1);
  assert.match(idpDown.stdout, /Keycloak: failed at discovery/);
});
