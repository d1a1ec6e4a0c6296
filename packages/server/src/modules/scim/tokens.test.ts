/**
 * SCIM tokens and isolation, on SQLite and PostgreSQL: the admin API (create shown once,
 * list, revoke; admins only), unknown / revoked / expired tokens (401, audited when the
 * token is known), throttling, and cross-org isolation: org B's token never sees or changes
 * org A's users and groups, and writes nothing when it tries.
 */
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { DIALECTS, startTestServer, type TestServer } from "../../testing/harness.ts";
import { bootstrapOrg, countRows, makeOrg, makeUser, type TestUser } from "../../testing/factories.ts";
import { assertScimError, GROUP_SCHEMA, patchOp, scimCall, scimClient, USER_SCHEMA, type ScimClient } from "../../testing/scim.ts";

for (const dialect of DIALECTS) {
  describe(`SCIM tokens and org isolation (${dialect})`, () => {
    let s: TestServer;
    let ownerA: TestUser;
    let ownerB: TestUser;
    let idpA: ScimClient;
    let idpB: ScimClient;
    let aliceA: string;
    let groupA: string;
    before(async () => {
      s = await startTestServer({ dialect });
      ownerA = await bootstrapOrg(s, { orgSlug: "alpha" });
      ownerB = await makeOrg(s, "bravo");
      idpA = await scimClient(s, ownerA);
      idpB = await scimClient(s, ownerB);
      aliceA = (await idpA.req("POST", "/Users", { schemas: [USER_SCHEMA], userName: "alice", externalId: "ext-alice" })).body.id;
      groupA = (await idpA.req("POST", "/Groups", { schemas: [GROUP_SCHEMA], displayName: "Alpha Team", members: [{ value: aliceA }] })).body.id;
    });
    after(() => s.stop());

    it("creates tokens for admins only, shows the secret once, lists and revokes them (audited)", async () => {
      const r = await ownerA.api("POST", "/scim/tokens", { name: "Okta", expiresInDays: 30 });
      assert.equal(r.status, 201);
      assert.equal(r.headers.get("cache-control"), "no-store");
      assert.match(r.body.token, /^scim_[0-9a-f]{64}$/);
      assert.equal(r.body.scimUrl, `${s.url}/scim/v2`);
      assert.equal(r.body.authority, "owner");
      assert.ok(r.body.expiresAt > Date.now() + 29 * 86_400_000);
      const stored = await s.deps.db.selectFrom("scim_tokens").selectAll().where("id", "=", r.body.id).executeTakeFirstOrThrow();
      assert.notEqual(stored.token_hash, r.body.token, "only a hash is stored");
      assert.ok(!JSON.stringify(stored).includes(r.body.token));
      const list = await ownerA.api("GET", "/scim/tokens");
      assert.equal(list.status, 200);
      assert.ok(list.body.tokens.some((t: { id: string }) => t.id === r.body.id));
      assert.ok(!JSON.stringify(list.body).includes(r.body.token), "never shown again");
      // Used: lastUsedAt is set.
      assert.equal((await scimCall(s, "GET", "/Users", undefined, { authorization: `Bearer ${r.body.token}` })).status, 200);
      const used = (await ownerA.api("GET", "/scim/tokens")).body.tokens.find((t: { id: string }) => t.id === r.body.id);
      assert.ok(used.lastUsedAt > 0);

      const admin = await makeUser(s, ownerA, { role: "admin" });
      const member = await makeUser(s, ownerA, { role: "member" });
      const adminToken = await admin.api("POST", "/scim/tokens", { name: "Entra" });
      assert.equal(adminToken.body.authority, "admin", "an admin's token acts as an admin");
      const before = await countRows(s, "scim_tokens");
      assert.equal((await member.api("POST", "/scim/tokens", { name: "mine" })).status, 403);
      assert.equal((await member.api("GET", "/scim/tokens")).status, 403);
      assert.equal((await ownerA.api("POST", "/scim/tokens", { name: "" })).status, 400);
      assert.equal((await ownerA.api("POST", "/scim/tokens", { name: "x", expiresInDays: 0 })).status, 400);
      assert.equal(await countRows(s, "scim_tokens"), before);

      assert.equal((await ownerA.api("DELETE", `/scim/tokens/${r.body.id}`)).status, 204);
      assert.equal((await ownerA.api("DELETE", `/scim/tokens/${r.body.id}`)).status, 204, "idempotent");
      assert.equal((await ownerB.api("DELETE", `/scim/tokens/${adminToken.body.id}`)).status, 404, "another org's token is not found");
      const revoked = await scimCall(s, "GET", "/Users", undefined, { authorization: `Bearer ${r.body.token}` });
      assertScimError(revoked, 401);
      const audit = await s.deps.db
        .selectFrom("audit_log")
        .select(["action", "actor_kind", "actor_id", "result", "details"])
        .where("org_id", "=", ownerA.org.id)
        .where("target_id", "=", r.body.id)
        .orderBy("seq")
        .execute();
      assert.deepEqual(
        audit.map((e) => [e.action, e.actor_kind, e.result]),
        [
          ["scim.token.created", "device", "success"],
          ["scim.token.revoked", "device", "success"],
          ["scim.token.rejected", "scim", "denied"],
        ],
      );
      assert.equal(JSON.parse(audit[2]!.details).reason, "revoked");
    });

    it("refuses an expired token", async () => {
      const t = await scimClient(s, ownerA, { expiresInDays: 1 });
      assert.equal((await t.req("GET", "/Users")).status, 200);
      // A day later (the row's expiry moved into the past).
      await s.deps.db
        .updateTable("scim_tokens")
        .set({ expires_at: Date.now() - 1 })
        .where("id", "=", t.tokenId)
        .execute();
      assertScimError(await t.req("GET", "/Users"), 401);
      const rejected = await s.deps.db
        .selectFrom("audit_log")
        .select("details")
        .where("action", "=", "scim.token.rejected")
        .where("target_id", "=", t.tokenId)
        .execute();
      assert.equal(JSON.parse(rejected[0]!.details).reason, "expired");
    });

    it("org B's token never sees or changes org A's users and groups", async () => {
      const counts = async () => {
        const out: Record<string, unknown> = {};
        for (const t of ["users", "scim_users", "scim_groups", "scim_group_members", "channel_members", "sessions"] as const) out[t] = await countRows(s, t);
        out.a = await s.deps.db.selectFrom("users").selectAll().where("org_id", "=", ownerA.org.id).orderBy("id").execute();
        out.auditA = await countRows(s, "audit_log");
        return out;
      };
      const before = await counts();
      const list = await idpB.req("GET", "/Users");
      assert.equal(list.status, 200);
      assert.ok(!JSON.stringify(list.body).includes(aliceA));
      assert.deepEqual(
        list.body.Resources.map((u: { userName: string }) => u.userName),
        ["owner"],
      );
      assert.equal((await idpB.req("GET", `/Users?filter=${encodeURIComponent(`id eq "${aliceA}" or externalId eq "ext-alice"`)}`)).body.totalResults, 0);
      assert.equal((await idpB.req("GET", "/Groups")).body.totalResults, 0);
      assertScimError(await idpB.req("GET", `/Users/${aliceA}`), 404);
      assertScimError(await idpB.req("GET", `/Users/${ownerA.user.id}`), 404);
      assertScimError(await idpB.req("PUT", `/Users/${aliceA}`, { schemas: [USER_SCHEMA], userName: "pwned" }), 404);
      assertScimError(await idpB.req("PATCH", `/Users/${aliceA}`, patchOp({ op: "replace", path: "active", value: false })), 404);
      assertScimError(await idpB.req("DELETE", `/Users/${aliceA}`), 404);
      assertScimError(await idpB.req("GET", `/Groups/${groupA}`), 404);
      assertScimError(await idpB.req("PATCH", `/Groups/${groupA}`, patchOp({ op: "remove", path: "members" })), 404);
      assertScimError(await idpB.req("DELETE", `/Groups/${groupA}`), 404);
      // Naming A's user as a member of B's group: as unknown as any missing user.
      assertScimError(await idpB.req("POST", "/Groups", { schemas: [GROUP_SCHEMA], displayName: "Heist", members: [{ value: aliceA }] }), 400, "invalidValue");
      assert.equal((await ownerB.api("PUT", `/scim/groups/${groupA}/mapping`, { role: null, channelIds: [] })).status, 404);
      assert.ok(!JSON.stringify((await ownerB.api("GET", "/scim/groups")).body).includes(groupA));
      assert.deepEqual(await counts(), before);
      // The same userName in two orgs is fine: they are separate.
      const twin = await idpB.req("POST", "/Users", { schemas: [USER_SCHEMA], userName: "alice", externalId: "ext-alice" });
      assert.equal(twin.status, 201);
      assert.notEqual(twin.body.id, aliceA);
      assert.equal((await idpA.req("GET", `/Users/${aliceA}`)).body.userName, "alice");
    });
  });
}

describe("SCIM throttling", () => {
  let s: TestServer;
  before(async () => {
    s = await startTestServer({ config: { loginAttempts: 1, rateLimitUser: 5 } });
  });
  after(() => s.stop());

  it("throttles failed authentications per address, and each token's requests", async () => {
    const owner = await bootstrapOrg(s);
    const idp = await scimClient(s, owner);
    // loginAttempts 1: five failures from an address (the sign-in limiter's allowance), then 429 even with a good token.
    for (let i = 0; i < 5; i++) assertScimError(await scimCall(s, "GET", "/Users", undefined, { authorization: "Bearer scim_wrong" }), 401);
    const blocked = await idp.req("GET", "/Users");
    assertScimError(blocked, 429);
    assert.ok(Number(blocked.headers.get("retry-after")) > 0);
    await s.deps.limits.loginIp.reset("scim:127.0.0.1");
    // rateLimitUser 5 per minute per token (the owner's API calls above count against the owner, not the token).
    for (let i = 0; i < 5; i++) assert.equal((await idp.req("GET", "/ServiceProviderConfig")).status, 200);
    assertScimError(await idp.req("GET", "/ServiceProviderConfig"), 429);
  });
});
