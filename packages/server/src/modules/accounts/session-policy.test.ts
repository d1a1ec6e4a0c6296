/**
 * Session controls (issue 10): sign out everywhere, admins' view and revocation of a
 * user's sessions, the org's idle and absolute timeouts, and its IP allow-list (sign-in,
 * refresh, every request, the WebSocket). Client addresses are simulated through a
 * trusted proxy's X-Forwarded-For.
 */
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { DIALECTS, startTestServer, type TestServer } from "../../testing/harness.ts";
import { asTestUser, bootstrapOrg, call, loginUser, makeOrg, makeUser, TEST_PASSWORD, type TestUser } from "../../testing/factories.ts";
import { openSocket } from "../../gateway/test-client.ts";

for (const dialect of DIALECTS) {
  describe(`session controls (${dialect})`, () => {
    let s: TestServer;
    let owner: TestUser;
    let other: TestUser;
    let offset = 0;
    before(async () => {
      s = await startTestServer({ dialect, config: { trustProxy: true } });
      const real = Date.now;
      s.deps.now = () => real() + offset;
      owner = await bootstrapOrg(s, { orgSlug: "acme" });
      other = await makeOrg(s, "other");
    });
    after(() => s.stop());

    const from = (u: TestUser, ip: string) => ({ authorization: `Bearer ${u.accessToken}`, "x-forwarded-for": ip });

    it("signs out everywhere, keeping this session or not", async () => {
      const u = await makeUser(s, owner);
      const b = asTestUser(s, await loginUser(s, "acme", u.user.username, TEST_PASSWORD), TEST_PASSWORD);
      const c = asTestUser(s, await loginUser(s, "acme", u.user.username, TEST_PASSWORD), TEST_PASSWORD);
      assert.deepEqual((await u.api("POST", "/sessions/revoke-all", { keepCurrent: true })).body, { ended: 2 });
      assert.equal((await u.api("GET", "/me")).status, 200);
      assert.equal((await b.api("GET", "/me")).status, 401);
      assert.equal((await c.api("GET", "/me")).status, 401);
      assert.deepEqual((await u.api("POST", "/sessions/revoke-all", {})).body, { ended: 1 });
      assert.equal((await u.api("GET", "/me")).status, 401);
    });

    it("shows admins a user's sessions and lets them end one or all, within the role rules", async () => {
      const u = await makeUser(s, owner);
      const second = asTestUser(s, await loginUser(s, "acme", u.user.username, TEST_PASSWORD, { deviceName: "phone" }), TEST_PASSWORD);
      const admin = await makeUser(s, owner, { role: "admin" });
      const list = await admin.api("GET", `/users/${u.user.id}/sessions`);
      assert.equal(list.status, 200);
      assert.equal(list.body.sessions.length, 2);
      assert.ok(list.body.sessions.every((x: { current: boolean }) => !x.current));
      assert.equal((await u.api("GET", `/users/${admin.user.id}/sessions`)).status, 403);
      assert.equal((await other.api("GET", `/users/${u.user.id}/sessions`)).status, 404);
      assert.equal((await admin.api("DELETE", `/users/${owner.user.id}/sessions`)).status, 403, "an owner's sessions: owners only");
      assert.equal((await admin.api("DELETE", `/users/${u.user.id}/sessions/${owner.tokens.sessionId}`)).status, 404, "another user's session");
      assert.equal((await admin.api("DELETE", `/users/${u.user.id}/sessions/${second.tokens.sessionId}`)).status, 204);
      assert.equal((await second.api("GET", "/me")).status, 401);
      assert.equal((await u.api("GET", "/me")).status, 200);
      assert.deepEqual((await admin.api("DELETE", `/users/${u.user.id}/sessions`)).body, { ended: 1 });
      assert.equal((await u.api("GET", "/me")).status, 401);
      const audit = await s.deps.db.selectFrom("audit_log").select("action").where("target_id", "in", [u.user.id, second.tokens.sessionId]).execute();
      assert.ok(audit.some((a) => a.action === "user.sessions.read"));
      assert.ok(audit.some((a) => a.action === "session.revoked_all"));
    });

    it("ends idle sessions after the org's idle timeout and any session after its absolute timeout", async () => {
      assert.equal(
        (await owner.api("PUT", "/org/session-policy", { idleTimeoutMinutes: 4, absoluteTimeoutHours: null, ipAllowList: [] })).body.code,
        "validation_failed",
      );
      const member = await makeUser(s, owner);
      assert.equal((await member.api("PUT", "/org/session-policy", { idleTimeoutMinutes: 30, absoluteTimeoutHours: 2, ipAllowList: [] })).status, 403);
      assert.equal((await owner.api("PUT", "/org/session-policy", { idleTimeoutMinutes: 30, absoluteTimeoutHours: 2, ipAllowList: [] })).status, 200);
      const u = asTestUser(s, await loginUser(s, "acme", member.user.username, TEST_PASSWORD), TEST_PASSWORD);
      let refresh = u.tokens.refreshToken;
      // Active: a refresh every 25 minutes keeps it alive past the idle timeout…
      for (let i = 0; i < 4; i++) {
        offset += 25 * 60_000;
        const r = await call(s, "POST", "/auth/refresh", { refreshToken: refresh });
        assert.equal(r.status, 200, `refresh ${i}: ${JSON.stringify(r.body)}`);
        refresh = r.body.refreshToken;
      }
      // …until the absolute timeout (2 h after sign-in) ends it anyway.
      offset += 25 * 60_000;
      const tooOld = await call(s, "POST", "/auth/refresh", { refreshToken: refresh });
      assert.equal(tooOld.body.code, "refresh_token_invalid");
      assert.match(tooOld.body.message, /maximum age/);
      // Idle: 31 minutes without a refresh.
      const idle = await loginUser(s, "acme", member.user.username, TEST_PASSWORD);
      offset += 31 * 60_000;
      assert.equal((await call(s, "POST", "/auth/refresh", { refreshToken: idle.refreshToken })).body.code, "refresh_token_invalid");
      assert.equal(
        (await owner.api("PUT", "/org/session-policy", { idleTimeoutMinutes: null, absoluteTimeoutHours: null, ipAllowList: [] })).status,
        401,
        "the owner's session idled out too",
      );
      owner = asTestUser(s, await loginUser(s, "acme", "owner", TEST_PASSWORD), TEST_PASSWORD);
      assert.equal((await owner.api("PUT", "/org/session-policy", { idleTimeoutMinutes: null, absoluteTimeoutHours: null, ipAllowList: [] })).status, 200);
    });

    it("allows sign-in, refresh, requests and the WebSocket only from the allow-list", async () => {
      const member = await makeUser(s, owner);
      const policy = { idleTimeoutMinutes: null, absoluteTimeoutHours: null };
      const locked = await call(s, "PUT", "/org/session-policy", { ...policy, ipAllowList: ["10.0.0.0/8"] }, from(owner, "192.168.1.9"));
      assert.equal(locked.status, 400, "an admin cannot lock themselves out");
      assert.match(locked.body.message, /lock yourself out/);
      assert.equal((await call(s, "PUT", "/org/session-policy", { ...policy, ipAllowList: ["10.0.0.0/33"] }, from(owner, "10.0.0.5"))).status, 400);
      assert.equal((await call(s, "PUT", "/org/session-policy", { ...policy, ipAllowList: ["not-an-ip"] }, from(owner, "10.0.0.5"))).status, 400);
      const ok = await call(s, "PUT", "/org/session-policy", { ...policy, ipAllowList: ["10.0.0.0/8", "2001:db8::/32"] }, from(owner, "10.0.0.5"));
      assert.equal(ok.status, 200, JSON.stringify(ok.body));

      assert.equal((await call(s, "GET", "/me", undefined, from(member, "10.20.30.40"))).status, 200);
      assert.equal((await call(s, "GET", "/me", undefined, from(member, "2001:db8::7"))).status, 200);
      const outside = await call(s, "GET", "/me", undefined, from(member, "192.168.1.9"));
      assert.equal(outside.status, 403);
      assert.equal(outside.body.code, "ip_not_allowed");
      const login = (ip: string) =>
        call(s, "POST", "/auth/login", { org: "acme", username: member.user.username, password: TEST_PASSWORD }, { "x-forwarded-for": ip });
      assert.equal((await login("192.168.1.9")).body.code, "ip_not_allowed");
      const inside = await login("10.9.9.9");
      assert.equal(inside.status, 200);
      assert.equal(
        (await call(s, "POST", "/auth/refresh", { refreshToken: inside.body.refreshToken }, { "x-forwarded-for": "198.51.100.1" })).body.code,
        "ip_not_allowed",
      );
      const otherOwner = asTestUser(s, await loginUser(s, "other", "owner", TEST_PASSWORD), TEST_PASSWORD);
      assert.equal((await call(s, "GET", "/me", undefined, from(otherOwner, "192.168.1.9"))).status, 200, "another org's policy does not apply");

      // The test's socket comes from 127.0.0.1 (no proxy header), outside the list.
      const ws = await openSocket(s.url);
      ws.send({ t: "hello", token: member.accessToken });
      assert.equal((await ws.closed).code, 4401);
      assert.ok(ws.frames.some((f) => f.t === "error" && f.code === "ip_not_allowed"));
      assert.equal((await call(s, "PUT", "/org/session-policy", { ...policy, ipAllowList: [] }, from(owner, "10.0.0.5"))).status, 200);
    });
  });
}
