/**
 * History keys (issue 9, ADR 0007) through real SDK clients and a real server: every device keeps
 * the key of each epoch it was in, members derive the same key per epoch with no message, a new
 * member holds none from before it joined, and a removed member none from after its removal.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { MemoryKeyStore } from "@parley/crypto";
import { startTestServer } from "@parley/server/testing/harness";
import { FAST, makeOrg, until } from "../testing/e2ee-clients.ts";
import { heldHistoryEpochs, heldHistoryKey } from "./history-keys.ts";

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

  const ch = await alice.createChannel({ kind: "private", name: "keys", members: [bob.userId] });
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
  const carolKeys = await stores.carol.list("sdk/hk/");
  assert.ok(carolKeys.every((k) => k.endsWith(String(added).padStart(12, "0"))));
});
