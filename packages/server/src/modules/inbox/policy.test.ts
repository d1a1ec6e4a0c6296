/**
 * The inbox obeys the org's policies (issue 13): a member whom a Cedar policy forbids to read a
 * channel gets no mention or thread of it from /inbox — as the gateway sends them none of its
 * events and REST refuses its history — and gets them again once the policy is gone.
 * SQLite and PostgreSQL.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { DIALECTS, startTestServer } from "../../testing/harness.ts";
import { sealFromMembers } from "../../testing/policies.ts";
import { bootstrapOrg, makeUser } from "../../testing/factories.ts";
import { send } from "../../testing/inbox.ts";

for (const dialect of DIALECTS) {
  test(`inbox lists drop channels a policy forbids the caller to read (${dialect})`, async (t) => {
    const s = await startTestServer({ dialect });
    t.after(() => s.stop());
    const owner = await bootstrapOrg(s, { orgSlug: `inbox-policy-${dialect}` });
    const bob = await makeUser(s, owner);
    const sealed = (await owner.api("POST", "/channels", { kind: "private", name: "sealed", members: [bob.user.id] })).body.id as string;
    const open = (await owner.api("POST", "/channels", { kind: "private", name: "open", members: [bob.user.id] })).body.id as string;
    const sealedRoot = await send(owner, sealed, { mentions: [bob.user.id] });
    await send(bob, sealed, { threadRoot: sealedRoot }); // bob replies: he follows the thread
    const openRoot = await send(owner, open, { mentions: [bob.user.id] });
    await send(bob, open, { threadRoot: openRoot });
    const lists = async () => ({
      mentions: ((await bob.api("GET", "/inbox/mentions")).body.mentions as Array<{ channelId: string }>).map((m) => m.channelId).sort(),
      threads: ((await bob.api("GET", "/inbox/threads")).body.threads as Array<{ channelId: string }>).map((m) => m.channelId).sort(),
    });
    const both = [open, sealed].sort();
    assert.deepEqual(await lists(), { mentions: both, threads: both });

    const policyId = await sealFromMembers(owner, bob, sealed);
    assert.deepEqual(await lists(), { mentions: [open], threads: [open] }, "nor does the inbox list it");

    assert.equal((await owner.api("DELETE", `/org/policies/${policyId}`)).status, 204);
    assert.deepEqual(await lists(), { mentions: both, threads: both });
  });
}
