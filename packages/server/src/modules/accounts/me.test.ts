import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { DIALECTS, startTestServer, type TestServer } from "../../testing/harness.ts";
import { asTestUser, bootstrapOrg, identityCounts, loginUser, makeOrg, makeUser, TEST_PASSWORD, type TestUser } from "../../testing/factories.ts";

for (const dialect of DIALECTS) {
  describe(`me, sessions, devices (${dialect})`, () => {
    let s: TestServer;
    let owner: TestUser;
    let other: TestUser;
    before(async () => {
      s = await startTestServer({ dialect });
      owner = await bootstrapOrg(s, { orgSlug: "acme" });
      other = await makeOrg(s, "other");
    });
    after(() => s.stop());

    it("shows and updates the own profile", async () => {
      const u = await makeUser(s, owner);
      const me = await u.api("GET", "/me");
      assert.equal(me.status, 200);
      assert.equal(me.body.user.id, u.user.id);
      assert.equal(me.body.org.slug, "acme");
      assert.equal(me.body.deviceId, u.tokens.deviceId);
      assert.equal(me.body.sessionId, u.tokens.sessionId);
      const before = await identityCounts(s);
      assert.equal((await u.api("PATCH", "/me", { displayName: "   " })).body.code, "validation_failed");
      assert.equal((await u.api("PATCH", "/me", { displayName: "x".repeat(81) })).status, 400);
      assert.deepEqual(await identityCounts(s), before);
      const r = await u.api("PATCH", "/me", { displayName: "  New Name " });
      assert.equal(r.status, 200);
      assert.equal(r.body.displayName, "New Name");
      assert.equal((await owner.api("GET", `/users/${u.user.id}`)).body.displayName, "New Name");
      assert.equal((await u.api("GET", "/me", undefined)).status, 200);
      assert.equal((await fetch(`${s.url}/api/v1/me`)).status, 401);
    });

    it("lists and revokes own sessions; others' sessions are not found", async () => {
      const u = await makeUser(s, owner);
      const second = asTestUser(s, await loginUser(s, "acme", u.user.username, TEST_PASSWORD, { deviceId: u.tokens.deviceId }), TEST_PASSWORD);
      const list = await u.api("GET", "/sessions");
      assert.equal(list.status, 200);
      assert.equal(list.body.sessions.length, 2);
      assert.deepEqual(
        list.body.sessions.filter((x: { current: boolean }) => x.current).map((x: { id: string }) => x.id),
        [u.tokens.sessionId],
      );

      assert.equal((await owner.api("DELETE", `/sessions/${second.tokens.sessionId}`)).status, 404, "another user's session");
      assert.equal((await other.api("DELETE", `/sessions/${second.tokens.sessionId}`)).status, 404, "another org's session");
      assert.equal((await u.api("DELETE", "/sessions/bad id!")).status, 400);
      assert.equal((await second.api("GET", "/me")).status, 200);

      const revoked: unknown[] = [];
      const unsub = s.deps.bus.subscribe("auth.revoked", (m) => revoked.push(m));
      assert.equal((await u.api("DELETE", `/sessions/${second.tokens.sessionId}`)).status, 204);
      unsub();
      assert.deepEqual(revoked, [{ orgId: owner.org.id, userId: u.user.id, sessionIds: [second.tokens.sessionId] }]);
      assert.equal((await second.api("GET", "/me")).status, 401);
      assert.equal((await u.api("GET", "/sessions")).body.sessions.length, 1);
      assert.equal((await u.api("DELETE", `/sessions/${second.tokens.sessionId}`)).status, 404, "already ended");
    });

    it("lists, renames and revokes own devices", async () => {
      const u = await makeUser(s, owner);
      const phone = asTestUser(s, await loginUser(s, "acme", u.user.username, TEST_PASSWORD, { deviceName: "phone" }), TEST_PASSWORD);
      const devs = (await u.api("GET", "/devices")).body.devices;
      assert.equal(devs.length, 2);
      assert.equal(devs.find((d: { current: boolean }) => d.current).id, u.tokens.deviceId);

      assert.equal((await u.api("PATCH", `/devices/${phone.tokens.deviceId}`, { name: "" })).status, 400);
      assert.equal((await owner.api("PATCH", `/devices/${phone.tokens.deviceId}`, { name: "mine" })).status, 404);
      assert.equal((await other.api("PATCH", `/devices/${phone.tokens.deviceId}`, { name: "mine" })).status, 404);
      const renamed = await u.api("PATCH", `/devices/${phone.tokens.deviceId}`, { name: "work phone" });
      assert.equal(renamed.status, 200);
      assert.equal(renamed.body.name, "work phone");

      assert.equal((await owner.api("DELETE", `/devices/${phone.tokens.deviceId}`)).status, 404);
      assert.equal((await other.api("DELETE", `/devices/${phone.tokens.deviceId}`)).status, 404);
      assert.equal((await phone.api("GET", "/me")).status, 200);
      const revoked: unknown[] = [];
      const unsub = s.deps.bus.subscribe("auth.revoked", (m) => revoked.push(m));
      assert.equal((await u.api("DELETE", `/devices/${phone.tokens.deviceId}`)).status, 204);
      unsub();
      assert.deepEqual(revoked, [{ orgId: owner.org.id, userId: u.user.id, deviceIds: [phone.tokens.deviceId] }]);
      assert.equal((await phone.api("GET", "/me")).status, 401);
      assert.equal((await u.api("GET", "/devices")).body.devices.find((d: { id: string }) => d.id === phone.tokens.deviceId).revoked, true);
      // A revoked device can never sign in again.
      const again = await fetch(`${s.url}/api/v1/auth/login`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ org: "acme", username: u.user.username, password: TEST_PASSWORD, deviceId: phone.tokens.deviceId }),
      });
      assert.equal(again.status, 400);
      const kinds = (await s.deps.db.selectFrom("user_stream").select("kind").where("user_id", "=", u.user.id).orderBy("seq").execute()).map((r) => r.kind);
      assert.deepEqual(kinds, ["device.added", "device.added", "device.revoked"]);
    });
  });
}
