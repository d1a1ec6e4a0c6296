import test from "node:test";
import assert from "node:assert/strict";
import { DIALECTS, startTestServer } from "../../testing/harness.ts";
import { bootstrapOrg, call, TEST_PASSWORD } from "../../testing/factories.ts";
import { readPii, verifyAuditDatabase } from "./index.ts";

for (const dialect of DIALECTS) {
  test(`audit entries of login and invite commands; none when the command rolls back (${dialect})`, { timeout: 60_000 }, async () => {
    const s = await startTestServer({ dialect });
    try {
      const owner = await bootstrapOrg(s, { orgSlug: "acme" });
      const orgId = owner.user.orgId;
      const entries = () => s.deps.db.selectFrom("audit_log").selectAll().where("org_id", "=", orgId).orderBy("seq").execute();
      const login = (over: Record<string, unknown>) => call(s, "POST", "/auth/login", { org: "acme", username: "owner", password: TEST_PASSWORD, ...over });

      const inv = await owner.api("POST", "/invites", { role: "member", maxUses: 2 });
      assert.equal(inv.status, 201);
      const [created] = (await entries()).filter((e) => e.action === "org.invite.created");
      assert.ok(created);
      assert.deepEqual(
        [created.actor_kind, created.actor_id, created.actor_device_id, created.target_id, created.result],
        ["device", owner.user.id, owner.tokens.deviceId, inv.body.id, "success"],
      );
      assert.deepEqual(JSON.parse(created.details), { emailed: false, expiresAt: inv.body.expiresAt, maxUses: 2, role: "member" });
      assert.ok(!JSON.stringify(created).includes(inv.body.token), "the invite token is never recorded");

      const ok = await login({ deviceName: "laptop" });
      assert.equal(ok.status, 200);
      const succeeded = (await entries()).filter((e) => e.action === "auth.login.succeeded");
      assert.equal(succeeded.length, 1);
      assert.equal(succeeded[0]!.target_id, ok.body.sessionId);
      assert.deepEqual(await readPii(s.deps.db, s.deps.kms, orgId, owner.user.id, succeeded[0]!.pii!), { ip: "127.0.0.1" });

      const wrong = await login({ password: "not the password" });
      assert.equal(wrong.status, 401);
      const failed = (await entries()).filter((e) => e.action === "auth.login.failed");
      assert.deepEqual(
        failed.map((e) => [e.result, e.target_id, JSON.parse(e.details).reason]),
        [["failure", owner.user.id, "wrong_password"]],
      );
      assert.ok(!JSON.stringify(failed).includes("not the password"));

      // A sign-in whose transaction rolls back (someone else's device) leaves no entry.
      const before = (await entries()).length;
      const rolledBack = await login({ deviceId: "dev_not_mine" });
      assert.equal(rolledBack.status, 400);
      assert.equal((await entries()).length, before);
      const head = await s.deps.db.selectFrom("audit_heads").select("seq").where("org_id", "=", orgId).executeTakeFirstOrThrow();
      assert.equal(head.seq, before, "no seq was used up");
      assert.deepEqual((await verifyAuditDatabase(s.deps.db)).problems, []);
    } finally {
      await s.stop();
    }
  });
}
