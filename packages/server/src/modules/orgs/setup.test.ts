import { describe, it, after } from "node:test";
import assert from "node:assert/strict";
import { DIALECTS, startTestServer, TEST_SETUP_TOKEN, type TestServer } from "../../testing/harness.ts";
import { call, identityCounts, TEST_PASSWORD } from "../../testing/factories.ts";
import { createOrgWithOwner } from "./create-org.ts";

const body = (over: Record<string, unknown> = {}) => ({
  setupToken: TEST_SETUP_TOKEN,
  orgSlug: "acme",
  orgName: "Acme",
  username: "alice",
  displayName: "Alice",
  password: TEST_PASSWORD,
  deviceName: "laptop",
  ...over,
});

for (const dialect of DIALECTS) {
  describe(`first-run setup (${dialect})`, () => {
    const servers: TestServer[] = [];
    after(async () => {
      await Promise.all(servers.map((s) => s.stop()));
    });

    it("creates the first org once; rejects bad input and wrong tokens without writing", async () => {
      const s = await startTestServer({ dialect });
      servers.push(s);
      assert.equal(s.setupToken, TEST_SETUP_TOKEN);
      assert.deepEqual((await call(s, "GET", "/setup")).body.needsSetup, true);
      const empty = await identityCounts(s);

      const bad = await call(s, "POST", "/setup", body({ orgSlug: "Not A Slug", password: "short" }));
      assert.equal(bad.status, 400);
      assert.equal(bad.body.code, "validation_failed");
      const wrong = await call(s, "POST", "/setup", body({ setupToken: "x".repeat(27) }));
      assert.equal(wrong.status, 403);
      assert.equal(wrong.body.code, "forbidden");
      assert.deepEqual(await identityCounts(s), empty);

      const ok = await call(s, "POST", "/setup", body());
      assert.equal(ok.status, 201);
      assert.equal(ok.body.user.role, "owner");
      assert.equal(ok.body.org.slug, "acme");
      assert.ok(ok.body.accessToken && ok.body.refreshToken && ok.body.deviceId && ok.body.sessionId);
      const me = await call(s, "GET", "/me", undefined, { authorization: `Bearer ${ok.body.accessToken}` });
      assert.equal(me.status, 200);
      assert.equal(me.body.user.username, "alice");
      assert.equal((await call(s, "GET", "/setup")).body.needsSetup, false);

      const after1 = await identityCounts(s);
      const again = await call(s, "POST", "/setup", body({ orgSlug: "other" }));
      assert.equal(again.status, 409);
      assert.equal(again.body.code, "setup_complete");
      assert.deepEqual(await identityCounts(s), after1);
    });

    it("generates a setup token per start when none is configured, storing only its hash", async () => {
      const s = await startTestServer({ dialect, config: { setupToken: undefined } });
      servers.push(s);
      const token = s.setupToken;
      assert.ok(token && token.length >= 32);
      const stored = await s.deps.db.selectFrom("meta").selectAll().execute();
      assert.ok(!JSON.stringify(stored).includes(token), "plaintext setup token must not be stored");
      assert.equal((await call(s, "POST", "/setup", body({ setupToken: TEST_SETUP_TOKEN }))).status, 403);
      const ok = await call(s, "POST", "/setup", body({ setupToken: token }));
      assert.equal(ok.status, 201);
      assert.equal((await call(s, "POST", "/setup", body({ setupToken: token, orgSlug: "x2" }))).body.code, "setup_complete");
    });

    it("createOrgWithOwner (CLI bootstrap) validates input and rejects a taken slug", async () => {
      const s = await startTestServer({ dialect });
      servers.push(s);
      const input = { orgSlug: "beta", orgName: "Beta", username: "bob", displayName: "Bob", password: TEST_PASSWORD };
      const { org, user } = await createOrgWithOwner(s.deps, input);
      assert.equal(org.slug, "beta");
      assert.equal(user.role, "owner");
      await assert.rejects(createOrgWithOwner(s.deps, input), { code: "already_exists" });
      await assert.rejects(createOrgWithOwner(s.deps, { ...input, orgSlug: "BAD SLUG" }), { code: "validation_failed" });
      // An org exists, so HTTP setup is closed even though it was never used.
      assert.equal((await call(s, "POST", "/setup", body())).body.code, "setup_complete");
      assert.equal((await call(s, "POST", "/auth/login", { org: "beta", username: "bob", password: TEST_PASSWORD, deviceName: "cli" })).status, 200);
    });
  });
}
