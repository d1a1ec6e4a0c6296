/**
 * Passwords and account recovery from the real binary against a real server with a real
 * SMTP server (issue 10): changing one's password (wrong current password, the org's
 * policy), a forgotten password reset through the emailed link, an admin's reset of a user
 * without an address (the printed link works), the org's password policy; then the
 * profile (status line, picture), email addresses (invite by email, change and verify,
 * admins setting them) and a server that sends no email.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { startTestServer, TEST_SETUP_TOKEN, type TestDialect, type TestServer } from "@parley/server/testing/harness";
import { linkIn, startTestSmtp, type TestSmtp } from "@parley/server/testing/smtp";
import { parley, tempDir, type Run } from "./testing/spawn-cli.ts";

const OWNER_PW = "olga-secret-pw-123";
const BOB_PW = "bob-password-4567";
const CAROL_PW = "c-secret-pw-89";
/** Emails are sent by the server's job runner after the command commits. */
const MAIL_WAIT_MS = 30_000;

type As = (args: string[], opts?: { env?: Record<string, string>; input?: string }) => Promise<Run>;
/** The CLI as the user with this profile. */
type Who = (who: string) => As;

/** A server with outgoing email, an org (owner with --email) and profile helpers. */
async function world(t: { after(fn: () => Promise<void> | void): void }, dialect: TestDialect, withSmtp = true) {
  const smtp: TestSmtp | undefined = withSmtp ? await startTestSmtp() : undefined;
  const server: TestServer = await startTestServer({ dialect, config: smtp ? { smtpUrl: smtp.url, smtpRequireTls: false } : {} });
  const dir = tempDir("account");
  t.after(async () => {
    await server.stop();
    await smtp?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  const as: Who =
    (who) =>
    (args, opts = {}) =>
      parley(["--profile-dir", path.join(dir, who), ...args], opts);
  return { smtp, server, dir, as };
}

async function setupOwner(as: Who, url: string, extra: string[] = []): Promise<Run> {
  const setup = await as("owner")(
    [
      "setup",
      "--server",
      url,
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
      ...extra,
      "--json",
    ],
    { env: { PARLEY_PASSWORD: OWNER_PW } },
  );
  assert.equal(setup.code, 0, setup.stderr);
  return setup;
}

/** An invite from the owner, accepted by `who`. */
async function join(as: Who, url: string, who: string, password: string, email?: string): Promise<void> {
  const invite = await as("owner")(["invite", "create", ...(email ? ["--email", email] : []), "--json"]);
  assert.equal(invite.code, 0, invite.stderr);
  assert.equal(invite.json().emailed, email !== undefined);
  assert.equal(invite.json().link, `${url}/invite/${invite.json().token}`);
  const accept = await as(who)(["invite", "accept", invite.json().token, "--server", url, "--username", who, "--display-name", who], {
    env: { PARLEY_PASSWORD: password },
  });
  assert.equal(accept.code, 0, accept.stderr);
}

const login = (as: Who, url: string, who: string, password: string) =>
  as(`${who}-login`)(["login", "--server", url, "--org", "acme", "--username", who, "--json"], { env: { PARLEY_PASSWORD: password } });

// The CLI layer, on SQLite: the server's side of every command runs on SQLite and PostgreSQL in
// its own tests (packages/server), and these dozens of CLI processes cost minutes per dialect.
for (const dialect of ["sqlite"] as const) {
  // Dozens of CLI processes: minutes on a loaded 2-core box.
  test(`passwords: change, forgotten-password reset by email, admin reset, policy (${dialect})`, { timeout: 400_000 }, async (t) => {
    const { smtp, server, as } = await world(t, dialect);
    const url = server.url;
    const owner = as("owner");
    const bob = as("bob");
    await setupOwner(as, url, ["--email", "owner@example.org"]);
    assert.equal((await owner(["whoami", "--json"])).json().user.email, "owner@example.org", "setup --email");
    await join(as, url, "bob", BOB_PW, "bob@example.org");
    const inviteMail = await smtp!.waitFor((m) => m.to.includes("bob@example.org"), MAIL_WAIT_MS);
    assert.match(linkIn(inviteMail, `${url}/invite/`), /\/invite\/\S+$/);
    await join(as, url, "carol", CAROL_PW);

    // ---- own password ------------------------------------------------------------
    const change = (current: string, next: string, flags: string[] = []) =>
      bob(["account", "password", ...flags, "--json"], { env: { PARLEY_PASSWORD: current, PARLEY_NEW_PASSWORD: next } });
    const wrong = await change("not-my-password", "a-new-password-1");
    assert.equal(wrong.code, 1);
    assert.equal(wrong.json().error.code, "invalid_credentials");
    assert.match(wrong.stderr, /the current password is wrong; nothing was changed — type your current password first/);
    const short = await change(BOB_PW, "nine-char");
    assert.equal(short.code, 1);
    assert.equal(short.json().error.code, "password_rejected");
    assert.match(short.stderr, /too short: this organisation requires at least 10 characters; nothing was changed — choose a longer one/);
    // Below the wire's minimum the CLI asks the policy itself, and says the same.
    assert.match((await change(BOB_PW, "tiny")).stderr, /at least 10 characters/);
    assert.match((await change(BOB_PW, "password123")).stderr, /one of the most commonly used/);
    assert.match((await change(BOB_PW, "acme-rules-forever")).stderr, /contains your username or the organisation's name/);
    assert.equal((await login(as, url, "bob", BOB_PW)).code, 0, "nothing was changed");

    // From a script: current and new password as two lines on stdin.
    const BOB_PW2 = "correct horse battery";
    const changed = await bob(["account", "password", "--sign-out-others"], { input: `${BOB_PW}\n${BOB_PW2}\n` });
    assert.equal(changed.code, 0, changed.stderr);
    assert.match(changed.stdout, /Your password was changed\.\nEvery other session of yours was ended; this profile stays signed in\./);
    assert.equal((await bob(["whoami"])).code, 0, "this profile stays signed in");
    assert.equal((await login(as, url, "bob", BOB_PW)).code, 1, "the old password no longer works");
    assert.equal((await login(as, url, "bob", BOB_PW2)).code, 0);
    await smtp!.waitFor((m) => m.to.includes("bob@example.org") && /password was changed/.test(m.subject), MAIL_WAIT_MS);

    // ---- forgotten password: request, email, complete with the link ---------------
    const request = await parley(["password-reset", "request", "--server", url, "--org", "acme", "--login", "BOB@example.org", "--json"]);
    assert.equal(request.code, 0, request.stderr);
    assert.equal(request.json().accepted, true);
    const resetMail = await smtp!.waitFor((m) => m.to.includes("bob@example.org") && m.text.includes("/reset-password#token="), MAIL_WAIT_MS);
    const link = linkIn(resetMail, `${url}/reset-password#token=`);
    const BOB_PW3 = "a-third-bob-password";
    const complete = await parley(["password-reset", "complete", "--json"], { input: `${link}\n`, env: { PARLEY_NEW_PASSWORD: BOB_PW3 } });
    assert.equal(complete.code, 0, complete.stderr);
    assert.deepEqual(complete.json(), { changed: true, server: url, org: "acme", username: "bob" });
    assert.match(complete.stderr, /Resetting the password of bob in Acme \(acme\); the link works until .*\nThe new password needs at least 10 characters/);
    assert.equal((await login(as, url, "bob", BOB_PW3)).code, 0, "the new password works");
    assert.equal((await login(as, url, "bob", BOB_PW2)).code, 1);
    const ended = await bob(["whoami", "--json"]);
    assert.equal(ended.code, 1, "a reset ends every session of the account");
    const reused = await parley(["password-reset", "complete", "--json"], { input: `${link}\n`, env: { PARLEY_NEW_PASSWORD: "yet-another-password" } });
    assert.equal(reused.code, 1);
    assert.equal(reused.json().error.code, "token_invalid");
    assert.match(reused.stderr, /ask for a new one \(`parley password-reset request`/);
    // Human output, with the bare token and --server; the new password typed on the second line.
    const request2 = await parley(["password-reset", "request", "--server", url, "--org", "acme", "--login", "bob"]);
    assert.match(request2.stdout, /a reset link is on its way/);
    const second = await smtp!.waitFor((m) => m.to.includes("bob@example.org") && m.text.includes("/reset-password#token=") && m !== resetMail, MAIL_WAIT_MS);
    const bare = linkIn(second, `${url}/reset-password#token=`).split("#token=")[1]!;
    const tooShort = await parley(["password-reset", "complete", "--server", url], { input: `${bare}\nshort-pw\n` });
    assert.equal(tooShort.code, 1);
    assert.match(tooShort.stderr, /at least 10 characters/);
    const human = await parley(["password-reset", "complete", "--server", url], { input: `${bare}\n${BOB_PW}\n` });
    assert.equal(human.code, 0, human.stderr);
    assert.match(human.stdout, new RegExp(`Sign in: parley login --server ${url} --org acme --username bob`));

    assert.equal((await login(as, url, "bob", BOB_PW)).code, 0);

    // ---- admins reset passwords -----------------------------------------------------
    const notAdmin = await as("bob-login")(["users", "reset-password", "carol", "--json"]);
    assert.equal(notAdmin.code, 1);
    assert.equal(notAdmin.json().error.code, "forbidden");
    const carolReset = await owner(["users", "reset-password", "carol"]);
    assert.equal(carolReset.code, 0, carolReset.stderr);
    assert.match(carolReset.stdout, /They have no email address: give them this one-time link/);
    const printed = /^ {2}(\S+\/reset-password#token=\S+)$/m.exec(carolReset.stdout)?.[1];
    assert.ok(printed, carolReset.stdout);
    assert.equal((await login(as, url, "carol", CAROL_PW)).code, 1, "the old password stopped working");
    const CAROL_PW2 = "c-second-secret-pw";
    const carolDone = await parley(["password-reset", "complete"], { input: `${printed}\n${CAROL_PW2}\n` });
    assert.equal(carolDone.code, 0, carolDone.stderr);
    assert.equal((await login(as, url, "carol", CAROL_PW2)).code, 0);
    const bobReset = await owner(["users", "reset-password", "bob", "--json"]);
    assert.equal(bobReset.code, 0, bobReset.stderr);
    assert.equal(bobReset.json().emailed, true);
    assert.equal(bobReset.json().resetUrl, undefined, "an emailed link is not shown to the admin");
    assert.equal((await owner(["users", "reset-password", "nobody"])).code, 1);

    // ---- the org's password policy --------------------------------------------------
    const shown = await owner(["org", "password-policy", "--json"]);
    assert.deepEqual(shown.json(), { policy: { minLength: 10, blockCommon: true } });
    const set = await owner(["org", "password-policy", "--min-length", "12", "--block-common", "off"]);
    assert.equal(set.code, 0, set.stderr);
    assert.match(set.stdout, /at least 12 characters\.\nCommon passwords are allowed/);
    assert.deepEqual((await owner(["org", "password-policy", "--block-common", "on", "--json"])).json(), { policy: { minLength: 12, blockCommon: true } });
    assert.deepEqual(
      (await as("carol-login")(["org", "password-policy", "--json"])).json(),
      { policy: { minLength: 12, blockCommon: true } },
      "members read it",
    );
    const memberSets = await as("carol-login")(["org", "password-policy", "--min-length", "8", "--json"]);
    assert.equal(memberSets.code, 1);
    assert.equal(memberSets.json().error.code, "forbidden");
    const policyShort = await as("carol-login")(["account", "password"], { env: { PARLEY_PASSWORD: CAROL_PW2, PARLEY_NEW_PASSWORD: "eleven-char" } });
    assert.equal(policyShort.code, 1);
    assert.match(policyShort.stderr, /at least 12 characters/);
    assert.equal((await owner(["org", "password-policy", "--min-length", "65"])).code, 2);
  });
}

test("profile, status line, picture, email addresses (sqlite)", { timeout: 400_000 }, async (t) => {
  const { smtp, server, dir, as } = await world(t, "sqlite");
  const url = server.url;
  const owner = as("owner");
  await setupOwner(as, url);
  assert.equal((await owner(["whoami", "--json"])).json().user.email ?? null, null);

  // ---- display name and status line -----------------------------------------------
  const set = await owner(["account", "profile", "--display-name", "Olga Owner", "--status", "In a meeting until 3", "--json"]);
  assert.equal(set.code, 0, set.stderr);
  assert.equal(set.json().user.displayName, "Olga Owner");
  assert.equal(set.json().user.statusText, "In a meeting until 3");
  const whoami = await owner(["whoami"]);
  assert.match(whoami.stdout, /^owner \(Olga Owner, owner\) in Acme/);
  assert.match(whoami.stdout, /^ {2}status: {2}In a meeting until 3$/m);
  const cleared = await owner(["account", "profile", "--clear-status", "--json"]);
  assert.equal(cleared.json().user.statusText ?? null, null);
  assert.doesNotMatch((await owner(["whoami"])).stdout, /status:/);
  assert.equal((await owner(["account", "profile", "--status", "x", "--clear-status"])).code, 2);

  // ---- picture ------------------------------------------------------------------------
  const png = path.join(dir, "me.png");
  fs.writeFileSync(png, Buffer.from("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=", "base64"));
  const avatar = await owner(["account", "profile", "--avatar", png, "--json"]);
  assert.equal(avatar.code, 0, avatar.stderr);
  assert.ok(avatar.json().user.avatar, "the user has a picture");
  assert.match((await owner(["account", "profile"])).stdout, /picture: set/);
  const text = path.join(dir, "notes.png");
  fs.writeFileSync(text, "not an image at all, whatever the name says");
  const refused = await owner(["account", "profile", "--avatar", text, "--json"]);
  assert.equal(refused.code, 1);
  assert.equal(refused.json().error.code, "invalid_avatar");
  assert.match(refused.stderr, /notes\.png is not a PNG, JPEG or WebP image/);
  const big = path.join(dir, "big.png");
  fs.writeFileSync(big, Buffer.concat([fs.readFileSync(png), Buffer.alloc(300_000)]));
  const tooBig = await owner(["account", "profile", "--avatar", big]);
  assert.equal(tooBig.code, 1);
  assert.match(tooBig.stderr, /a profile picture may be at most 256\.0 KiB — resize it first/);
  assert.equal((await owner(["account", "profile", "--avatar", path.join(dir, "missing.png")])).code, 1);
  assert.ok((await owner(["whoami", "--json"])).json().user.avatar, "refused pictures changed nothing");
  const removed = await owner(["account", "profile", "--remove-avatar", "--json"]);
  assert.equal(removed.json().user.avatar ?? null, null);

  // ---- own email address: a link to the new address, then verify-email ----------------
  const wrongPw = await owner(["account", "email", "olga@example.org", "--json"], { env: { PARLEY_PASSWORD: "not-my-password" } });
  assert.equal(wrongPw.code, 1);
  assert.equal(wrongPw.json().error.code, "invalid_credentials");
  const asked = await owner(["account", "email", "Olga@Example.org"], { input: `${OWNER_PW}\n` });
  assert.equal(asked.code, 0, asked.stderr);
  assert.match(asked.stdout, /^A link was sent to olga@example\.org: follow it by /);
  const verifyMail = await smtp!.waitFor((m) => m.to.includes("olga@example.org"), MAIL_WAIT_MS);
  const verifyLink = linkIn(verifyMail, `${url}/verify-email#token=`);
  assert.equal((await owner(["whoami", "--json"])).json().user.email ?? null, null, "not before the link is followed");
  const verified = await owner(["account", "verify-email", "--json"], { input: `${verifyLink}\n` });
  assert.equal(verified.code, 0, verified.stderr);
  assert.deepEqual(verified.json(), { email: "olga@example.org" });
  assert.match((await owner(["whoami"])).stdout, /^ {2}email: {3}olga@example\.org$/m);
  const again = await owner(["account", "verify-email", verifyLink, "--json"]);
  assert.equal(again.json().error.code, "token_invalid");

  // ---- admins set addresses; invites by email ---------------------------------------------
  await join(as, url, "dave", "d-secret-pw-123");
  const daveSet = await owner(["users", "set-email", "dave", "dave@example.org", "--json"]);
  assert.equal(daveSet.code, 0, daveSet.stderr);
  assert.equal(daveSet.json().user.email, "dave@example.org");
  const taken = await owner(["users", "set-email", "dave", "olga@example.org", "--json"]);
  assert.equal(taken.code, 1);
  assert.equal(taken.json().error.code, "email_taken");
  assert.match(taken.stderr, /another account of this organisation uses that address/);
  assert.match((await owner(["users", "set-email", "dave", "--clear"])).stdout, /dave has no email address now/);
  assert.equal((await owner(["users", "set-email", "dave"])).code, 2);
  const emailed = await owner(["invite", "create", "--email", "erin@example.org", "--role", "guest"]);
  assert.equal(emailed.code, 0, emailed.stderr);
  assert.match(emailed.stdout, /Invite as guest, 1 use\(s\).*\n {2}emailed to: erin@example\.org/);
  await smtp!.waitFor((m) => m.to.includes("erin@example.org"), MAIL_WAIT_MS);

  // ---- a server that sends no email -----------------------------------------------------------
  const quiet = await world(t, "sqlite", false);
  await setupOwner(quiet.as, quiet.server.url);
  const noMail = await parley(["password-reset", "request", "--server", quiet.server.url, "--org", "acme", "--login", "owner", "--json"]);
  assert.equal(noMail.code, 1);
  assert.equal(noMail.json().error.code, "email_unavailable");
  assert.match(noMail.stderr, /this server sends no email .* an org admin can reset a password with `parley users reset-password USER`/);
  const noInviteMail = await quiet.as("owner")(["invite", "create", "--email", "x@example.org", "--json"]);
  assert.equal(noInviteMail.code, 1);
  assert.equal(noInviteMail.json().error.code, "email_unavailable");
});
