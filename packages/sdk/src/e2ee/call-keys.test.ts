// Call media keys through the SDK on a real server (issue 14, done-means 3): two devices of a
// channel derive the same SFrame keys; when a member is removed the channel's group moves to
// a new epoch and the removed device's last keys open no frame sent after.
import { test } from "node:test";
import assert from "node:assert/strict";
import { SFrameContext } from "@parley/crypto/sframe";
import { startLivePair, until } from "../testing/e2ee-clients.ts";

test("call keys: members share the epoch's SFrame key; after removal the removed device cannot decrypt new frames", { timeout: 60_000 }, async (t) => {
  const { alice, bob } = await startLivePair(t);
  const ch = await alice.createChannel({ kind: "private", name: "call", members: [bob.userId] });
  await until(() => bob.e2ee!.members(ch.id) !== undefined, "bob is in the group");
  const a1 = (await alice.e2ee!.callKeys(ch.id))!;
  const b1 = (await bob.e2ee!.callKeys(ch.id))!;
  assert.equal(a1.epoch, b1.epoch);
  assert.deepEqual(a1.baseKey, b1.baseKey);
  assert.notEqual(a1.ownLeafIndex, b1.ownLeafIndex);
  assert.equal(await alice.e2ee!.callKeys("no-such-channel"), undefined);

  const aliceMedia = new SFrameContext();
  aliceMedia.setEpoch(a1);
  const bobMedia = new SFrameContext();
  bobMedia.setEpoch(b1);
  const frame = new Uint8Array(120).fill(7);
  assert.ok((await bobMedia.decrypt(await aliceMedia.encrypt(frame))).ok, "bob hears alice");

  await alice.removeMember(ch.id, bob.userId);
  await until(() => (alice.e2ee!.epochOf(ch.id) ?? 0) > Number(a1.epoch), "alice's group moves past bob's removal");
  const a2 = (await alice.e2ee!.callKeys(ch.id))!;
  assert.notDeepEqual(a2.baseKey, a1.baseKey);
  aliceMedia.setEpoch(a2);
  const after = await aliceMedia.encrypt(frame);
  const r = await bobMedia.decrypt(after);
  assert.equal(r.ok, false, "bob's last keys open nothing alice sends after his removal");
  const bobNow = await bob.e2ee!.callKeys(ch.id);
  assert.ok(bobNow === undefined || bobNow.epoch === b1.epoch, "bob's device derives no key of the new epoch");
});
