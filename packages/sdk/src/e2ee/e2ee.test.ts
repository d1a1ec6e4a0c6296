/**
 * End-to-end encryption through real SDK clients against a real server:
 * private channels, DMs and group DMs are MLS-encrypted by default and the
 * server stores only ciphertext.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { DIALECTS, startTestServer } from "@parley/server/testing/harness";
import { collect, makeOrg, texts, until } from "../testing/e2ee-clients.ts";

async function storedContents(server: Awaited<ReturnType<typeof startTestServer>>, channelId: string): Promise<string[]> {
  const rows = await server.deps.db.selectFrom("events").select(["content"]).where("channel_id", "=", channelId).execute();
  return rows.map((r) => Buffer.from(r.content as Uint8Array).toString("latin1"));
}

for (const dialect of DIALECTS) {
  test(`two users, three devices: private channel, DM and group DM are end-to-end encrypted (${dialect})`, async (t) => {
    const server = await startTestServer({ dialect });
    t.after(() => server.stop());
    const org = await makeOrg(server.url);
    t.after(() => org.closeAll());
    const alice = org.owner;
    const bob = await org.user("bob");
    const bob2 = await org.device("bob");
    const carol = await org.user("carol");
    assert.equal(alice.codec.name, "mls");
    assert.equal(alice.codec.encrypted, true);
    for (const c of org.clients) c.connect();
    await Promise.all(org.clients.map((c) => c.waitUntilLive()));

    const channel = await alice.createChannel({ kind: "private", name: "secret", members: [bob.userId] });
    const seenBob = collect(bob, channel.id);
    const seenBob2 = collect(bob2, channel.id);
    const seenAlice = collect(alice, channel.id);
    await alice.sendMessage(channel.id, "canary-1 hello bob");
    await bob.sendMessage(channel.id, "canary-2 hi alice");
    await bob2.sendMessage(channel.id, "canary-3 from my phone");
    await until(() => seenBob.length >= 3 && seenBob2.length >= 3 && seenAlice.length >= 3, "everyone sees 3 messages");
    for (const seen of [seenAlice, seenBob, seenBob2]) assert.deepEqual(texts(seen), ["canary-1 hello bob", "canary-2 hi alice", "canary-3 from my phone"]);
    assert.equal(seenAlice[1]!.senderDeviceId, bob.session!.deviceId);

    const dm = await alice.openDm([bob.userId]);
    const dmBob = collect(bob2, dm.id);
    await alice.sendMessage(dm.id, "canary-4 dm");
    await until(() => dmBob.length >= 1, "bob's phone gets the DM");
    assert.equal(dmBob[0]!.text, "canary-4 dm");

    const gdm = await bob.openDm([alice.userId, carol.userId]);
    const gdmCarol = collect(carol, gdm.id);
    await bob.sendMessage(gdm.id, "canary-5 group dm");
    await until(() => gdmCarol.length >= 1, "carol gets the group DM");
    assert.equal(gdmCarol[0]!.text, "canary-5 group dm");

    for (const id of [channel.id, dm.id, gdm.id]) {
      const stored = await storedContents(server, id);
      assert.ok(stored.length > 0);
      for (const c of stored) assert.ok(!c.includes("canary"), "the server stores ciphertext only");
    }
  });
}
