/**
 * Security-relevant commands write their audit entry through runCommand's fx.audit, in
 * the command's own transaction: one entry per change, with the acting device, the
 * target and facts (never content or secrets); refused commands leave none; the chain
 * verifies afterwards. (Sign-in and invites: wiring.test.ts.)
 */
import test from "node:test";
import assert from "node:assert/strict";
import { DIALECTS, startTestServer } from "../../testing/harness.ts";
import { bootstrapOrg, makeUser, type TestUser } from "../../testing/factories.ts";
import { readPii, verifyAuditDatabase } from "./index.ts";

for (const dialect of DIALECTS) {
  test(`users, sessions, devices, channels, membership and the MLS suite are audited; refusals are not (${dialect})`, { timeout: 90_000 }, async () => {
    const s = await startTestServer({ dialect });
    try {
      const owner = await bootstrapOrg(s, { orgSlug: "audited" });
      const orgId = owner.user.orgId;
      const bob = await makeUser(s, owner, { username: "bob" });
      const carol = await makeUser(s, owner, { username: "carol" });
      let seen = (await s.deps.db.selectFrom("audit_log").select("seq").where("org_id", "=", orgId).execute()).length;
      /** Run one call; expect exactly one new entry with `action`, by `who`, on `targetId`. */
      const expectEntry = async (who: TestUser, action: string, targetId: string | undefined, run: () => Promise<{ status: number }>, status = 200) => {
        const r = await run();
        assert.equal(r.status, status, `${action}: HTTP ${r.status}`);
        const rows = await s.deps.db.selectFrom("audit_log").selectAll().where("org_id", "=", orgId).where("seq", ">", seen).orderBy("seq").execute();
        const mine = rows.filter((e) => e.action === action);
        assert.equal(mine.length, 1, `${action}: one entry (got ${rows.map((e) => e.action).join(", ") || "none"})`);
        const e = mine[0]!;
        assert.deepEqual([e.actor_kind, e.actor_id, e.actor_device_id, e.result], ["device", who.user.id, who.tokens.deviceId, "success"], action);
        if (targetId !== undefined) assert.equal(e.target_id, targetId, `${action}: target`);
        seen = Number(rows[rows.length - 1]!.seq);
        return e;
      };
      const expectNone = async (what: string, run: () => Promise<{ status: number }>, status: number) => {
        const r = await run();
        assert.equal(r.status, status, `${what}: HTTP ${r.status}`);
        const rows = await s.deps.db.selectFrom("audit_log").select("action").where("org_id", "=", orgId).where("seq", ">", seen).execute();
        assert.deepEqual(
          rows.map((e) => e.action),
          [],
          `${what}: no entry`,
        );
      };

      const inv = await owner.api("POST", "/invites", { role: "member" });
      seen += 1; // org.invite.created (wiring.test.ts)
      await expectEntry(owner, "org.invite.revoked", inv.body.id, () => owner.api("DELETE", `/invites/${inv.body.id}`), 204);
      await expectNone("revoking it again changes nothing", () => owner.api("DELETE", `/invites/${inv.body.id}`), 204);

      const role = await expectEntry(owner, "user.role.changed", bob.user.id, () => owner.api("PUT", `/users/${bob.user.id}/role`, { role: "admin" }));
      assert.deepEqual(JSON.parse(role.details), { from: "member", to: "admin" });
      await expectNone("a member may not change roles", () => carol.api("PUT", `/users/${bob.user.id}/role`, { role: "member" }), 403);

      let ch = "";
      await expectEntry(
        owner,
        "channel.created",
        undefined,
        async () => {
          const r = await owner.api("POST", "/channels", { kind: "private", name: "ops", members: [bob.user.id] });
          ch = r.body.id;
          return r;
        },
        201,
      );
      await expectEntry(owner, "channel.updated", ch, () => owner.api("PATCH", `/channels/${ch}`, { topic: "on call" }));
      await expectEntry(owner, "channel.archived", ch, () => owner.api("POST", `/channels/${ch}/archive`));
      await expectEntry(owner, "channel.unarchived", ch, () => owner.api("POST", `/channels/${ch}/unarchive`));
      await expectEntry(owner, "channel.member.added", ch, () => owner.api("POST", `/channels/${ch}/members`, { userIds: [carol.user.id] }));
      await expectEntry(owner, "channel.member.role_changed", ch, () => owner.api("PUT", `/channels/${ch}/members/${carol.user.id}/role`, { role: "admin" }));
      await expectEntry(owner, "channel.member.removed", ch, () => owner.api("DELETE", `/channels/${ch}/members/${carol.user.id}`), 204);
      await expectEntry(bob, "channel.member.left", ch, () => bob.api("POST", `/channels/${ch}/leave`), 204);
      await expectNone("a non-member cannot rename a private channel", () => carol.api("PATCH", `/channels/${ch}`, { topic: "mine" }), 404);

      const pub = await owner.api("POST", "/channels", { kind: "public", name: "general" });
      seen += 1;
      await expectEntry(carol, "channel.member.joined", pub.body.id, () => carol.api("POST", `/channels/${pub.body.id}/join`));
      await expectEntry(owner, "channel.created", undefined, () => owner.api("POST", "/dms", { userIds: [bob.user.id] }));

      await expectEntry(owner, "org.mls_suite.changed", orgId, () => owner.api("PUT", "/e2ee/config", { suite: "xwing" }));
      await expectNone("a member may not change the suite", () => carol.api("PUT", "/e2ee/config", { suite: "default" }), 403);

      await expectEntry(
        owner,
        "device.revoked",
        carol.tokens.deviceId,
        () => owner.api("DELETE", `/users/${carol.user.id}/devices/${carol.tokens.deviceId}`),
        204,
      );
      await expectEntry(owner, "user.deactivated", carol.user.id, () => owner.api("POST", `/users/${carol.user.id}/deactivate`));
      await expectEntry(owner, "user.reactivated", carol.user.id, () => owner.api("POST", `/users/${carol.user.id}/reactivate`));
      const renamed = await expectEntry(bob, "device.renamed", bob.tokens.deviceId, () =>
        bob.api("PATCH", `/devices/${bob.tokens.deviceId}`, { name: "work laptop" }),
      );
      const names = (await readPii(s.deps.db, s.deps.kms, orgId, bob.user.id, renamed.pii!)) as { from: string; to: string };
      assert.equal(names.to, "work laptop", "the names are in the sealed part");
      assert.ok(!renamed.details.includes("work laptop"), "and only there");
      await expectNone("renaming another user's device", () => bob.api("PATCH", `/devices/${owner.tokens.deviceId}`, { name: "mine now" }), 404);
      const profile = await expectEntry(bob, "user.profile.updated", bob.user.id, () => bob.api("PATCH", "/me", { displayName: "Bobby Tables" }));
      assert.deepEqual(JSON.parse(profile.details), { fields: ["displayName"] });
      assert.equal(((await readPii(s.deps.db, s.deps.kms, orgId, bob.user.id, profile.pii!)) as { to: string }).to, "Bobby Tables");
      await expectEntry(bob, "auth.logout", bob.tokens.sessionId, () => bob.api("POST", "/auth/logout"), 204);

      assert.deepEqual((await verifyAuditDatabase(s.deps.db)).problems, []);
    } finally {
      await s.stop();
    }
  });
}
