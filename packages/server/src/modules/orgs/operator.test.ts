/**
 * The server operator (issue 10): with an operator token, list, create, suspend and
 * restore orgs over the API; without one, nothing. A suspended org's sessions end and no
 * one in it can sign in until it is restored.
 */
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { DIALECTS, startTestServer, type TestServer } from "../../testing/harness.ts";
import { asTestUser, bootstrapOrg, call, loginUser, makeUser, TEST_PASSWORD, type TestUser } from "../../testing/factories.ts";
import { createOperatorToken } from "./operator.ts";

for (const dialect of DIALECTS) {
  describe(`server operator (${dialect})`, () => {
    let s: TestServer;
    let owner: TestUser;
    let op: Record<string, string>;
    before(async () => {
      s = await startTestServer({ dialect });
      owner = await bootstrapOrg(s, { orgSlug: "acme" });
      const { token } = await createOperatorToken(s.deps, "ops team");
      assert.match(token, /^op_/);
      op = { authorization: `Bearer ${token}` };
    });
    after(() => s.stop());

    it("refuses every operator route without a valid operator token, org owners' tokens included", async () => {
      const attempts: Array<Record<string, string>> = [{}, { authorization: `Bearer ${owner.accessToken}` }, { authorization: "Bearer op_notatoken" }];
      for (const auth of attempts) {
        const r = await call(s, "GET", "/operator/orgs", undefined, auth);
        assert.equal(r.status, 401, JSON.stringify(auth));
      }
      assert.equal((await call(s, "POST", "/operator/orgs", { slug: "x-org", name: "X", owner: { username: "boss", displayName: "Boss" } })).status, 401);
      assert.equal((await call(s, "GET", "/operator/orgs", undefined, op)).status, 200);
    });

    it("creates an org whose owner sets a password through the link, lists orgs with their users", async () => {
      const bad = await call(s, "POST", "/operator/orgs", { slug: "Bad Slug", name: "X", owner: { username: "boss", displayName: "Boss" } }, op);
      assert.equal(bad.body.code, "validation_failed");
      const r = await call(s, "POST", "/operator/orgs", { slug: "globex", name: "Globex", owner: { username: "hank", displayName: "Hank" } }, op);
      assert.equal(r.status, 201, JSON.stringify(r.body));
      assert.equal(r.body.emailed, false);
      assert.equal(r.headers.get("cache-control"), "no-store");
      assert.equal(
        (await call(s, "POST", "/operator/orgs", { slug: "globex", name: "Again", owner: { username: "xavier", displayName: "X" } }, op)).body.code,
        "already_exists",
      );
      // No password yet: the link sets one.
      assert.equal((await call(s, "POST", "/auth/login", { org: "globex", username: "hank", password: TEST_PASSWORD })).status, 401);
      const token = new URL(r.body.setPasswordUrl).hash.replace("#token=", "");
      assert.equal((await call(s, "POST", "/auth/password-reset/complete", { token, newPassword: "violet anchor mountain tea" })).status, 204);
      const hank = asTestUser(s, await loginUser(s, "globex", "hank", "violet anchor mountain tea"), "violet anchor mountain tea");
      assert.equal((await hank.api("GET", "/me")).body.user.role, "owner");
      // Org admins see their own org only.
      assert.equal((await hank.api("GET", `/users/${owner.user.id}`)).status, 404);
      const orgs = (await call(s, "GET", "/operator/orgs", undefined, op)).body.orgs;
      assert.deepEqual(
        orgs.map((o: { slug: string; users: number }) => [o.slug, o.users]),
        [
          ["acme", 1],
          ["globex", 1],
        ],
      );
      const audit = await s.deps.db
        .selectFrom("audit_log")
        .select(["action", "actor_kind"])
        .where("org_id", "=", r.body.org.id)
        .where("action", "=", "org.created")
        .execute();
      assert.deepEqual(audit, [{ action: "org.created", actor_kind: "system" }]);
    });

    it("suspends an org: its sessions end, nobody signs in; restoring lets them back", async () => {
      const member = await makeUser(s, owner);
      const orgId = owner.org.id;
      const r = await call(s, "POST", `/operator/orgs/${orgId}/suspend`, { reason: "unpaid invoice" }, op);
      assert.equal(r.status, 200);
      assert.equal(r.body.suspended, true);
      assert.equal(r.body.suspendedReason, "unpaid invoice");
      assert.equal((await member.api("GET", "/me")).status, 401);
      const login = await call(s, "POST", "/auth/login", { org: "acme", username: member.user.username, password: TEST_PASSWORD });
      assert.equal(login.status, 403);
      assert.equal(login.body.code, "org_suspended");
      assert.equal((await call(s, "POST", "/operator/orgs/nope/suspend", { reason: "x" }, op)).status, 404);
      const restored = await call(s, "POST", `/operator/orgs/${orgId}/restore`, undefined, op);
      assert.equal(restored.body.suspended, false);
      await loginUser(s, "acme", member.user.username, TEST_PASSWORD);
      const audit = await s.deps.db
        .selectFrom("audit_log")
        .select("action")
        .where("org_id", "=", orgId)
        .where("action", "in", ["org.suspended", "org.restored"])
        .orderBy("seq")
        .execute();
      assert.deepEqual(
        audit.map((a) => a.action),
        ["org.suspended", "org.restored"],
      );
      owner = asTestUser(s, await loginUser(s, "acme", "owner", TEST_PASSWORD), TEST_PASSWORD);
    });
  });
}
