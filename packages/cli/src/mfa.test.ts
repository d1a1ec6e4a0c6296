/**
 * Multi-factor authentication from the real binary against a real server (issue 10):
 * enrolling an authenticator app (a wrong code refused, the right one gives ten recovery
 * codes), signing in with a code (asked again after a wrong one) or a recovery code, new
 * recovery codes, turning it off; the org's MFA policy; a sign-in restricted to enrolling
 * (the error says what to run, enrolling there finishes the sign-in, signing out works);
 * an admin's reset. Codes come from otplib with the secret the CLI printed, at the
 * server's clock, which the test moves on by one 30-second step before each code (a code
 * is accepted once per step).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { generate } from "otplib";
import { startTestServer, TEST_SETUP_TOKEN } from "@parley/server/testing/harness";
import { parley, tempDir, type Progress, type Run } from "./testing/spawn-cli.ts";

const OWNER_PW = "olga-secret-pw-123";
const BOB_PW = "bob-password-4567";
const CAROL_PW = "c-secret-pw-89";
const RECOVERY_CODE = /\b[a-z2-9]{5}-[a-z2-9]{5}\b/g;

type As = (args: string[], opts?: { env?: Record<string, string>; input?: string | ((p: Progress) => Promise<string>) }) => Promise<Run>;

test("multi-factor authentication: enrol, sign in, recovery codes, disable, policy, restricted sign-in, reset (sqlite)", { timeout: 600_000 }, async (t) => {
  const server = await startTestServer({ dialect: "sqlite" });
  const dir = tempDir("mfa");
  t.after(async () => {
    await server.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  // ~50 CLI processes: minutes on a loaded 2-core box. The server's clock is moved on to reach the next 30-second code.
  let offset = 0;
  const realNow = Date.now;
  server.deps.now = () => realNow() + offset;
  let lastEpoch = 0;
  const nextCode = (secret: string) => {
    offset += 30_000;
    lastEpoch = Math.floor(server.deps.now() / 1000);
    return generate({ secret, epoch: lastEpoch });
  };
  const url = server.url;
  const as =
    (who: string): As =>
    (args, opts = {}) =>
      parley(["--profile-dir", path.join(dir, who), ...args], opts);
  const owner = as("owner");
  const bob = as("bob");
  const bobLogin = as("bob-login");
  const login = (who: As, username: string, password: string, opts: { env?: Record<string, string>; input?: string } = {}) =>
    who(["login", "--server", url, "--org", "acme", "--username", username, "--json"], { ...opts, env: { PARLEY_PASSWORD: password, ...opts.env } });

  const setup = await owner(
    ["setup", "--server", url, "--token", TEST_SETUP_TOKEN, "--org", "acme", "--org-name", "Acme", "--username", "owner", "--display-name", "Owner"],
    { env: { PARLEY_PASSWORD: OWNER_PW } },
  );
  assert.equal(setup.code, 0, setup.stderr);
  for (const [who, pw] of [
    ["bob", BOB_PW],
    ["carol", CAROL_PW],
  ] as const) {
    const invite = await owner(["invite", "create", "--json"]);
    const accept = await as(who)(["invite", "accept", invite.json().token, "--server", url, "--username", who, "--display-name", who], {
      env: { PARLEY_PASSWORD: pw },
    });
    assert.equal(accept.code, 0, accept.stderr);
  }

  // ---- help -----------------------------------------------------------------------------
  const help = await parley(["--help"]);
  for (const c of [
    "parley account mfa enable",
    "parley account mfa disable",
    "parley account mfa recovery-codes",
    "parley users reset-mfa",
    "parley org mfa-policy",
  ])
    assert.ok(help.stdout.includes(c), c);
  assert.match(help.stdout, /PARLEY_MFA_CODE/);
  assert.match((await parley(["account", "mfa", "enable", "--help"])).stdout, /--no-qr/);

  // ---- status and enrolment -------------------------------------------------------------
  const before = await bob(["account", "mfa", "--json"]);
  assert.equal(before.code, 0, before.stderr);
  assert.deepEqual(before.json(), { totp: { enabled: false, enabledAt: null }, recoveryCodesLeft: 0, required: false, enrollBy: null });
  assert.match((await bob(["account", "mfa"])).stdout, /^Authenticator app: off\nTurn it on: parley account mfa enable$/m);
  const noMfa = await bob(["account", "mfa", "disable", "--json"], { env: { PARLEY_PASSWORD: BOB_PW } });
  assert.equal(noMfa.code, 1);
  assert.equal(noMfa.json().error.code, "mfa_not_enabled");

  const wrongPw = await bob(["account", "mfa", "enable", "--json"], { env: { PARLEY_PASSWORD: "not-my-password" } });
  assert.equal(wrongPw.code, 1);
  assert.equal(wrongPw.json().error.code, "invalid_credentials");

  /** `account mfa enable`: the code is typed once the secret is on stderr. */
  const enable = (who: As, password: string, code: (secret: string) => Promise<string>, flags = ["--json"]) =>
    who(["account", "mfa", "enable", ...flags], {
      env: { PARLEY_PASSWORD: password },
      input: async (p) => `${await code((await p.stderrMatch(/secret=([A-Z2-7]+)/))[1]!)}\n`,
    });
  const wrongCode = await enable(bob, BOB_PW, async () => "000000");
  assert.equal(wrongCode.code, 1);
  assert.equal(wrongCode.json().error.code, "mfa_invalid");
  assert.match(wrongCode.stderr, /that code is wrong or was already used — codes change every 30 seconds/);
  assert.equal((await bob(["account", "mfa", "--json"])).json().totp.enabled, false, "a wrong code enables nothing");

  const enabled = await enable(bob, BOB_PW, nextCode);
  assert.equal(enabled.code, 0, enabled.stderr);
  const { secret, otpauthUri, recoveryCodes } = enabled.json();
  assert.equal(enabled.json().enabled, true);
  assert.match(otpauthUri, /^otpauth:\/\/totp\/.*secret=[A-Z2-7]+/);
  assert.equal(recoveryCodes.length, 10);
  for (const c of recoveryCodes) assert.match(c, /^[a-z2-9]{5}-[a-z2-9]{5}$/);
  // The secret grouped in fours and the link on stderr; no QR code when stderr is not a terminal.
  assert.ok(enabled.stderr.includes(`  ${secret.match(/.{1,4}/g).join(" ")}\n`), enabled.stderr);
  assert.ok(enabled.stderr.includes(otpauthUri));
  assert.doesNotMatch(enabled.stderr, /[▀▄█]/);
  assert.match(enabled.stderr, /Store these recovery codes now .* shown only this once/);
  const on = (await bob(["account", "mfa", "--json"])).json();
  assert.equal(on.totp.enabled, true);
  assert.equal(on.recoveryCodesLeft, 10);
  assert.match((await bob(["account", "mfa"])).stdout, /^Authenticator app: on \(since .*\)\nRecovery codes left: 10 of 10$/m);
  const twice = await enable(bob, BOB_PW, nextCode);
  assert.equal(twice.code, 1);
  assert.equal(twice.json().error.code, "mfa_already_enabled");

  // ---- sign-in with a code ---------------------------------------------------------------
  const envWrong = await login(bobLogin, "bob", BOB_PW, { env: { PARLEY_MFA_CODE: "000000" } });
  assert.equal(envWrong.code, 1);
  assert.equal(envWrong.json().error.code, "mfa_invalid");
  assert.match(envWrong.stderr, /that code is wrong or was already used — .*or a recovery code/);
  // A wrong code, then the right one on the next line.
  const viaCode = await login(bobLogin, "bob", BOB_PW, { input: `000000\n${await nextCode(secret)}\n` });
  assert.equal(viaCode.code, 0, viaCode.stderr);
  assert.equal(viaCode.json().user.username, "bob");
  assert.match(viaCode.stderr, /That code is wrong or was already used\. Use the next code/);
  assert.equal((await bobLogin(["whoami"])).code, 0);
  const viaEnv = await login(bobLogin, "bob", BOB_PW, { env: { PARLEY_MFA_CODE: await nextCode(secret) } });
  assert.equal(viaEnv.code, 0, viaEnv.stderr);
  const noCode = await login(bobLogin, "bob", BOB_PW);
  assert.equal(noCode.code, 1);
  assert.equal(noCode.json().error.code, "no_mfa_code");

  // ---- sign-in with a recovery code; new codes -----------------------------------------------
  const viaRecovery = await login(bobLogin, "bob", BOB_PW, { input: `${recoveryCodes[0].toUpperCase()}\n` });
  assert.equal(viaRecovery.code, 0, viaRecovery.stderr);
  assert.equal((await bobLogin(["account", "mfa", "--json"])).json().recoveryCodesLeft, 9);
  const used = await login(bobLogin, "bob", BOB_PW, { input: `${recoveryCodes[0]}\n` });
  assert.equal(used.code, 1, "a recovery code works once");
  assert.equal(used.json().error.code, "mfa_invalid");

  const fresh = await bob(["account", "mfa", "recovery-codes"], { env: { PARLEY_MFA_CODE: await nextCode(secret) } });
  assert.equal(fresh.code, 0, fresh.stderr);
  assert.match(fresh.stdout, /^New recovery codes: the old ones no longer work\.\n\nStore these recovery codes now/);
  const newCodes = fresh.stdout.match(RECOVERY_CODE)!;
  assert.equal(newCodes.length, 10);
  assert.ok(!newCodes.includes(recoveryCodes[1]));
  const replayed = await bob(["account", "mfa", "recovery-codes", "--json"], { input: `${await generate({ secret, epoch: lastEpoch })}\n` });
  assert.equal(replayed.code, 1, "the same code twice");
  assert.equal(replayed.json().error.code, "mfa_invalid");
  assert.equal((await login(bobLogin, "bob", BOB_PW, { input: `${recoveryCodes[1]}\n` })).code, 1, "the old codes stopped working");
  assert.equal((await login(bobLogin, "bob", BOB_PW, { input: `${newCodes[1]}\n` })).code, 0, "the new ones work");

  // ---- turning it off -------------------------------------------------------------------------
  const disableWrongPw = await bob(["account", "mfa", "disable", "--json"], {
    env: { PARLEY_PASSWORD: "not-my-password", PARLEY_MFA_CODE: await nextCode(secret) },
  });
  assert.equal(disableWrongPw.code, 1);
  assert.equal(disableWrongPw.json().error.code, "invalid_credentials");
  // Password and code as two lines on stdin.
  const disabled = await bob(["account", "mfa", "disable"], { input: `${BOB_PW}\n${await nextCode(secret)}\n` });
  assert.equal(disabled.code, 0, disabled.stderr);
  assert.match(disabled.stdout, /The authenticator app is off/);
  assert.equal((await login(bobLogin, "bob", BOB_PW)).code, 0, "the password alone signs in again");

  // ---- the org's policy --------------------------------------------------------------------------
  const shown = await owner(["org", "mfa-policy", "--json"]);
  assert.equal(shown.code, 0, shown.stderr);
  assert.deepEqual(shown.json(), { policy: { required: false, roles: ["owner", "admin", "member", "guest"], graceDays: 7 } });
  assert.match((await owner(["org", "mfa-policy"])).stdout, /optional in this organisation/);
  const selfLock = await owner(["org", "mfa-policy", "--required", "on", "--json"]);
  assert.equal(selfLock.code, 1, "a policy covering the owner, who has no authenticator");
  assert.match(selfLock.stderr, /nothing was changed — set up your authenticator app with `parley account mfa enable`/);
  assert.equal((await bob(["org", "mfa-policy", "--required", "on", "--roles", "member", "--json"])).json().error.code, "forbidden");
  for (const bad of [
    ["--required", "yes"],
    ["--roles", "member,boss"],
    ["--grace-days", "91"],
    ["--grace-days", "-1"],
  ])
    assert.equal((await owner(["org", "mfa-policy", ...bad])).code, 2, bad.join(" "));
  const set = await owner(["org", "mfa-policy", "--required", "on", "--roles", "member", "--grace-days", "0"]);
  assert.equal(set.code, 0, set.stderr);
  assert.match(set.stdout, /^Multi-factor authentication is required of: member\.\nThey must set it up at once/);
  assert.deepEqual((await bob(["org", "mfa-policy", "--json"])).json().policy, { required: true, roles: ["member"], graceDays: 0 }, "members read it");

  // ---- a sign-in restricted to enrolling ------------------------------------------------------------
  const restricted = await login(bobLogin, "bob", BOB_PW);
  assert.equal(restricted.code, 1);
  assert.equal(restricted.json().error.code, "mfa_enrollment_required");
  assert.match(
    restricted.stderr,
    /signed in as bob, but your organisation requires multi-factor authentication .* — set up an authenticator app with `parley account mfa enable`/,
  );
  const blocked = await bobLogin(["channel", "list", "--json"]);
  assert.equal(blocked.code, 1);
  assert.equal(blocked.json().error.code, "mfa_enrollment_required");
  assert.match(blocked.stderr, /run `parley account mfa enable`/);
  assert.equal((await bob(["channel", "list"])).code, 0, "a session from before the policy keeps working");
  const required = (await bobLogin(["account", "mfa", "--json"])).json();
  assert.equal(required.required, true);
  assert.match((await bobLogin(["account", "mfa"])).stdout, /^Your organisation requires it \(deadline .*\): parley account mfa enable$/m);
  const enrolled = await enable(bobLogin, BOB_PW, nextCode, []);
  assert.equal(enrolled.code, 0, enrolled.stderr);
  assert.match(enrolled.stdout, /^Multi-factor authentication is on/);
  assert.match(enrolled.stdout, /^Signed in as bob \(member\) in Acme/m);
  assert.equal(enrolled.stdout.match(RECOVERY_CODE)!.length, 10);
  assert.equal((await bobLogin(["channel", "list"])).code, 0, "enrolling lifted the restriction");
  const cannotDisable = await bob(["account", "mfa", "disable", "--json"], { env: { PARLEY_PASSWORD: BOB_PW } });
  assert.equal(cannotDisable.json().error.code, "forbidden");
  assert.match(cannotDisable.stderr, /requires multi-factor authentication of you, so it cannot be turned off/);

  // Signing out of a restricted session.
  const carolLogin = as("carol-login");
  assert.equal((await login(carolLogin, "carol", CAROL_PW)).code, 1);
  const out = await carolLogin(["logout", "--json"]);
  assert.equal(out.code, 0, out.stderr);
  assert.equal((await carolLogin(["whoami", "--json"])).json().error.code, "not_signed_in");

  // ---- an admin's reset ------------------------------------------------------------------------------
  assert.equal((await as("carol")(["users", "reset-mfa", "bob", "--json"])).json().error.code, "forbidden");
  const own = await owner(["users", "reset-mfa", "owner", "--json"]);
  assert.equal(own.code, 1);
  assert.equal(own.json().error.code, "own_account");
  assert.equal((await owner(["users", "reset-mfa", "nobody"])).code, 1);
  const reset = await owner(["users", "reset-mfa", "bob", "--json"]);
  assert.equal(reset.code, 0, reset.stderr);
  assert.equal(reset.json().reset, true);
  assert.equal(reset.json().username, "bob");
  assert.equal((await bobLogin(["whoami"])).code, 1, "bob's sessions ended");
  assert.equal((await as("bob-after")(["account", "mfa", "--json"])).code, 1, "not signed in there");
  const again = await login(as("bob-after"), "bob", BOB_PW);
  assert.equal(again.json().error.code, "mfa_enrollment_required", "the password alone, and the policy asks to enrol again");
});
