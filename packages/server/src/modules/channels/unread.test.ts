/**
 * Unread counts in the channel list: others' messages after the read receipt, capped at
 * 1,000, never the user's own; a heavy poster's count stays right with the bounded count
 * (issue 12: it reads at most the oldest and newest 1,000 messages after the receipt).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { DIALECTS, startTestServer } from "../../testing/harness.ts";
import { bootstrapOrg, makeUser, type TestUser } from "../../testing/factories.ts";
import { postText } from "../../gateway/test-client.ts";

/** Post `n` messages as `user`, 16 in flight (the server's group commit batches them). */
async function postMany(user: TestUser, channelId: string, n: number): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      while (next < n) {
        next++;
        await postText(user, channelId, "m");
      }
    }),
  );
}

async function counts(user: TestUser, channelId: string): Promise<{ unread: number; mentions: number }> {
  const r = await user.api("GET", "/channels");
  assert.equal(r.status, 200);
  const c = (r.body.channels as Array<{ id: string; unread: number; mentions: number }>).find((x) => x.id === channelId);
  assert.ok(c);
  return { unread: c.unread, mentions: c.mentions };
}

for (const dialect of DIALECTS) {
  test(`unread (${dialect}): own messages excluded, others' counted, capped at 1000`, async (t) => {
    const server = await startTestServer({ dialect });
    t.after(() => server.stop());
    const alice = await bootstrapOrg(server);
    const bob = await makeUser(server, alice);
    const c = (await alice.api("POST", "/channels", { kind: "private", name: "unread-cap", members: [bob.user.id] })).body.id as string;

    // Interleaved: 3 of bob's, 2 of alice's, 1 of bob's, a reaction (not a message).
    for (const [who, n] of [
      [bob, 3],
      [alice, 2],
      [bob, 1],
    ] as const)
      for (let i = 0; i < n; i++) await postText(who, c, "x");
    const r = await bob.api("POST", `/channels/${c}/events`, { clientId: "react-1-abcdef", kind: "reaction", target: 1, content: "" });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.deepEqual(await counts(alice, c), { unread: 4, mentions: 0 });
    assert.deepEqual(await counts(bob, c), { unread: 2, mentions: 0 });

    // Heavy poster: alice posts 2,100 messages (more than both 1,000-message windows), then
    // bob one more: alice sees bob's 4 earlier ones and the new one, none of her own.
    await postMany(alice, c, 2100);
    await postText(bob, c, "after the run");
    assert.deepEqual(await counts(alice, c), { unread: 5, mentions: 0 });
    assert.equal((await counts(bob, c)).unread, 1000, "alice's 2,102 are capped for bob");
    // After reading up to the end: nothing; then 1,001 of bob's: capped.
    const last = (await alice.api("GET", `/channels/${c}`)).body.lastSeq as number;
    for (const u of [alice, bob]) assert.equal((await u.api("POST", `/channels/${c}/read`, { seq: last })).status, 200);
    assert.deepEqual(await counts(alice, c), { unread: 0, mentions: 0 });
    await postMany(bob, c, 1001);
    assert.equal((await counts(alice, c)).unread, 1000);
    assert.equal((await counts(bob, c)).unread, 0, "bob's own 1,001 never count for him");
  });
}
