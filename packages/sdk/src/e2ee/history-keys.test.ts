/**
 * History keys (issue 9, ADR 0007) through real SDK clients and a real server: every device keeps
 * the key of each epoch it was in, members derive the same key per epoch with no message, a new
 * member holds none from before it joined, and a removed member none from after its removal.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { MemoryKeyStore, openArchiveCopy } from "@parley/crypto";
import { startTestServer } from "@parley/server/testing/harness";
import { collect, FAST, makeOrg, until } from "../testing/e2ee-clients.ts";
import { heldHistoryEpochs, heldHistoryKey, HistoryKeys, historyKeysOf } from "./history-keys.ts";

test("each device keeps the history key of every epoch it was in: equal across members, none before joining or after removal", async (t) => {
  const server = await startTestServer();
  t.after(() => server.stop());
  const stores = { alice: new MemoryKeyStore(), bob: new MemoryKeyStore(), carol: new MemoryKeyStore() };
  const opts = (ks: MemoryKeyStore) => ({ e2ee: { ...FAST.e2ee, keyStore: ks } });
  const org = await makeOrg(server.url, opts(stores.alice));
  t.after(() => org.closeAll());
  const alice = org.owner;
  const bob = await org.user("bob", opts(stores.bob));
  const carol = await org.user("carol", opts(stores.carol));
  for (const c of [alice, bob, carol]) c.connect();
  await Promise.all([alice, bob, carol].map((c) => c.waitUntilLive()));

  // joined: no past keys are handed to carol when she is added (share-keys.test.ts covers shared channels).
  const ch = await alice.createChannel({ kind: "private", name: "keys", members: [bob.userId], history: "joined" });
  const epochs = (ks: MemoryKeyStore) => heldHistoryEpochs(ks, ch.id, 0);
  const key = async (ks: MemoryKeyStore, e: number) => {
    const k = await heldHistoryKey(ks, ch.id, 0, e);
    return k && Buffer.from(k).toString("hex");
  };
  /** Wait until `ks` holds the key of epoch `e`. */
  const holds = async (who: string, ks: MemoryKeyStore, e: number) => {
    const end = Date.now() + 15_000;
    while (!(await epochs(ks)).includes(e)) {
      if (Date.now() > end) throw new Error(`timed out: ${who} holds the key of epoch ${e} (holds ${(await epochs(ks)).join(", ")})`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  await alice.sendMessage(ch.id, "hello bob");
  const first = Math.max(...(await epochs(stores.alice)));
  await holds("bob", stores.bob, first);
  assert.equal(await key(stores.bob, first), await key(stores.alice, first), "members derive the same key, with no message");
  assert.equal((await key(stores.alice, first))?.length, 64, "32 bytes");

  await alice.addMembers(ch.id, [carol.userId]);
  const added = first + 1;
  await holds("alice", stores.alice, added);
  await holds("bob", stores.bob, added);
  await holds("carol", stores.carol, added);
  assert.notEqual(await key(stores.alice, added), await key(stores.alice, first), "a commit changes the key");
  assert.equal(await key(stores.bob, added), await key(stores.alice, added));
  assert.equal(await key(stores.carol, added), await key(stores.alice, added));
  assert.deepEqual(await epochs(stores.carol), [added], "a new member holds no key from before it joined");

  await alice.removeMember(ch.id, carol.userId);
  await until(() => !alice.e2ee!.members(ch.id)!.some((m) => m.userId === carol.userId), "carol's leaf is removed");
  const removed = added + 1;
  await holds("alice", stores.alice, removed);
  await holds("bob", stores.bob, removed);
  assert.equal(await key(stores.bob, removed), await key(stores.alice, removed));
  await alice.sendMessage(ch.id, "after carol");
  await new Promise((r) => setTimeout(r, 300));
  assert.deepEqual(await epochs(stores.carol), [added], "a removed member holds no key from after its removal");
  assert.deepEqual(
    (await historyKeysOf(stores.carol).ofChannel(ch.id)).map((k) => k.epoch),
    [added],
    "in any generation",
  );
});

test("sends carry an archive copy that members' history keys open to the same payload; device-only channels get none, even when the client's view of the policy is stale", async (t) => {
  const server = await startTestServer();
  t.after(() => server.stop());
  const stores = { alice: new MemoryKeyStore(), bob: new MemoryKeyStore() };
  const opts = (ks: MemoryKeyStore) => ({ e2ee: { ...FAST.e2ee, keyStore: ks } });
  const org = await makeOrg(server.url, opts(stores.alice));
  t.after(() => org.closeAll());
  const alice = org.owner;
  const bob = await org.user("bob", opts(stores.bob));
  for (const c of [alice, bob]) c.connect();
  await Promise.all([alice, bob].map((c) => c.waitUntilLive()));

  const ch = await alice.createChannel({ kind: "private", name: "archived", members: [bob.userId] });
  assert.equal(ch.history, "shared");
  const seenBob = collect(bob, ch.id);
  const sent = await alice.sendMessage(ch.id, "kept for later devices");
  await until(() => seenBob.length >= 1, "bob reads it live");
  const { events } = await bob.api.call("listEvents", { params: { channelId: ch.id }, query: { after: 0 } });
  const stored = events.find((e) => e.clientId === sent.event.clientId)!;
  assert.ok(stored.archive, "the server stores the archive copy with the event");
  const hk = await heldHistoryKey(stores.bob, ch.id, 0, stored.epoch);
  assert.ok(hk, "bob holds the key of the message's epoch");
  const payload = await openArchiveCopy({
    hk,
    orgId: alice.session!.orgId,
    channelId: ch.id,
    generation: 0,
    epoch: BigInt(stored.epoch),
    clientId: stored.clientId,
    senderDeviceId: stored.senderDeviceId,
    bytes: Buffer.from(stored.archive, "base64"),
    senderSignaturePublicKey: alice.e2ee!.identity.signaturePublicKey,
    suite: "default",
  });
  const opened = JSON.parse(new TextDecoder().decode(payload)) as { kind: string; content: { text: string } };
  assert.deepEqual([opened.kind, opened.content.text], ["message", "kept for later devices"], "the copy holds what the MLS message holds");

  const quiet = await alice.createChannel({ kind: "private", name: "device-only", members: [bob.userId], history: "device-only" });
  const none = await alice.sendMessage(quiet.id, "no copy");
  assert.equal(none.event.archive, undefined, "a device-only channel gets no archive copy");

  // The policy changes behind the client's back (no channel.updated reaches it): the copy is refused, the send goes out without it.
  await server.deps.db.updateTable("channels").set({ history: "device-only" }).where("id", "=", ch.id).execute();
  const stale = await alice.sendMessage(ch.id, "sent after the switch");
  assert.equal(stale.event.archive, undefined, "sent again without the copy");
  await until(() => seenBob.some((e) => e.text === "sent after the switch"), "bob reads it");
});

test("keys are kept one record per channel generation; keys kept one per entry by earlier versions move into records once", async () => {
  const ks = new MemoryKeyStore();
  const key = (n: number) => new Uint8Array(32).fill(n);
  await ks.put("sdk/hk/chA/0/000000000003", key(3));
  await ks.put("sdk/hk/chA/0/000000000001", key(1));
  await ks.put("sdk/hk/chA/1/000000000000", key(9));
  const hks = historyKeysOf(ks);
  assert.equal(historyKeysOf(ks), hks, "one instance per key store");
  assert.deepEqual(await hks.epochs("chA", 0), [1, 3]);
  assert.deepEqual(await ks.list("sdk/hk/"), [], "the legacy entries are gone");
  assert.deepEqual(await ks.list("sdk/hks/"), ["sdk/hks/chA/0", "sdk/hks/chA/1"]);
  assert.deepEqual(
    await hks.add("chA", 0, [
      { epoch: 3, key: key(7) },
      { epoch: 2, key: key(2) },
      { epoch: 5, key: new Uint8Array(5) },
    ]),
    [2],
    "held keys are never replaced; malformed ones are skipped",
  );
  assert.deepEqual(await hks.get("chA", 0, 3), key(3));
  // A fresh instance over the same store reads the same record back.
  const again = new HistoryKeys(ks);
  assert.deepEqual(
    (await again.ofChannel("chA")).map((k) => [k.generation, k.epoch, k.key[0]]),
    [
      [0, 1, 1],
      [0, 2, 2],
      [0, 3, 3],
      [1, 0, 9],
    ],
  );
  assert.deepEqual(await again.channels(), ["chA"]);
});
