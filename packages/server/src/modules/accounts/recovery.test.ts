/**
 * Passwords and account recovery (issue 10): change, self-service reset by email, admin
 * reset, the org's password policy, email addresses and their verification, profile
 * pictures, invites by email and new-device notices — against a real SMTP server.
 */
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { DIALECTS, startTestServer, type TestServer } from "../../testing/harness.ts";
import { asTestUser, bootstrapOrg, call, identityCounts, loginUser, makeOrg, makeUser, TEST_PASSWORD, type TestUser } from "../../testing/factories.ts";
import { linkIn, startTestSmtp, type TestSmtp } from "../../testing/smtp.ts";
import { waitForJobsIdle } from "../../testing/jobs.ts";

const NEW_PASSWORD = "violet anchor mountain tea";
const PNG = Buffer.from("89504e470d0a1a0a0000000d4948445200000001000000010806000000", "hex");

async function auditActions(s: TestServer, prefix: string): Promise<Array<{ action: string; result: string; target_id: string | null }>> {
  return s.deps.db.selectFrom("audit_log").select(["action", "result", "target_id"]).where("action", "like", `${prefix}%`).orderBy("seq").execute();
}

const tokenOf = (link: string) => new URL(link).hash.replace(/^#token=/, "");

for (const dialect of DIALECTS) {
  describe(`passwords and account recovery (${dialect})`, () => {
    let s: TestServer;
    let smtp: TestSmtp;
    let owner: TestUser;
    let other: TestUser;
    before(async () => {
      smtp = await startTestSmtp();
      s = await startTestServer({ dialect, config: { smtpUrl: smtp.url, smtpRequireTls: false } });
      owner = await bootstrapOrg(s, { orgSlug: "acme", orgName: "Acme Corp" });
      other = await makeOrg(s, "other");
    });
    after(async () => {
      await s.stop();
      await smtp.stop();
    });

    async function userWithEmail(email: string, role: "member" | "admin" = "member"): Promise<TestUser> {
      const u = await makeUser(s, owner, { role });
      assert.equal((await owner.api("PUT", `/users/${u.user.id}/email`, { email })).status, 200);
      return u;
    }

    it("changes the own password: the current one is required, the policy applies, other sessions end on request", async () => {
      const u = await userWithEmail("pat@example.org");
      const phone = asTestUser(s, await loginUser(s, "acme", u.user.username, TEST_PASSWORD, { deviceName: "phone" }), TEST_PASSWORD);
      const before = await identityCounts(s);
      const wrong = await u.api("POST", "/me/password", { currentPassword: "not my password", newPassword: NEW_PASSWORD });
      assert.equal(wrong.status, 401);
      assert.equal(wrong.body.code, "invalid_credentials");
      for (const [pw, reason] of [
        ["short pw!", "too_short"],
        ["password1234", "common"],
        ["Qwertyuiop", "common"],
        [`my ${u.user.username} pw`, "contains_name"],
        ["acme corp rocks", "contains_name"],
      ] as const) {
        const r = await u.api("POST", "/me/password", { currentPassword: TEST_PASSWORD, newPassword: pw });
        assert.equal(r.body.code, "password_rejected", pw);
        assert.equal(r.body.details.reason, reason, pw);
      }
      assert.equal((await u.api("POST", "/me/password", { currentPassword: TEST_PASSWORD, newPassword: "x".repeat(257) })).body.code, "validation_failed");
      assert.deepEqual(await identityCounts(s), before, "nothing written on rejection");

      const ok = await u.api("POST", "/me/password", { currentPassword: TEST_PASSWORD, newPassword: NEW_PASSWORD, signOutOtherSessions: true });
      assert.equal(ok.status, 204);
      assert.equal((await u.api("GET", "/me")).status, 200, "this session lives on");
      assert.equal((await phone.api("GET", "/me")).status, 401, "the other session ended");
      assert.equal((await call(s, "POST", "/auth/login", { org: "acme", username: u.user.username, password: TEST_PASSWORD })).status, 401);
      await loginUser(s, "acme", u.user.username, NEW_PASSWORD);
      const notice = await smtp.waitFor((m) => m.to.includes("pat@example.org") && /password was changed/.test(m.subject));
      assert.match(notice.text, /Every other session was signed out/);
      const audit = await auditActions(s, "auth.");
      assert.ok(audit.some((a) => a.action === "auth.reauth.failed" && a.target_id === u.user.id));
      assert.ok(audit.some((a) => a.action === "auth.password.changed" && a.target_id === u.user.id));
    });

    it("throttles guessing the current password like sign-in", async () => {
      const u = await makeUser(s, owner);
      let last;
      for (let i = 0; i < 11; i++) last = await u.api("POST", "/me/password", { currentPassword: `guess number ${i}`, newPassword: NEW_PASSWORD });
      assert.equal(last?.status, 429);
      assert.equal(last?.body.code, "login_throttled");
      // The throttle is the account's: signing in is throttled too.
      assert.equal((await call(s, "POST", "/auth/login", { org: "acme", username: u.user.username, password: TEST_PASSWORD })).status, 429);
    });

    it("resets a forgotten password by email, end to end; links work once and die when superseded", async () => {
      const u = await userWithEmail("robin@example.org");
      const r = await call(s, "POST", "/auth/password-reset", { org: "acme", login: u.user.username });
      assert.equal(r.status, 202);
      assert.deepEqual(r.body, { accepted: true });
      const first = await smtp.waitFor((m) => m.to.includes("robin@example.org") && /Reset your Parley password/.test(m.subject));
      const firstLink = linkIn(first, `${s.url}/reset-password#token=`);
      assert.doesNotMatch(first.text, new RegExp(TEST_PASSWORD), "no secret but the link");
      // A second request (by email address this time) supersedes the first link.
      assert.equal((await call(s, "POST", "/auth/password-reset", { org: "acme", login: "ROBIN@example.org" })).status, 202);
      await waitForJobsIdle(s.deps.db);
      const second = (await smtp.waitFor((m) => m.to.includes("robin@example.org") && linkIn(m, `${s.url}/reset-password#`) !== firstLink)) ?? assert.fail();
      const token = tokenOf(linkIn(second, `${s.url}/reset-password#token=`));
      assert.equal((await call(s, "POST", "/auth/password-reset/check", { token: tokenOf(firstLink) })).body.code, "token_invalid");

      const check = await call(s, "POST", "/auth/password-reset/check", { token });
      assert.equal(check.status, 200);
      assert.equal(check.body.username, u.user.username);
      assert.equal(check.body.org.slug, "acme");
      assert.deepEqual(check.body.policy, { minLength: 10, blockCommon: true });

      const weak = await call(s, "POST", "/auth/password-reset/complete", { token, newPassword: "password123" });
      assert.equal(weak.body.code, "password_rejected");
      assert.equal((await call(s, "POST", "/auth/password-reset/check", { token })).status, 200, "a rejected password leaves the link usable");

      const done = await call(s, "POST", "/auth/password-reset/complete", { token, newPassword: NEW_PASSWORD });
      assert.equal(done.status, 204);
      assert.equal((await u.api("GET", "/me")).status, 401, "every session ended");
      assert.equal((await call(s, "POST", "/auth/login", { org: "acme", username: u.user.username, password: TEST_PASSWORD })).status, 401);
      await loginUser(s, "acme", u.user.username, NEW_PASSWORD);
      const again = await call(s, "POST", "/auth/password-reset/complete", { token, newPassword: "another fine password" });
      assert.equal(again.body.code, "token_invalid", "a link works once");
      assert.ok((await auditActions(s, "auth.password.reset_")).some((a) => a.action === "auth.password.reset_completed" && a.target_id === u.user.id));
    });

    it("answers a reset request the same for unknown accounts, accounts without email, and other orgs' users; nothing is sent", async () => {
      const noEmail = await makeUser(s, owner);
      await waitForJobsIdle(s.deps.db);
      const sent = smtp.messages.length;
      for (const body of [
        { org: "acme", login: "nobody-here" },
        { org: "acme", login: noEmail.user.username },
        { org: "no-such-org", login: "owner" },
        { org: "acme", login: "someone@example.org" },
      ]) {
        const r = await call(s, "POST", "/auth/password-reset", body);
        assert.equal(r.status, 202, JSON.stringify(body));
        assert.deepEqual(r.body, { accepted: true });
      }
      await waitForJobsIdle(s.deps.db);
      assert.equal(smtp.messages.length, sent);
      assert.equal((await call(s, "POST", "/auth/password-reset", { org: "acme", login: "a b" })).body.code, "validation_failed");
      assert.equal((await call(s, "POST", "/auth/password-reset/check", { token: "x".repeat(43) })).body.code, "token_invalid");
      const failures = await s.deps.db
        .selectFrom("audit_log")
        .select("details")
        .where("action", "=", "auth.password.reset_requested")
        .where("result", "=", "failure")
        .execute();
      assert.ok(failures.length >= 3);
    });

    it("throttles reset emails per account", async () => {
      const u = await userWithEmail("sam@example.org");
      const codes = [];
      for (let i = 0; i < 6; i++) codes.push((await call(s, "POST", "/auth/password-reset", { org: "acme", login: u.user.username })).status);
      assert.deepEqual(codes, [202, 202, 202, 202, 202, 429]);
    });

    it("expires reset links after an hour", async () => {
      const u = await userWithEmail("kim@example.org");
      await call(s, "POST", "/auth/password-reset", { org: "acme", login: u.user.username });
      const token = tokenOf(linkIn(await smtp.waitFor((m) => m.to.includes("kim@example.org")), `${s.url}/reset-password#token=`));
      const realNow = s.deps.now;
      s.deps.now = () => realNow() + 61 * 60_000;
      try {
        assert.equal((await call(s, "POST", "/auth/password-reset/complete", { token, newPassword: NEW_PASSWORD })).body.code, "token_invalid");
      } finally {
        s.deps.now = realNow;
      }
    });

    it("lets admins reset a member's password: the old one dies at once, the link is handed over or emailed", async () => {
      const member = await makeUser(s, owner);
      const admin = await makeUser(s, owner, { role: "admin" });
      assert.equal((await member.api("POST", `/users/${admin.user.id}/password-reset`)).status, 403);
      assert.equal((await admin.api("POST", `/users/${owner.user.id}/password-reset`)).status, 403, "admins may not take over an owner");
      assert.equal((await other.api("POST", `/users/${member.user.id}/password-reset`)).status, 404, "another org's user");
      assert.equal((await owner.api("POST", `/users/${owner.user.id}/password-reset`)).status, 400, "not one's own");

      const r = await admin.api("POST", `/users/${member.user.id}/password-reset`);
      assert.equal(r.status, 200);
      assert.equal(r.body.emailed, false);
      assert.equal(r.headers.get("cache-control"), "no-store");
      assert.equal((await member.api("GET", "/me")).status, 401);
      assert.equal((await call(s, "POST", "/auth/login", { org: "acme", username: member.user.username, password: TEST_PASSWORD })).status, 401);
      assert.equal((await call(s, "POST", "/auth/password-reset/complete", { token: tokenOf(r.body.resetUrl), newPassword: NEW_PASSWORD })).status, 204);
      await loginUser(s, "acme", member.user.username, NEW_PASSWORD);

      const withEmail = await userWithEmail("lee@example.org");
      const e = await admin.api("POST", `/users/${withEmail.user.id}/password-reset`);
      assert.equal(e.body.emailed, true);
      assert.equal(e.body.resetUrl, undefined);
      const mail = await smtp.waitFor((m) => m.to.includes("lee@example.org") && /Reset/.test(m.subject));
      assert.match(mail.text, /An admin of Acme Corp reset the password/);
      assert.ok((await auditActions(s, "user.password.reset")).filter((a) => a.target_id === member.user.id || a.target_id === withEmail.user.id).length === 2);
    });

    it("changes the email address only through a link sent to the new one; admins set it directly; addresses are unique", async () => {
      const u = await userWithEmail("old@example.org");
      assert.equal((await u.api("POST", "/me/email", { currentPassword: "wrong password", email: "new@example.org" })).body.code, "invalid_credentials");
      await userWithEmail("taken@example.org");
      assert.equal((await u.api("POST", "/me/email", { currentPassword: TEST_PASSWORD, email: "Taken@example.org" })).body.code, "email_taken");
      assert.equal((await u.api("POST", "/me/email", { currentPassword: TEST_PASSWORD, email: "not an address" })).body.code, "validation_failed");
      const r = await u.api("POST", "/me/email", { currentPassword: TEST_PASSWORD, email: "New@Example.org" });
      assert.equal(r.status, 202);
      assert.equal(r.body.pendingEmail, "new@example.org");
      assert.equal((await u.api("GET", "/me")).body.user.email, "old@example.org", "unchanged until confirmed");
      const mail = await smtp.waitFor((m) => m.to.includes("new@example.org") && /Confirm/.test(m.subject));
      const token = tokenOf(linkIn(mail, `${s.url}/verify-email#token=`));
      const v = await call(s, "POST", "/auth/email/verify", { token });
      assert.equal(v.status, 200);
      assert.deepEqual(v.body, { email: "new@example.org" });
      assert.equal((await u.api("GET", "/me")).body.user.email, "new@example.org");
      assert.equal((await call(s, "POST", "/auth/email/verify", { token })).body.code, "token_invalid");
      await smtp.waitFor((m) => m.to.includes("old@example.org") && /email address was changed/.test(m.subject));

      // Only admins see addresses.
      const member = await makeUser(s, owner);
      assert.equal((await member.api("GET", `/users/${u.user.id}`)).body.email, undefined);
      assert.equal((await owner.api("GET", `/users/${u.user.id}`)).body.email, "new@example.org");
      assert.equal((await member.api("PUT", `/users/${u.user.id}/email`, { email: "x@example.org" })).status, 403);
      assert.equal((await other.api("PUT", `/users/${u.user.id}/email`, { email: "x@example.org" })).status, 404);
      assert.equal((await owner.api("PUT", `/users/${member.user.id}/email`, { email: "new@example.org" })).body.code, "email_taken");
      const cleared = await owner.api("PUT", `/users/${u.user.id}/email`, { email: null });
      assert.equal(cleared.body.email, null);
    });

    it("sets, serves and removes a profile picture and a status line", async () => {
      const u = await makeUser(s, owner);
      assert.equal((await u.api("PUT", "/me/avatar", { contentType: "image/png", data: Buffer.from("<svg onload=alert(1)>").toString("base64") })).status, 400);
      assert.equal((await u.api("PUT", "/me/avatar", { contentType: "image/gif", data: PNG.toString("base64") })).body.code, "validation_failed");
      const set = await u.api("PUT", "/me/avatar", { contentType: "image/png", data: PNG.toString("base64") });
      assert.equal(set.status, 200);
      assert.ok(set.body.avatar);
      const res = await fetch(`${s.url}/api/v1/users/${u.user.id}/avatar`, { headers: { authorization: `Bearer ${owner.accessToken}` } });
      assert.equal(res.status, 200);
      assert.equal(res.headers.get("content-type"), "image/png");
      assert.equal(res.headers.get("x-content-type-options"), "nosniff");
      assert.deepEqual(Buffer.from(await res.arrayBuffer()), PNG);
      assert.equal((await fetch(`${s.url}/api/v1/users/${u.user.id}/avatar`, { headers: { authorization: `Bearer ${other.accessToken}` } })).status, 404);
      assert.equal((await owner.api("GET", `/users/${u.user.id}`)).body.avatar, set.body.avatar);
      assert.equal((await u.api("DELETE", "/me/avatar")).body.avatar, null);
      assert.equal((await fetch(`${s.url}/api/v1/users/${u.user.id}/avatar`, { headers: { authorization: `Bearer ${owner.accessToken}` } })).status, 404);

      const st = await u.api("PATCH", "/me", { statusText: "In a meeting until 3" });
      assert.equal(st.body.statusText, "In a meeting until 3");
      assert.equal(st.body.displayName, u.user.displayName);
      assert.equal((await u.api("PATCH", "/me", {})).body.code, "validation_failed");
      assert.equal((await u.api("PATCH", "/me", { statusText: "two\nlines" })).body.code, "validation_failed");
      assert.equal((await u.api("PATCH", "/me", { statusText: null })).body.statusText, null);
    });

    it("applies the org's password policy, which only admins change", async () => {
      const member = await makeUser(s, owner);
      assert.deepEqual((await member.api("GET", "/org/password-policy")).body, { minLength: 10, blockCommon: true });
      assert.equal((await member.api("PUT", "/org/password-policy", { minLength: 14, blockCommon: true })).status, 403);
      assert.equal((await owner.api("PUT", "/org/password-policy", { minLength: 7, blockCommon: true })).body.code, "validation_failed");
      assert.deepEqual((await owner.api("PUT", "/org/password-policy", { minLength: 14, blockCommon: false })).body, { minLength: 14, blockCommon: false });
      assert.deepEqual((await other.api("GET", "/org/password-policy")).body, { minLength: 10, blockCommon: true }, "per org");
      const short = await member.api("POST", "/me/password", { currentPassword: TEST_PASSWORD, newPassword: "thirteen char" });
      assert.deepEqual(short.body.details, { reason: "too_short", minLength: 14 });
      // blockCommon off: a listed password of the right length passes.
      assert.equal((await member.api("POST", "/me/password", { currentPassword: TEST_PASSWORD, newPassword: "passwordpassword" })).status, 204);
      const inv = await owner.api("POST", "/invites", {});
      const acc = await call(s, "POST", "/invites/accept", {
        token: inv.body.token,
        username: "shorty",
        displayName: "S",
        password: "only 12 char",
        deviceName: "d",
      });
      assert.equal(acc.body.code, "password_rejected");
      assert.ok((await auditActions(s, "org.password_policy.")).length >= 1);
      assert.equal((await owner.api("PUT", "/org/password-policy", { minLength: 10, blockCommon: true })).status, 200);
    });

    it("emails invites, and the account made from one gets the address; a new device's sign-in is emailed", async () => {
      const r = await owner.api("POST", "/invites", { email: "newbie@example.org" });
      assert.equal(r.status, 201);
      assert.equal(r.body.emailed, true);
      assert.equal((await owner.api("POST", "/invites", { email: "x@example.org", maxUses: 5 })).status, 400);
      const mail = await smtp.waitFor((m) => m.to.includes("newbie@example.org"));
      assert.match(mail.subject, /Owner invited you to Acme Corp/);
      const token = linkIn(mail, `${s.url}/invite/`).split("/invite/")[1]!;
      const acc = await call(s, "POST", "/invites/accept", { token, username: "newbie", displayName: "Newbie", password: TEST_PASSWORD, deviceName: "laptop" });
      assert.equal(acc.status, 201);
      assert.equal((await owner.api("GET", `/users/${acc.body.user.id}`)).body.email, "newbie@example.org");
      await loginUser(s, "acme", "newbie", TEST_PASSWORD, { deviceName: "Firefox on Linux" });
      const notice = await smtp.waitFor((m) => m.to.includes("newbie@example.org") && /New sign-in/.test(m.subject));
      assert.match(notice.text, /"Firefox on Linux"/);
      assert.match(notice.text, /127\.0\.0\.1/);
    });
  });
}

describe("email delivery", () => {
  it("without SMTP: self-service reset and emailed invites answer email_unavailable; admins get the link", async () => {
    const s = await startTestServer();
    try {
      const owner = await bootstrapOrg(s, { orgSlug: "acme" });
      const member = await makeUser(s, owner);
      assert.equal((await owner.api("PUT", `/users/${member.user.id}/email`, { email: "m@example.org" })).status, 200);
      const r = await call(s, "POST", "/auth/password-reset", { org: "acme", login: member.user.username });
      assert.equal(r.status, 503);
      assert.equal(r.body.code, "email_unavailable");
      assert.equal((await owner.api("POST", "/invites", { email: "x@example.org" })).body.code, "email_unavailable");
      const admin = await owner.api("POST", `/users/${member.user.id}/password-reset`);
      assert.equal(admin.body.emailed, false);
      assert.ok(admin.body.resetUrl.startsWith(`${s.url}/reset-password#token=`));
    } finally {
      await s.stop();
    }
  });

  it("sends over STARTTLS with authentication and trusting the configured CA", async () => {
    const smtp = await startTestSmtp({ tls: true, auth: { user: "parley", pass: "s3cret pass" } });
    const s = await startTestServer({ config: { smtpUrl: smtp.url, smtpCaFile: smtp.caFile!, mailFrom: "Acme chat <chat@example.org>" } });
    try {
      const owner = await bootstrapOrg(s, { orgSlug: "acme" });
      const u = await makeUser(s, owner);
      await owner.api("PUT", `/users/${u.user.id}/email`, { email: "tls@example.org" });
      await call(s, "POST", "/auth/password-reset", { org: "acme", login: u.user.username });
      const mail = await smtp.waitFor((m) => m.to.includes("tls@example.org"));
      assert.equal(mail.secure, true);
      assert.equal(mail.user, "parley");
      assert.equal(mail.fromHeader, '"Acme chat" <chat@example.org>');
      assert.doesNotMatch(JSON.stringify(s.logs), /s3cret/, "the SMTP password is never logged");
      const jobs = await s.deps.db.selectFrom("jobs").select("payload").where("name", "=", "mail.send").execute();
      assert.ok(jobs.length > 0);
      assert.doesNotMatch(JSON.stringify(jobs), /reset-password/, "the queued email is sealed");
    } finally {
      await s.stop();
      await smtp.stop();
    }
  });
});
