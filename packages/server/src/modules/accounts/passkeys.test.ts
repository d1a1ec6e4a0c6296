/**
 * Passkeys (issue 10): registration, passwordless sign-in, passkeys as the second factor,
 * list/rename/remove, and the checks that refuse tampered, replayed, cross-org and
 * unverified answers. A software authenticator signs for real (testing/webauthn.ts).
 */
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { DIALECTS, startTestServer, type TestServer } from "../../testing/harness.ts";
import { asTestUser, bootstrapOrg, call, makeOrg, makeUser, TEST_PASSWORD, type TestUser } from "../../testing/factories.ts";
import { SoftAuthenticator } from "../../testing/webauthn.ts";

for (const dialect of DIALECTS) {
  describe(`passkeys (${dialect})`, () => {
    let s: TestServer;
    let owner: TestUser;
    let other: TestUser;
    before(async () => {
      s = await startTestServer({ dialect });
      owner = await bootstrapOrg(s, { orgSlug: "acme" });
      other = await makeOrg(s, "other");
    });
    after(() => s.stop());

    async function register(u: TestUser, auth: SoftAuthenticator, name = "laptop") {
      const opts = await u.api("POST", "/me/passkeys/options", { currentPassword: u.password });
      assert.equal(opts.status, 200, JSON.stringify(opts.body));
      const r = await u.api("POST", "/me/passkeys", { challengeId: opts.body.challengeId, name, response: auth.register(opts.body.options, s.url) });
      assert.equal(r.status, 201, JSON.stringify(r.body));
      return r.body;
    }

    async function passkeyLogin(org: string, auth: SoftAuthenticator, origin = s.url) {
      const opts = await call(s, "POST", "/auth/passkey/options", { org });
      assert.equal(opts.status, 200);
      return call(s, "POST", "/auth/passkey", {
        challengeId: opts.body.challengeId,
        response: auth.authenticate(opts.body.options, origin),
        deviceName: "passkey device",
      });
    }

    it("registers a passkey after the password and signs in with it alone", async () => {
      const u = await makeUser(s, owner);
      const auth = new SoftAuthenticator();
      assert.equal((await u.api("POST", "/me/passkeys/options", { currentPassword: "wrong!" })).body.code, "invalid_credentials");
      const opts = await u.api("POST", "/me/passkeys/options", { currentPassword: TEST_PASSWORD });
      assert.equal(opts.body.options.rp.id, "127.0.0.1");
      assert.equal(opts.body.options.authenticatorSelection.residentKey, "required");
      const pk = await register(u, auth, "work laptop");
      assert.equal(pk.name, "work laptop");
      assert.deepEqual(
        (await u.api("GET", "/me/passkeys")).body.passkeys.map((k: { id: string }) => k.id),
        [pk.id],
      );

      const r = await passkeyLogin("acme", auth);
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.equal(r.body.user.id, u.user.id);
      assert.equal(r.headers.get("cache-control"), "no-store");
      const signedIn = asTestUser(s, r.body, TEST_PASSWORD);
      assert.equal((await signedIn.api("GET", "/me")).status, 200);
      const audit = await s.deps.db
        .selectFrom("audit_log")
        .select(["action", "details"])
        .where("action", "=", "auth.login.succeeded")
        .where("actor_id", "=", u.user.id)
        .execute();
      assert.ok(audit.some((a) => String(a.details).includes('"secondFactor":"passkey"')));
      assert.ok((await u.api("GET", "/me/passkeys")).body.passkeys[0].lastUsedAt);
    });

    it("refuses replayed, tampered, cross-org, wrong-origin and unverified answers", async () => {
      const u = await makeUser(s, owner);
      const auth = new SoftAuthenticator();
      await register(u, auth);
      const opts = await call(s, "POST", "/auth/passkey/options", { org: "acme" });
      const answer = auth.authenticate(opts.body.options, s.url);
      assert.equal((await call(s, "POST", "/auth/passkey", { challengeId: opts.body.challengeId, response: answer })).status, 200);
      const replay = await call(s, "POST", "/auth/passkey", { challengeId: opts.body.challengeId, response: answer });
      assert.equal(replay.body.code, "passkey_invalid");
      assert.equal(replay.body.details.reason, "challenge");

      const o2 = await call(s, "POST", "/auth/passkey/options", { org: "acme" });
      const tampered = auth.authenticate(o2.body.options, s.url) as { response: { signature: string } };
      const sig = Buffer.from(tampered.response.signature, "base64url");
      sig[sig.length - 1] = sig[sig.length - 1]! ^ 1;
      tampered.response.signature = sig.toString("base64url");
      assert.equal((await call(s, "POST", "/auth/passkey", { challengeId: o2.body.challengeId, response: tampered })).body.details.reason, "verification");

      assert.equal((await passkeyLogin("acme", auth, "https://evil.example")).body.details.reason, "verification", "another origin");
      assert.equal((await passkeyLogin("other", auth)).body.details.reason, "unknown_credential", "another org's sign-in");

      auth.userVerified = false;
      assert.equal((await passkeyLogin("acme", auth)).body.code, "passkey_invalid", "no user verification");
      auth.userVerified = true;

      // A cloned authenticator whose counter went backwards.
      const clone = new SoftAuthenticator();
      clone.credentials.push({ ...auth.credentials[0]!, counter: 0 });
      assert.equal((await passkeyLogin("acme", clone)).body.code, "passkey_invalid", "counter regression");
      assert.equal((await passkeyLogin("acme", auth)).status, 200, "the real one still works");
      assert.equal((await call(s, "POST", "/auth/passkey", { challengeId: "nope", response: {} })).body.code, "passkey_invalid");
      assert.equal((await call(s, "POST", "/auth/passkey", { challengeId: "x", response: "not an object" })).body.code, "validation_failed");
    });

    it("serves as the second factor after a password; list, rename and remove are one's own only", async () => {
      const u = await makeUser(s, owner);
      const auth = new SoftAuthenticator();
      const pk = await register(u, auth);
      const first = await call(s, "POST", "/auth/login", { org: "acme", username: u.user.username, password: TEST_PASSWORD });
      assert.equal(first.body.code, "mfa_required");
      assert.deepEqual(first.body.details.methods, ["passkey"]);
      const mfaToken = first.body.details.mfaToken;
      const opts = await call(s, "POST", "/auth/mfa/passkey", { mfaToken });
      assert.deepEqual(
        opts.body.options.allowCredentials.map((c: { id: string }) => c.id),
        [pk.id],
      );
      // Another user's passkey does not answer for this account.
      const stranger = await makeUser(s, owner);
      const strangerAuth = new SoftAuthenticator();
      await register(stranger, strangerAuth);
      const wrong = await call(s, "POST", "/auth/mfa", { mfaToken, passkey: strangerAuth.authenticate({ ...opts.body.options, allowCredentials: [] }, s.url) });
      assert.equal(wrong.body.code, "passkey_invalid");
      const opts2 = await call(s, "POST", "/auth/mfa/passkey", { mfaToken });
      const ok = await call(s, "POST", "/auth/mfa", { mfaToken, passkey: auth.authenticate(opts2.body.options, s.url) });
      assert.equal(ok.status, 200, JSON.stringify(ok.body));

      assert.equal((await other.api("PATCH", `/me/passkeys/${pk.id}`, { name: "mine" })).status, 404);
      assert.equal((await stranger.api("DELETE", `/me/passkeys/${pk.id}`)).status, 404);
      assert.equal((await u.api("PATCH", `/me/passkeys/${pk.id}`, { name: "  " })).body.code, "validation_failed");
      assert.equal((await u.api("PATCH", `/me/passkeys/${pk.id}`, { name: "old phone" })).body.name, "old phone");
      assert.equal((await u.api("DELETE", `/me/passkeys/${pk.id}`)).status, 204);
      assert.equal((await passkeyLogin("acme", auth)).body.details.reason, "unknown_credential");
      assert.equal(
        (await call(s, "POST", "/auth/login", { org: "acme", username: u.user.username, password: TEST_PASSWORD })).status,
        200,
        "no second factor left",
      );
    });

    it("meets an org's MFA requirement and lifts the enrolment restriction; the last one cannot be removed then", async () => {
      const admin = await makeUser(s, owner, { role: "admin" });
      const adminAuth = new SoftAuthenticator();
      await register(admin, adminAuth);
      assert.equal((await admin.api("PUT", "/org/mfa-policy", { required: true, roles: ["member"], graceDays: 0 })).status, 200);
      const member = await makeUser(s, owner);
      const restricted = asTestUser(
        s,
        (await call(s, "POST", "/auth/login", { org: "acme", username: member.user.username, password: TEST_PASSWORD })).body,
        TEST_PASSWORD,
      );
      assert.equal((await restricted.api("GET", "/channels")).body.code, "mfa_enrollment_required");
      const auth = new SoftAuthenticator();
      const pk = await register(restricted, auth);
      assert.equal((await restricted.api("GET", "/channels")).status, 200);
      assert.equal((await restricted.api("DELETE", `/me/passkeys/${pk.id}`)).status, 403);
      await admin.api("PUT", "/org/mfa-policy", { required: false, roles: ["member"], graceDays: 0 });
    });
  });
}
