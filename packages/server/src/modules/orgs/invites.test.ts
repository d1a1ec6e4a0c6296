import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { DIALECTS, startTestServer, type TestServer } from "../../testing/harness.ts";
import { bootstrapOrg, call, identityCounts, makeOrg, makeUser, TEST_PASSWORD, type TestUser } from "../../testing/factories.ts";
import { createInvite } from "./invites.ts";
import { systemActor } from "../../core/actor.ts";

for (const dialect of DIALECTS) {
  describe(`invites (${dialect})`, () => {
    let s: TestServer;
    let owner: TestUser;
    let admin: TestUser;
    let member: TestUser;
    let other: TestUser;
    before(async () => {
      s = await startTestServer({ dialect });
      owner = await bootstrapOrg(s, { orgSlug: "acme" });
      admin = await makeUser(s, owner, { role: "admin" });
      member = await makeUser(s, owner, { role: "member" });
      other = await makeOrg(s, "other");
    });
    after(() => s.stop());
    let n = 0;
    const accept = (token: string, over: Record<string, unknown> = {}) =>
      call(s, "POST", "/invites/accept", {
        token,
        username: `new-${++n}`,
        displayName: "New",
        password: TEST_PASSWORD,
        deviceName: "laptop",
        ...over,
      });

    it("creates, peeks, accepts, lists and revokes", async () => {
      const inv = await admin.api("POST", "/invites", { role: "guest", maxUses: 2 });
      assert.equal(inv.status, 201);
      assert.equal(inv.body.role, "guest");
      assert.equal(inv.body.uses, 0);
      assert.ok(inv.body.token.length >= 32);
      const stored = await s.deps.db.selectFrom("invites").selectAll().where("id", "=", inv.body.id).executeTakeFirstOrThrow();
      assert.notEqual(stored.token_hash, inv.body.token);

      const peek = await call(s, "GET", `/invites/token/${inv.body.token}`);
      assert.equal(peek.status, 200);
      assert.equal(peek.body.org.slug, "acme");
      assert.equal(peek.body.role, "guest");

      const acc = await accept(inv.body.token);
      assert.equal(acc.status, 201);
      assert.equal(acc.body.user.role, "guest");
      assert.equal(acc.body.org.id, owner.org.id);
      assert.equal((await call(s, "GET", "/me", undefined, { authorization: `Bearer ${acc.body.accessToken}` })).status, 200);

      const list = await owner.api("GET", "/invites");
      assert.equal(list.status, 200);
      assert.equal(list.body.invites.find((i: { id: string }) => i.id === inv.body.id).uses, 1);
      assert.equal((await owner.api("DELETE", `/invites/${inv.body.id}`)).status, 204);
      const dead = await accept(inv.body.token);
      assert.equal(dead.status, 410);
      assert.equal(dead.body.code, "invite_invalid");
      assert.equal((await call(s, "GET", `/invites/token/${inv.body.token}`)).status, 410);
    });

    it("enforces use limits atomically and frees the use when the username is taken", async () => {
      const inv = (await owner.api("POST", "/invites", { maxUses: 1 })).body;
      const taken = await accept(inv.token, { username: member.user.username });
      assert.equal(taken.status, 409);
      assert.equal(taken.body.code, "already_exists");
      // Concurrent accepts of a one-use link: exactly one wins.
      const results = await Promise.all([accept(inv.token), accept(inv.token), accept(inv.token)]);
      assert.deepEqual(results.map((r) => r.status).sort(), [201, 410, 410]);
      const row = await s.deps.db.selectFrom("invites").select("uses").where("id", "=", inv.id).executeTakeFirstOrThrow();
      assert.equal(Number(row.uses), 1);
    });

    it("expires", async () => {
      const inv = (await owner.api("POST", "/invites", { expiresInSeconds: 60 })).body;
      const realNow = s.deps.now;
      s.deps.now = () => realNow() + 61_000;
      try {
        const before = await identityCounts(s);
        assert.equal((await accept(inv.token)).body.code, "invite_invalid");
        assert.equal((await call(s, "GET", `/invites/token/${inv.token}`)).body.code, "invite_invalid");
        assert.deepEqual(await identityCounts(s), before);
      } finally {
        s.deps.now = realNow;
      }
    });

    it("rejects bad input without writing", async () => {
      const before = await identityCounts(s);
      for (const b of [{ role: "owner" }, { maxUses: 0 }, { expiresInSeconds: 5 }, { role: "king" }]) {
        const r = await owner.api("POST", "/invites", b);
        assert.equal(r.status, 400, JSON.stringify(b));
        assert.equal(r.body.code, "validation_failed");
      }
      const inv = (await owner.api("POST", "/invites", {})).body;
      const after1 = await identityCounts(s);
      for (const b of [{ password: "short" }, { username: "UPPER CASE" }, { token: "short" }]) {
        assert.equal((await accept(inv.token, b)).body.code, "validation_failed");
      }
      assert.deepEqual(await identityCounts(s), after1);
      assert.equal(after1.invites, (before.invites ?? 0) + 1);
    });

    it("is for admins only; only owners invite admins", async () => {
      const before = await identityCounts(s);
      assert.equal((await member.api("POST", "/invites", {})).status, 403);
      assert.equal((await member.api("GET", "/invites")).status, 403);
      const adminInvite = await admin.api("POST", "/invites", { role: "admin" });
      assert.equal(adminInvite.status, 403);
      assert.deepEqual(await identityCounts(s), before);
      assert.equal((await owner.api("POST", "/invites", { role: "admin" })).status, 201);
    });

    it("keeps orgs apart: another org's invite ids are not found", async () => {
      const inv = (await owner.api("POST", "/invites", {})).body;
      const r = await other.api("DELETE", `/invites/${inv.id}`);
      assert.equal(r.status, 404);
      assert.equal(r.body.code, "not_found");
      const list = await other.api("GET", "/invites");
      assert.ok(!list.body.invites.some((i: { id: string }) => i.id === inv.id));
      const acc = await accept(inv.token);
      assert.equal(acc.body.org.id, owner.org.id, "an invite always joins its own org");
    });

    it("can be created by the system actor (offline CLI)", async () => {
      const inv = await createInvite(s.deps, systemActor(owner.org.id), { role: "member", maxUses: 1, expiresInSeconds: 3600 });
      assert.equal(inv.createdBy, "system");
      assert.equal((await accept(inv.token)).status, 201);
    });
  });
}
