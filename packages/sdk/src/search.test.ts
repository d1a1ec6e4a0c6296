/**
 * Search on the device (issue 9, done-means 4 at the SDK level): a new device of alice's, with her
 * past restored from the key locker, back-fills its index from history pages (archive copies) and
 * finds words from messages sent before it existed, across channels — edits applied, deleted
 * messages gone, thread replies with their thread — then follows new messages as they arrive. The
 * index is sealed at rest: no plaintext in the stored bytes, and another device cannot open it.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { MemoryKeyStore } from "@parley/crypto";
import { FAST, startLivePair, until } from "./testing/e2ee-clients.ts";
import { MemorySearchIndexStore, MessageSearch } from "./search.ts";

test("a new device finds words said before it existed, in every channel, from a sealed local index that follows new messages", async (t) => {
  const { org, alice } = await startLivePair(t);
  const recoveryKey = await alice.e2ee!.locker.setUp();
  const alpha = await alice.createChannel({ kind: "public", name: "alpha" });
  const beta = await alice.createChannel({ kind: "private", name: "beta" });
  const plan = await alice.sendMessage(alpha.id, "the Zébrafish plan for Monday");
  await alice.sendMessage(alpha.id, "lunch at noon");
  const typo = await alice.sendMessage(beta.id, "zebra fish typo");
  await alice.edit(beta.id, typo.event.seq, "zebrafish, spelt right");
  const gone = await alice.sendMessage(beta.id, "zebrafish secret, deleted");
  await alice.delete(beta.id, gone.event.seq);
  await alice.send(alpha.id, { kind: "message", text: "zebrafish in a thread", threadRoot: plan.event.seq });
  await alice.idle();
  await alice.e2ee!.locker.flush();

  const phone = await org.device("alice", { e2ee: { ...FAST.e2ee, keyStore: new MemoryKeyStore() } });
  await phone.e2ee!.locker.restore(recoveryKey);
  phone.connect();
  await phone.waitUntilLive();
  await until(() => phone.e2ee!.members(alpha.id) !== undefined && phone.e2ee!.members(beta.id) !== undefined, "the phone joins both groups");
  await phone.idle();
  const store = new MemorySearchIndexStore();
  const search = await MessageSearch.open(phone, store);
  t.after(() => search.close());
  const newest = async () => {
    let sum = 0;
    for (const id of [alpha.id, beta.id]) sum += (await phone.api.call("listEvents", { params: { channelId: id }, query: { limit: 1 } })).events[0]!.seq;
    return sum;
  };
  const read = await search.backfill(phone, [alpha.id, beta.id]);
  const indexedUpTo = await newest();
  assert.ok(read >= 7, `events read: ${read}`);

  const hits = search.search("zebrafish");
  assert.deepEqual(hits.map((h) => [h.channelId === alpha.id ? "alpha" : "beta", h.text, h.threadRoot]).sort(), [
    ["alpha", "the Zébrafish plan for Monday", null],
    ["alpha", "zebrafish in a thread", plan.event.seq],
    ["beta", "zebrafish, spelt right", null],
  ]);
  assert.deepEqual(search.search("zebra fish typo"), [], "the edit replaced the old text");
  assert.equal(search.search("secret").length, 0, "deleted messages are not found");
  assert.equal(search.search("zebrafish", { channelId: beta.id }).length, 1, "limited to one channel");
  assert.equal(search.search("zebraf")[0]?.text.toLowerCase().includes("zebrafish"), true, "a prefix of the last word matches");

  // New messages are indexed as they arrive; a second back-fill reads only what is new.
  await alice.sendMessage(beta.id, "a fresh zebrafish sighting");
  await until(() => search.search("sighting").length === 1, "the live message is indexed");
  assert.equal((await newest()) - indexedUpTo, 1, "one message came since the back-fill");
  assert.equal(await search.backfill(phone, [alpha.id, beta.id]), 0, "nothing is read again: the live message extended what is indexed");
  await phone.close(); // offline while more is said: the next back-fill reads exactly that
  await alice.sendMessage(alpha.id, "zebrafish while the phone was away");
  await alice.sendMessage(alpha.id, "and lunch");
  assert.equal(await search.backfill(phone, [alpha.id, beta.id]), 2);
  assert.equal(search.search("away").length, 1);

  // Sealed at rest: the stored bytes hold no plaintext; this device reopens them, another cannot.
  await search.save();
  const bytes = (await store.load())!;
  assert.ok(!Buffer.from(bytes).toString("latin1").toLowerCase().includes("zebrafish"), "no plaintext at rest");
  const again = await MessageSearch.open(phone, store);
  t.after(() => again.close());
  assert.equal(again.search("zebrafish").length, 5);
  const other = await MessageSearch.open(alice, store);
  t.after(() => other.close());
  assert.equal(other.size, 0, "another device's key does not open it");
});

test("an index back-filled before the device held the keys reads those messages again once it restores", async (t) => {
  const { org, alice } = await startLivePair(t);
  const recoveryKey = await alice.e2ee!.locker.setUp();
  const alpha = await alice.createChannel({ kind: "public", name: "alpha" });
  await alice.sendMessage(alpha.id, "the quokka budget");
  await alice.sendMessage(alpha.id, "more quokka notes");
  await alice.idle();
  await alice.e2ee!.locker.flush();

  const phone = await org.device("alice", { e2ee: { ...FAST.e2ee, keyStore: new MemoryKeyStore() } });
  phone.connect();
  await phone.waitUntilLive();
  await until(() => phone.e2ee!.members(alpha.id) !== undefined, "the phone joins the group");
  await phone.idle();
  const search = await MessageSearch.open(phone, new MemorySearchIndexStore());
  t.after(() => search.close());
  await search.backfill(phone, [alpha.id]);
  assert.equal(search.search("quokka").length, 0, "sent before this device existed, and not restored yet");
  assert.equal(await search.backfill(phone, [alpha.id]), 0, "no new keys: nothing is read again");

  await phone.e2ee!.locker.restore(recoveryKey);
  assert.ok((await search.backfill(phone, [alpha.id])) >= 2, "the unreadable part is read again");
  assert.deepEqual(
    search
      .search("quokka")
      .map((h) => h.text)
      .sort(),
    ["more quokka notes", "the quokka budget"],
  );
});
