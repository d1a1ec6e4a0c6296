/**
 * API keys and service accounts (issue 10): shown once, stored hashed, scoped, expiring,
 * revocable; exchanged for a device session limited to the key's scopes; every use audited.
 */
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { DIALECTS, startTestServer, type TestServer } from "../../testing/harness.ts";
import { asTestUser, bootstrapOrg, call, makeOrg, makeUser, type TestUser } from "../../testing/factories.ts";
import { openSocket } from "../../gateway/test-client.ts";
import { hashSecret } from "../../platform/ids.ts";

for (const dialect of DIALECTS) {
  describe(`API keys and service accounts (${dialect})`, () => {
    let s: TestServer;
    let owner: TestUser;
    let other: TestUser;
    before(async () => {
      s = await startTestServer({ dialect });
      owner = await bootstrapOrg(s, { orgSlug: "acme" });
      other = await makeOrg(s, "other");
    });
    after(() => s.stop());

    const exchange = (key: string) => call(s, "POST", "/auth/api-key", { key, deviceName: "ci runner" });

    it("creates a key shown once and stored hashed; a read key reads but does not write", async () => {
      const u = await makeUser(s, owner);
      assert.equal((await u.api("POST", "/me/api-keys", { name: "admin?", scopes: ["admin"] })).status, 403, "admin scope for admins only");
      const created = await u.api("POST", "/me/api-keys", { name: "dashboard", scopes: ["read"], expiresInDays: 30 });
      assert.equal(created.status, 201);
      assert.equal(created.headers.get("cache-control"), "no-store");
      const key: string = created.body.key;
      assert.match(key, /^pk_[A-Za-z0-9_-]{43}$/);
      assert.equal(created.body.apiKey.prefix, key.slice(0, 8));
      const stored = await s.deps.db.selectFrom("api_keys").selectAll().where("id", "=", created.body.apiKey.id).executeTakeFirstOrThrow();
      assert.equal(stored.key_hash, hashSecret(key));
      assert.ok(!JSON.stringify(stored).includes(key));
      const listed = (await u.api("GET", "/me/api-keys")).body.apiKeys;
      assert.equal(listed.length, 1);
      assert.ok(!JSON.stringify(listed).includes(key));

      const r = await exchange(key);
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.equal(r.body.user.id, u.user.id);
      const bot = asTestUser(s, r.body, "");
      assert.equal((await bot.api("GET", "/channels")).status, 200);
      const write = await bot.api("POST", "/channels", { kind: "public", name: "nope" });
      assert.equal(write.status, 403);
      assert.match(write.body.message, /write scope/);
      assert.equal((await bot.api("POST", "/me/api-keys", { name: "escalate", scopes: ["read"] })).status, 403, "a key cannot mint keys");
      const session = await s.deps.db.selectFrom("sessions").selectAll().where("id", "=", r.body.sessionId).executeTakeFirstOrThrow();
      assert.ok(Number(session.expires_at) <= created.body.apiKey.expiresAt, "the session never outlives the key");
      assert.ok((await u.api("GET", "/me/api-keys")).body.apiKeys[0].lastUsedAt);
      const used = await s.deps.db
        .selectFrom("audit_log")
        .select(["actor_kind", "result"])
        .where("action", "=", "api_key.used")
        .where("target_id", "=", created.body.apiKey.id)
        .execute();
      assert.deepEqual(used, [{ actor_kind: "service_token", result: "success" }]);

      // Over the WebSocket a read key receives but may not send.
      const ws = await openSocket(s.url);
      ws.send({ t: "hello", token: bot.accessToken });
      await ws.waitFor((f) => f.t === "ready");
      ws.send({ t: "send", ref: "r1", channelId: "chan", clientId: "abcdefgh123", kind: "message", content: "AAAA" });
      const err = await ws.waitFor((f) => f.t === "error" && (f as { ref?: string }).ref === "r1");
      assert.equal((err as { code: string }).code, "forbidden");
      await ws.close();
    });

    it("revoking or expiry ends the key and its sessions; refusals are audited", async () => {
      const u = await makeUser(s, owner);
      const { key, apiKey } = (await u.api("POST", "/me/api-keys", { name: "ci", scopes: ["read", "write"], expiresInDays: 1 })).body;
      const bot = asTestUser(s, (await exchange(key)).body, "");
      assert.equal((await bot.api("POST", "/channels", { kind: "public", name: `ci-${Date.now()}` })).status, 201, "write scope writes");
      assert.equal((await other.api("DELETE", `/api-keys/${apiKey.id}`)).status, 404);
      assert.equal((await owner.api("DELETE", `/me/api-keys/${apiKey.id}`)).status, 404, "not the owner's own key");
      assert.equal((await u.api("DELETE", `/me/api-keys/${apiKey.id}`)).status, 204);
      assert.equal((await bot.api("GET", "/channels")).status, 401);
      assert.equal((await exchange(key)).body.code, "invalid_credentials");
      assert.equal((await exchange("pk_" + "x".repeat(43))).body.code, "invalid_credentials");

      const second = (await u.api("POST", "/me/api-keys", { name: "short", scopes: ["read"], expiresInDays: 1 })).body;
      const real = s.deps.now;
      s.deps.now = () => real() + 25 * 3_600_000;
      try {
        assert.equal((await exchange(second.key)).body.code, "invalid_credentials");
      } finally {
        s.deps.now = real;
      }
      const refused = await s.deps.db.selectFrom("audit_log").select("details").where("action", "=", "api_key.used").where("result", "=", "failure").execute();
      assert.ok(refused.some((r) => String(r.details).includes("revoked")));
      assert.ok(refused.some((r) => String(r.details).includes("expired")));
    });

    it("lets admins create service accounts, give them keys, and list or revoke every key within the role rules", async () => {
      const member = await makeUser(s, owner);
      const admin = await makeUser(s, owner, { role: "admin" });
      assert.equal((await member.api("POST", "/service-accounts", { username: "bot-x", displayName: "Bot" })).status, 403);
      const sa = await admin.api("POST", "/service-accounts", { username: "ci-bot", displayName: "CI bot" });
      assert.equal(sa.status, 201, JSON.stringify(sa.body));
      assert.equal(sa.body.service, true);
      assert.equal((await admin.api("POST", "/service-accounts", { username: "ci-bot", displayName: "again" })).body.code, "already_exists");
      assert.deepEqual(
        (await admin.api("GET", "/service-accounts")).body.serviceAccounts.map((u: { username: string }) => u.username),
        ["ci-bot"],
      );
      assert.equal((await call(s, "POST", "/auth/login", { org: "acme", username: "ci-bot", password: "anything at all" })).body.code, "invalid_credentials");
      assert.equal(
        (await admin.api("POST", `/service-accounts/${member.user.id}/api-keys`, { name: "k", scopes: ["read"] })).status,
        404,
        "not a service account",
      );
      const k = await admin.api("POST", `/service-accounts/${sa.body.id}/api-keys`, { name: "deploy", scopes: ["read", "write"] });
      assert.equal(k.status, 201);
      // The org requires MFA of members: a service account's key still signs in fully.
      assert.equal((await owner.api("PUT", "/org/mfa-policy", { required: true, roles: ["member"], graceDays: 0 })).status, 200);
      const bot = asTestUser(s, (await exchange(k.body.key)).body, "");
      assert.equal((await bot.api("GET", "/me")).body.user.username, "ci-bot");
      assert.equal((await bot.api("GET", "/channels")).status, 200);
      await owner.api("PUT", "/org/mfa-policy", { required: false, roles: ["member"], graceDays: 0 });

      const ownerKey = (await owner.api("POST", "/me/api-keys", { name: "owner's", scopes: ["admin"] })).body;
      const all = (await admin.api("GET", "/api-keys")).body.apiKeys.map((x: { id: string }) => x.id);
      assert.ok(all.includes(k.body.apiKey.id) && all.includes(ownerKey.apiKey.id));
      assert.equal((await member.api("GET", "/api-keys")).status, 403);
      assert.equal((await admin.api("DELETE", `/api-keys/${ownerKey.apiKey.id}`)).status, 403, "an owner's key: owners only");
      assert.equal((await admin.api("DELETE", `/api-keys/${k.body.apiKey.id}`)).status, 204);
      assert.equal((await bot.api("GET", "/me")).status, 401);
      // An admin-scoped key administers as far as its owner's role allows.
      const ownerBot = asTestUser(s, (await exchange(ownerKey.key)).body, "");
      assert.equal((await ownerBot.api("GET", "/audit?limit=1")).status, 200);
    });
  });
}
