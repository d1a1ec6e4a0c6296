/**
 * Multi-factor authentication (issue 10): authenticator enrolment with a QR code, sign-in
 * with a code or a one-time recovery code, replay protection, throttling, the org's
 * "MFA required" policy with its grace period and role scope, and admin resets.
 */
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { generate } from "otplib";
import { DIALECTS, startTestServer, type TestServer } from "../../testing/harness.ts";
import { asTestUser, bootstrapOrg, call, makeOrg, makeUser, TEST_PASSWORD, type TestUser } from "../../testing/factories.ts";
import { openSocket } from "../../gateway/test-client.ts";
import { startTestSmtp, type TestSmtp } from "../../testing/smtp.ts";
import { wrongTotpCodes } from "../../testing/totp.ts";

for (const dialect of DIALECTS) {
  describe(`multi-factor authentication (${dialect})`, () => {
    let s: TestServer;
    let smtp: TestSmtp;
    let owner: TestUser;
    let other: TestUser;
    let offset = 0;
    const realNow = Date.now;
    before(async () => {
      smtp = await startTestSmtp();
      s = await startTestServer({ dialect, config: { smtpUrl: smtp.url, smtpRequireTls: false } });
      // The server's clock, moved on by the tests to reach the next 30-second code.
      s.deps.now = () => realNow() + offset;
      owner = await bootstrapOrg(s, { orgSlug: "acme" });
      other = await makeOrg(s, "other");
    });
    after(async () => {
      await s.stop();
      await smtp.stop();
    });

    /** The code of the app at the server's current time (plus `steps` periods). */
    const codeOf = (secret: string, steps = 0) => generate({ secret, epoch: Math.floor(s.deps.now() / 1000) + steps * 30 });
    /** Move the server's clock to the next time step. */
    const nextStep = () => {
      offset += 30_000;
    };

    async function enrol(u: TestUser): Promise<{ secret: string; recoveryCodes: string[]; confirmedWith: string }> {
      const start = await u.api("POST", "/me/mfa/totp", { currentPassword: u.password });
      assert.equal(start.status, 200, JSON.stringify(start.body));
      const confirmedWith = await codeOf(start.body.secret);
      const confirm = await u.api("POST", "/me/mfa/totp/confirm", { code: confirmedWith });
      assert.equal(confirm.status, 200, JSON.stringify(confirm.body));
      return { secret: start.body.secret, recoveryCodes: confirm.body.recoveryCodes, confirmedWith };
    }

    const login = (u: TestUser, extra: Record<string, unknown> = {}) =>
      call(s, "POST", "/auth/login", { org: u.org.slug, username: u.user.username, password: u.password, deviceName: "second device", ...extra });

    it("enrols an authenticator: password first, a QR code, confirmed by a code; recovery codes shown once", async () => {
      const u = await makeUser(s, owner);
      await owner.api("PUT", `/users/${u.user.id}/email`, { email: "mfa-user@example.org" });
      assert.equal((await u.api("POST", "/me/mfa/totp", { currentPassword: "not it" })).body.code, "invalid_credentials");
      const start = await u.api("POST", "/me/mfa/totp", { currentPassword: TEST_PASSWORD });
      assert.equal(start.headers.get("cache-control"), "no-store");
      assert.match(start.body.otpauthUri, /^otpauth:\/\/totp\/Parley%20\(Test%20Org\):/);
      assert.match(start.body.otpauthUri, new RegExp(`secret=${start.body.secret}`));
      assert.match(start.body.qrSvg, /^<svg/);
      const stored = await s.deps.db.selectFrom("user_mfa").selectAll().where("user_id", "=", u.user.id).executeTakeFirstOrThrow();
      assert.ok(!JSON.stringify(stored).includes(start.body.secret), "the secret is stored sealed");
      assert.equal((await u.api("GET", "/me/mfa")).body.totp.enabled, false, "not before it is confirmed");

      const [wrong] = await wrongTotpCodes(start.body.secret, 1, s.deps.now());
      assert.equal((await u.api("POST", "/me/mfa/totp/confirm", { code: wrong })).body.code, "mfa_invalid");
      assert.equal((await u.api("POST", "/me/mfa/totp/confirm", { code: "12345" })).body.code, "validation_failed");
      const confirm = await u.api("POST", "/me/mfa/totp/confirm", { code: await codeOf(start.body.secret) });
      assert.equal(confirm.status, 200);
      assert.equal(confirm.body.recoveryCodes.length, 10);
      assert.equal(new Set(confirm.body.recoveryCodes).size, 10);
      const status = (await u.api("GET", "/me/mfa")).body;
      assert.equal(status.totp.enabled, true);
      assert.equal(status.recoveryCodesLeft, 10);
      assert.equal((await u.api("POST", "/me/mfa/totp", { currentPassword: TEST_PASSWORD })).status, 400, "already set up");
      await smtp.waitFor((m) => m.to.includes("mfa-user@example.org") && /sign-in security changed/.test(m.subject));
    });

    it("signs in with the password and then a code; a code and a challenge work once", async () => {
      const u = await makeUser(s, owner);
      const { secret, confirmedWith } = await enrol(u);
      const first = await login(u);
      assert.equal(first.status, 401);
      assert.equal(first.body.code, "mfa_required");
      assert.deepEqual(first.body.details.methods, ["totp", "recovery_code"]);
      assert.equal(first.body.accessToken, undefined);
      const mfaToken = first.body.details.mfaToken;
      // The code that confirmed enrolment was used: it is refused (that very code — a fresh one could be of the next
      // 30-second step if the real clock just crossed a step boundary).
      assert.equal((await call(s, "POST", "/auth/mfa", { mfaToken, code: confirmedWith })).body.code, "mfa_invalid");
      nextStep();
      const code = await codeOf(secret);
      const ok = await call(s, "POST", "/auth/mfa", { mfaToken, code });
      assert.equal(ok.status, 200, JSON.stringify(ok.body));
      assert.ok(ok.body.accessToken);
      const signedIn = asTestUser(s, ok.body, TEST_PASSWORD);
      assert.equal((await signedIn.api("GET", "/me")).status, 200);
      assert.equal((await call(s, "POST", "/auth/mfa", { mfaToken, code })).body.code, "mfa_challenge_invalid", "a challenge works once");
      // The same code again, on a fresh challenge: replayed.
      const again = await login(u);
      assert.equal((await call(s, "POST", "/auth/mfa", { mfaToken: again.body.details.mfaToken, code })).body.code, "mfa_invalid");
      // A wrong password never reaches the second step.
      assert.equal((await login(u, { password: "wrong password!" })).body.code, "invalid_credentials");
      const audit = await s.deps.db.selectFrom("audit_log").select(["action", "details"]).where("target_id", "=", u.user.id).execute();
      assert.ok(audit.some((a) => a.action === "auth.mfa.failed"));
    });

    it("signs in with a recovery code once; five wrong codes end the challenge", async () => {
      const u = await makeUser(s, owner);
      const { recoveryCodes, secret } = await enrol(u);
      const ch = (await login(u)).body.details.mfaToken;
      const ok = await call(s, "POST", "/auth/mfa", { mfaToken: ch, recoveryCode: recoveryCodes[0]!.toUpperCase() });
      assert.equal(ok.status, 200, JSON.stringify(ok.body));
      assert.equal((await asTestUser(s, ok.body, TEST_PASSWORD).api("GET", "/me/mfa")).body.recoveryCodesLeft, 9);
      const ch2 = (await login(u)).body.details.mfaToken;
      assert.equal((await call(s, "POST", "/auth/mfa", { mfaToken: ch2, recoveryCode: recoveryCodes[0] })).body.code, "mfa_invalid", "used up");
      for (const code of await wrongTotpCodes(secret, 4, s.deps.now())) await call(s, "POST", "/auth/mfa", { mfaToken: ch2, code });
      nextStep();
      assert.equal((await call(s, "POST", "/auth/mfa", { mfaToken: ch2, code: await codeOf(secret) })).body.code, "mfa_challenge_invalid");
    });

    it("throttles wrong codes per account", async () => {
      const u = await makeUser(s, owner);
      const { secret } = await enrol(u);
      const wrong = await wrongTotpCodes(secret, 12, s.deps.now());
      const codes: number[] = [];
      for (let i = 0; i < 3; i++) {
        const ch = (await login(u)).body.details.mfaToken;
        for (let j = 0; j < 4; j++) codes.push((await call(s, "POST", "/auth/mfa", { mfaToken: ch, code: wrong[i * 4 + j] })).status);
      }
      assert.deepEqual(codes.slice(0, 10), Array(10).fill(401));
      assert.ok(codes.slice(10).every((c) => c === 429));
    });

    it("replaces recovery codes and turns the authenticator off with a code and the password", async () => {
      const u = await makeUser(s, owner);
      const { secret, recoveryCodes } = await enrol(u);
      nextStep();
      const fresh = await u.api("POST", "/me/mfa/recovery-codes", { code: await codeOf(secret) });
      assert.equal(fresh.status, 200);
      assert.notDeepEqual(fresh.body.recoveryCodes, recoveryCodes);
      const ch = (await login(u)).body.details.mfaToken;
      assert.equal((await call(s, "POST", "/auth/mfa", { mfaToken: ch, recoveryCode: recoveryCodes[1] })).body.code, "mfa_invalid", "old codes died");
      nextStep();
      assert.equal((await u.api("DELETE", "/me/mfa/totp", { currentPassword: "wrong one", code: await codeOf(secret) })).body.code, "invalid_credentials");
      assert.equal((await u.api("DELETE", "/me/mfa/totp", { currentPassword: TEST_PASSWORD, code: await codeOf(secret) })).status, 204);
      assert.equal((await login(u)).status, 200, "the password alone signs in again");
    });

    it("requires MFA by policy: refused to admins who lack it, restricts members past the grace period to enrolling", async () => {
      // The owner has no authenticator: turning on a policy that covers owners is refused.
      const r = await owner.api("PUT", "/org/mfa-policy", { required: true, roles: ["owner", "member"], graceDays: 0 });
      assert.equal(r.status, 400);
      const member = await makeUser(s, owner);
      assert.equal((await member.api("PUT", "/org/mfa-policy", { required: true, roles: ["member"], graceDays: 0 })).status, 403);
      assert.deepEqual((await owner.api("PUT", "/org/mfa-policy", { required: true, roles: ["member"], graceDays: 0 })).body, {
        required: true,
        roles: ["member"],
        graceDays: 0,
      });
      assert.equal((await other.api("GET", "/org/mfa-policy")).body.required, false, "per org");

      // The member's next sign-in is restricted to enrolling.
      const restricted = asTestUser(s, (await login(member)).body, TEST_PASSWORD);
      const denied = await restricted.api("GET", "/channels");
      assert.equal(denied.status, 403);
      assert.equal(denied.body.code, "mfa_enrollment_required");
      assert.equal((await restricted.api("GET", "/me")).status, 200);
      const status = (await restricted.api("GET", "/me/mfa")).body;
      assert.equal(status.required, true);
      assert.ok(status.enrollBy <= s.deps.now());
      const ws = await openSocket(s.url);
      ws.send({ t: "hello", token: restricted.accessToken });
      assert.equal((await ws.closed).code, 4401);
      assert.ok(ws.frames.some((f) => f.t === "error" && f.code === "mfa_enrollment_required"));
      // The session they already had keeps working until it ends (the policy applies at sign-in).
      assert.equal((await member.api("GET", "/channels")).status, 200);

      await enrol(restricted);
      assert.equal((await restricted.api("GET", "/channels")).status, 200, "enrolling lifts the restriction on the same session");
      nextStep();
      assert.equal((await restricted.api("DELETE", "/me/mfa/totp", { currentPassword: TEST_PASSWORD, code: "123456" })).status, 403, "cannot turn it off");

      // With a grace period, a new member signs in fully and is told the deadline.
      await owner.api("PUT", "/org/mfa-policy", { required: true, roles: ["member"], graceDays: 7 });
      const late = await makeUser(s, owner);
      const st = (await late.api("GET", "/me/mfa")).body;
      assert.equal(st.required, true);
      assert.ok(st.enrollBy > s.deps.now() + 6 * 86_400_000);
      assert.equal((await asTestUser(s, (await login(late)).body, TEST_PASSWORD).api("GET", "/channels")).status, 200);
      const guest = await makeUser(s, owner, { role: "guest" });
      assert.equal((await guest.api("GET", "/me/mfa")).body.required, false, "other roles are not covered");
      await owner.api("PUT", "/org/mfa-policy", { required: false, roles: ["member"], graceDays: 7 });
      assert.ok((await s.deps.db.selectFrom("audit_log").select("action").where("action", "=", "org.mfa_policy.changed").execute()).length >= 3);
    });

    it("lets admins remove a member's factors (never an owner's), which ends their sessions", async () => {
      const u = await makeUser(s, owner);
      await enrol(u);
      const admin = await makeUser(s, owner, { role: "admin" });
      assert.equal((await u.api("DELETE", `/users/${admin.user.id}/mfa`)).status, 403);
      assert.equal((await admin.api("DELETE", `/users/${owner.user.id}/mfa`)).status, 403);
      assert.equal((await other.api("DELETE", `/users/${u.user.id}/mfa`)).status, 404);
      assert.equal((await admin.api("DELETE", `/users/${u.user.id}/mfa`)).status, 204);
      assert.equal((await u.api("GET", "/me")).status, 401, "sessions ended");
      assert.equal((await login(u)).status, 200, "the password alone signs in");
    });
  });
}
