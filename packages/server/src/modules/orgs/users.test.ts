import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { DIALECTS, startTestServer, type TestServer } from "../../testing/harness.ts";
import { bootstrapOrg, call, identityCounts, makeOrg, makeUser, TEST_PASSWORD, type TestUser } from "../../testing/factories.ts";
import { deactivateUser, setUserRole } from "./users.ts";
import { systemActor } from "../../core/actor.ts";

for (const dialect of DIALECTS) {
  describe(`users and roles (${dialect})`, () => {
    let s: TestServer;
    let owner: TestUser;
    let admin: TestUser;
    let member: TestUser;
    let other: TestUser;
    before(async () => {
      s = await startTestServer({ dialect });
      owner = await bootstrapOrg(s, { orgSlug: "acme" });
      admin = await makeUser(s, owner, { role: "admin", username: "adam" });
      member = await makeUser(s, owner, { role: "member", username: "mia" });
      other = await makeOrg(s, "other");
    });
    after(() => s.stop());

    it("lists and gets users of the own org only", async () => {
      const list = await member.api("GET", "/users");
      assert.equal(list.status, 200);
      assert.deepEqual(list.body.users.map((u: { username: string }) => u.username).sort(), ["adam", "mia", "owner"]);
      assert.deepEqual(
        (await member.api("GET", "/users?q=AD")).body.users.map((u: { username: string }) => u.username),
        ["adam"],
      );
      assert.equal((await member.api("GET", `/users/${admin.user.id}`)).body.username, "adam");
      const cross = await other.api("GET", `/users/${member.user.id}`);
      assert.equal(cross.status, 404);
      assert.equal(cross.body.code, "not_found");
      assert.ok(!JSON.stringify((await other.api("GET", "/users")).body).includes(member.user.id));
      assert.equal((await member.api("GET", "/users?includeDeactivated=maybe")).status, 400);
    });

    it("changes roles within the rules", async () => {
      const u = await makeUser(s, owner);
      const before = await identityCounts(s);
      assert.equal((await member.api("PUT", `/users/${u.user.id}/role`, { role: "guest" })).status, 403);
      assert.equal((await admin.api("PUT", `/users/${u.user.id}/role`, { role: "admin" })).status, 403, "admins may not make admins");
      assert.equal((await admin.api("PUT", `/users/${owner.user.id}/role`, { role: "member" })).status, 403, "admins may not change owners");
      assert.equal((await admin.api("PUT", `/users/${u.user.id}/role`, { role: "emperor" })).status, 400);
      assert.equal((await other.api("PUT", `/users/${u.user.id}/role`, { role: "guest" })).status, 404);
      assert.deepEqual(await identityCounts(s), before);

      const g = await admin.api("PUT", `/users/${u.user.id}/role`, { role: "guest" });
      assert.equal(g.status, 200);
      assert.equal(g.body.role, "guest");
      // The new role applies to the user's existing token at once.
      assert.equal((await u.api("POST", "/invites", {})).status, 403);
      assert.equal((await owner.api("PUT", `/users/${u.user.id}/role`, { role: "admin" })).body.role, "admin");
      assert.equal((await u.api("POST", "/invites", {})).status, 201);
      const items = await s.deps.db.selectFrom("user_stream").select("kind").where("user_id", "=", u.user.id).execute();
      assert.equal(items.filter((i) => i.kind === "user.updated").length, 2);
    });

    it("admins may not deactivate, reactivate or revoke devices of other admins; owners may", async () => {
      const peer = await makeUser(s, owner, { role: "admin" });
      const before = await identityCounts(s);
      assert.equal((await admin.api("POST", `/users/${peer.user.id}/deactivate`)).status, 403);
      assert.equal((await admin.api("DELETE", `/users/${peer.user.id}/devices/${peer.tokens.deviceId}`)).status, 403);
      assert.deepEqual(await identityCounts(s), before);
      assert.equal((await peer.api("GET", "/me")).status, 200);
      assert.equal((await owner.api("POST", `/users/${peer.user.id}/deactivate`)).status, 200);
      assert.equal((await admin.api("POST", `/users/${peer.user.id}/reactivate`)).status, 403);
      assert.equal((await owner.api("POST", `/users/${peer.user.id}/reactivate`)).status, 200);
    });

    it("never demotes or deactivates the last owner", async () => {
      const r = await owner.api("PUT", `/users/${owner.user.id}/role`, { role: "admin" });
      assert.equal(r.status, 400);
      assert.equal(r.body.code, "bad_request");
      await assert.rejects(setUserRole(s.deps, systemActor(owner.org.id), owner.user.id, "member"), { code: "bad_request" });
      await assert.rejects(deactivateUser(s.deps, systemActor(owner.org.id), owner.user.id), { code: "bad_request" });
      assert.equal((await owner.api("GET", "/me")).body.user.role, "owner");
    });

    it("with two owners, either may be demoted, but not both", async () => {
      const s2 = await startTestServer({ dialect });
      try {
        const first = await bootstrapOrg(s2);
        const second = await makeUser(s2, first, { role: "owner" });
        assert.equal(second.user.role, "owner");
        const r = await second.api("PUT", `/users/${first.user.id}/role`, { role: "member" });
        assert.equal(r.status, 200);
        assert.equal(r.body.role, "member");
        assert.equal((await first.api("POST", "/invites", {})).status, 403, "demotion applies to the live token");
        assert.equal((await second.api("PUT", `/users/${second.user.id}/role`, { role: "admin" })).body.code, "bad_request");
      } finally {
        await s2.stop();
      }
    });

    it("deactivation ends every session at once; reactivation allows sign-in again", async () => {
      const u = await makeUser(s, owner);
      const second = await call(s, "POST", "/auth/login", { org: "acme", username: u.user.username, password: TEST_PASSWORD, deviceName: "b" });
      const revoked: unknown[] = [];
      const unsub = s.deps.bus.subscribe("auth.revoked", (m) => revoked.push(m));
      assert.equal((await member.api("POST", `/users/${u.user.id}/deactivate`)).status, 403);
      assert.equal((await other.api("POST", `/users/${u.user.id}/deactivate`)).status, 404);
      assert.equal((await admin.api("POST", `/users/${admin.user.id}/deactivate`)).body.code, "bad_request", "not yourself");
      assert.equal(revoked.length, 0);
      const d = await admin.api("POST", `/users/${u.user.id}/deactivate`);
      unsub();
      assert.equal(d.status, 200);
      assert.equal(d.body.deactivated, true);
      assert.deepEqual(revoked, [{ orgId: owner.org.id, userId: u.user.id, all: true }]);
      const me = await u.api("GET", "/me");
      assert.ok(me.status === 401 || me.status === 403, `old access token must stop working (got ${me.status})`);
      assert.equal((await call(s, "POST", "/auth/refresh", { refreshToken: second.body.refreshToken })).status, 401);
      const login = await call(s, "POST", "/auth/login", { org: "acme", username: u.user.username, password: TEST_PASSWORD });
      // Like a wrong password: signing in reveals nothing about the account's state.
      assert.equal(login.body.code, "invalid_credentials");
      assert.ok(!(await member.api("GET", "/users")).body.users.some((x: { id: string }) => x.id === u.user.id));
      assert.ok((await member.api("GET", "/users?includeDeactivated=true")).body.users.some((x: { id: string }) => x.id === u.user.id));

      assert.equal((await member.api("POST", `/users/${u.user.id}/reactivate`)).status, 403);
      const re = await admin.api("POST", `/users/${u.user.id}/reactivate`);
      assert.equal(re.body.deactivated, false);
      assert.equal((await u.api("GET", "/me")).status, 401, "old sessions stay ended");
      assert.equal((await call(s, "POST", "/auth/login", { org: "acme", username: u.user.username, password: TEST_PASSWORD })).status, 200);
    });

    it("admins see and revoke a user's devices; members see only their own", async () => {
      const u = await makeUser(s, owner);
      const own = await u.api("GET", `/users/${u.user.id}/devices`);
      assert.equal(own.status, 200);
      assert.equal(own.body.devices.length, 1);
      assert.equal(own.body.devices[0].current, true);
      assert.equal((await member.api("GET", `/users/${u.user.id}/devices`)).status, 403);
      assert.equal((await other.api("GET", `/users/${u.user.id}/devices`)).status, 404);
      assert.equal((await other.api("DELETE", `/users/${u.user.id}/devices/${u.tokens.deviceId}`)).status, 404);
      assert.equal((await member.api("DELETE", `/users/${u.user.id}/devices/${u.tokens.deviceId}`)).status, 403);
      assert.equal((await admin.api("DELETE", `/users/${u.user.id}/devices/${member.tokens.deviceId}`)).status, 404, "device of someone else");
      assert.equal((await admin.api("DELETE", `/users/${owner.user.id}/devices/${owner.tokens.deviceId}`)).status, 403, "owner's devices: owners only");
      assert.equal((await u.api("GET", "/me")).status, 200);

      assert.equal((await admin.api("DELETE", `/users/${u.user.id}/devices/${u.tokens.deviceId}`)).status, 204);
      assert.equal((await u.api("GET", "/me")).status, 401);
      const devs = (await admin.api("GET", `/users/${u.user.id}/devices`)).body.devices;
      assert.equal(devs[0].revoked, true);
      const items = await s.deps.db.selectFrom("user_stream").select("kind").where("user_id", "=", u.user.id).execute();
      assert.ok(items.some((i) => i.kind === "device.revoked"));
    });
  });
}
