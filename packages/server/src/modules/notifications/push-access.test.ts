/**
 * A push goes only to a device that could read the channel now (access/offline-read.ts): a
 * member whom an org policy forbids to read a channel gets no push for it — as the gateway
 * sends them none of its events — and gets them again once the policy is gone; a device whose
 * sessions ended, and a deactivated user's device, get none although their subscriptions stay.
 * Against the real push receiver (testing/push-receiver.ts); SQLite and PostgreSQL.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { DIALECTS, startTestServer } from "../../testing/harness.ts";
import { sealFromMembers } from "../../testing/policies.ts";
import { bootstrapOrg, makeUser, type TestUser } from "../../testing/factories.ts";
import { waitForJobsIdle } from "../../testing/jobs.ts";
import { startPushReceiver, type PushReceiver } from "../../testing/push-receiver.ts";

let n = 0;
const cid = () => `push-access-${process.pid}-${++n}`;

async function subscribe(u: TestUser, r: PushReceiver): Promise<string> {
  const sub = r.subscribe();
  const res = await u.api("POST", "/push/subscriptions", { endpoint: sub.endpoint, keys: sub.keys });
  assert.equal(res.status, 201, JSON.stringify(res.body));
  return sub.name;
}

for (const dialect of DIALECTS) {
  test(`pushes follow what a device may read now: org policies, ended sessions, deactivation (${dialect})`, async (t) => {
    const s = await startTestServer({ dialect, config: { pushAllowLoopback: true, pushMinIntervalSeconds: 0 } });
    t.after(() => s.stop());
    const owner = await bootstrapOrg(s, { orgSlug: `push-access-${dialect}` });
    const [bob, carol, dave] = [await makeUser(s, owner), await makeUser(s, owner), await makeUser(s, owner)];
    const r = await startPushReceiver((await bob.api("GET", "/push/vapid-key")).body.publicKey);
    t.after(() => r.close());
    const everyone = [bob.user.id, carol.user.id, dave.user.id];
    const sealed = (await owner.api("POST", "/channels", { kind: "private", name: "sealed", members: everyone })).body.id as string;
    const open = (await owner.api("POST", "/channels", { kind: "private", name: "open", members: everyone })).body.id as string;
    const subs = { bob: await subscribe(bob, r), carol: await subscribe(carol, r), dave: await subscribe(dave, r) };
    /** Mention them (all three by default) in the channel; who got a push for it. */
    const mentionAll = async (channelId: string, mentions = everyone) => {
      const before = r.accepted().length;
      const res = await owner.api("POST", `/channels/${channelId}/events`, { clientId: cid(), kind: "message", content: "AA==", mentions });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      await waitForJobsIdle(s.deps.db);
      const got = new Set(
        r
          .accepted()
          .slice(before)
          .map((p) => p.name),
      );
      return Object.entries(subs)
        .filter(([, name]) => got.has(name))
        .map(([who]) => who);
    };
    assert.deepEqual(await mentionAll(sealed), ["bob", "carol", "dave"]);

    // An org policy forbids members to read "sealed": no push for it, pushes for "open" go on.
    const policyId = await sealFromMembers(owner, bob, sealed);
    assert.deepEqual(await mentionAll(sealed), [], "nor does a push tell of it");
    assert.deepEqual(await mentionAll(open), ["bob", "carol", "dave"]);
    assert.equal((await owner.api("DELETE", `/org/policies/${policyId}`)).status, 204);
    assert.deepEqual(await mentionAll(sealed), ["bob", "carol", "dave"]);

    // The last message mentions bob only: carol and dave hear of every message, were they allowed to.
    for (const u of [carol, dave]) assert.equal((await u.api("PATCH", "/me/notifications", { level: "all" })).status, 200);
    // Carol ends her session (her subscription stays): her device is signed out, no push.
    const sessions = (await carol.api("GET", "/sessions")).body.sessions as Array<{ id: string; current: boolean }>;
    assert.equal(sessions.length, 1);
    assert.equal((await carol.api("DELETE", `/sessions/${sessions[0]!.id}`)).status, 204);
    // Dave is deactivated (he can be mentioned no more).
    assert.equal((await owner.api("POST", `/users/${dave.user.id}/deactivate`)).status, 200);
    assert.deepEqual(await mentionAll(open, [bob.user.id]), ["bob"]);
    const kept = await s.deps.db.selectFrom("push_subscriptions").select("user_id").where("user_id", "in", [carol.user.id, dave.user.id]).execute();
    assert.equal(kept.length, 2, "their subscriptions were not deleted: the fan-out decided");
  });
}
