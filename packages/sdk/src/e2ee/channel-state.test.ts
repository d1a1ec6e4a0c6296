/**
 * How a channel's group state is stored: one record (state + position) per channel,
 * and states saved by earlier versions (bare state, meta under its own key) still load.
 */
import { heldHistoryEpochs } from "./history-keys.ts";
import { test } from "node:test";
import assert from "node:assert/strict";
import { createDeviceIdentity, createGroup, epochAuthenticator, exportGroupState, MemoryKeyStore, type SuiteName } from "@parley/crypto";
import { ChannelCrypto } from "./channel-state.ts";
import { decodeChannelRecord } from "./persist.ts";

async function fixture() {
  const identity = await createDeviceIdentity({ orgId: "org1", userId: "alice", deviceId: "a1", suite: "default" });
  const identityFor = (_: SuiteName) => identity;
  const group = await createGroup(identity, "ch1");
  return { identity, identityFor, group, keyStore: new MemoryKeyStore() };
}

test("the group state and its position are one record; a reload restores both", async () => {
  const { identityFor, group, keyStore } = await fixture();
  let flushed = 0;
  const ch = new ChannelCrypto("ch1", {
    beforeSave: async () => {
      flushed++;
    },
  });
  ch.adopt(group, 0, 1234);
  ch.processedSeq = 42;
  ch.unsaved = 3;
  await ch.save(keyStore);
  assert.equal(flushed, 1, "the history is flushed before the state is written");
  assert.equal(ch.unsaved, 0);
  assert.deepEqual(await keyStore.list("sdk/group"), ["sdk/group/ch1"], "one key per channel");
  assert.deepEqual(await keyStore.list("sdk/hks/"), ["sdk/hks/ch1/0"], "and the history key of its epoch, kept before it (one record per generation)");
  assert.deepEqual(await heldHistoryEpochs(keyStore, "ch1", 0), [0]);
  const record = decodeChannelRecord((await keyStore.get("sdk/group/ch1"))!);
  assert.equal(record?.meta.processedSeq, 42);

  const again = new ChannelCrypto("ch1");
  await again.load(keyStore, identityFor, {});
  assert.equal(again.processedSeq, 42);
  assert.equal(again.hasSavedPosition, true);
  assert.equal(again.leafUpdatedAt, 1234);
  assert.deepEqual(epochAuthenticator(again.group!), epochAuthenticator(group));
});

test("a state saved before records existed loads, and the first save replaces both of its keys with one record", async () => {
  const { identityFor, group, keyStore } = await fixture();
  await keyStore.put("sdk/group/ch1", exportGroupState(group));
  await keyStore.put("sdk/groupmeta/ch1", new TextEncoder().encode(JSON.stringify({ joinedEpoch: 0, removed: false, processedSeq: 7, suite: "default" })));
  const ch = new ChannelCrypto("ch1");
  await ch.load(keyStore, identityFor, {});
  assert.equal(ch.processedSeq, 7);
  assert.deepEqual(epochAuthenticator(ch.group!), epochAuthenticator(group));
  await ch.save(keyStore);
  assert.deepEqual(await keyStore.list("sdk/group"), ["sdk/group/ch1"], "the old meta key is gone");
  assert.equal(decodeChannelRecord((await keyStore.get("sdk/group/ch1"))!)?.meta.processedSeq, 7);
});
