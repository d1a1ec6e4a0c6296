// Call keys from real MLS groups (the engine's test devices): members agree, a commit rotates
// the keys and tells the watcher, and a removed device's last key opens nothing of the new
// epoch.
import { test } from "node:test";
import assert from "node:assert/strict";
import { confirmPending, processMessage, removeMembers } from "../index.ts";
import { isE2eeError } from "../public.ts";
import { equalBytes } from "../bytes.ts";
import { threeMemberChannel } from "../test-devices.ts";
import { callKeys, CallKeyWatch, type CallKeys } from "./call-keys.ts";
import { SFrameContext } from "./context.ts";
import { sframeOpen } from "./frame.ts";
import { decodeSFrameHeader } from "./header.ts";
import { deriveKeySalt, importSFrameKey, SFRAME_SUITES } from "./suites.ts";

const ctx = (k: CallKeys) => {
  const c = new SFrameContext();
  c.setEpoch(k);
  return c;
};
const media = new Uint8Array(200).fill(0x42);

test("call keys: members derive the same epoch base key; sender keys differ per leaf; frames cross", async () => {
  const { ga, gb, gc } = await threeMemberChannel();
  const [ka, kb, kc] = await Promise.all([callKeys(ga, "chan1"), callKeys(gb, "chan1"), callKeys(gc, "chan1")]);
  assert.equal(ka.epoch, kb.epoch);
  assert.equal(ka.baseKey.length, 16);
  assert.ok(equalBytes(ka.baseKey, kb.baseKey) && equalBytes(ka.baseKey, kc.baseKey));
  assert.deepEqual(new Set([ka.ownLeafIndex, kb.ownLeafIndex, kc.ownLeafIndex]).size, 3);
  const devices = { [ka.ownLeafIndex]: "a1", [kb.ownLeafIndex]: "b1", [kc.ownLeafIndex]: "c1" };
  for (const k of [ka, kb, kc]) assert.deepEqual(k.deviceOfLeaf, devices, "every member names the device at each leaf alike");
  const sa = await ka.senderKey(ka.ownLeafIndex);
  const sb = await ka.senderKey(kb.ownLeafIndex);
  assert.ok(!equalBytes(sa.key, sb.key) && !equalBytes(sa.salt, sb.salt), "each sender has its own key and salt");
  assert.ok(equalBytes(sa.key, (await kc.senderKey(ka.ownLeafIndex)).key), "every member derives alice's sender key");
  const frame = await ctx(ka).encrypt(media);
  const r = await ctx(kb).decrypt(frame);
  assert.ok(r.ok && r.leafIndex === ka.ownLeafIndex);
  const k256 = await callKeys(ga, "chan1", SFRAME_SUITES.AES_128_CTR_HMAC_SHA256_80);
  assert.equal(k256.baseKey.length, 48, "Nk of the suite");
});

test("call keys: removing a member rotates the keys; the removed device's last key cannot decrypt frames of the new epoch", async () => {
  const { ga, gb, gc } = await threeMemberChannel();
  const watchB = new CallKeyWatch("chan1");
  const watchC = new CallKeyWatch("chan1");
  const heardB: (bigint | undefined)[] = [];
  const heardC: (bigint | undefined)[] = [];
  watchB.onRotate((k) => heardB.push(k?.epoch));
  const stopC = watchC.onRotate((k) => heardC.push(k?.epoch));
  const before = (await watchB.update(gb))!;
  const carolLast = (await watchC.update(gc))!;
  await watchB.update(gb);
  assert.deepEqual(heardB, [before.epoch], "an unchanged epoch is not announced again");

  const rm = await removeMembers(ga, [{ deviceId: "c1" }]);
  confirmPending(ga);
  await processMessage(gb, rm.commit);
  const r = await processMessage(gc, rm.commit);
  assert.ok(r.kind === "commit" && r.removedSelf);

  const after = (await watchB.update(gb))!;
  assert.equal(after.epoch, before.epoch + 1n);
  assert.deepEqual(heardB, [before.epoch, after.epoch], "the watcher announced the new epoch");
  assert.equal(await watchC.update(gc), undefined);
  assert.equal(await watchC.update(gc), undefined);
  assert.deepEqual(heardC, [carolLast.epoch, undefined], "carol's watcher said once that she has no keys");
  stopC();
  await assert.rejects(callKeys(gc, "chan1"), (e: unknown) => isE2eeError(e, "invalid_state"));

  // Alice sends in the new epoch; bob decrypts, carol with everything she still holds cannot.
  const aliceKeys = await callKeys(ga, "chan1");
  const alice = ctx(aliceKeys);
  const bob = new SFrameContext();
  bob.setEpoch(before);
  bob.setEpoch(after);
  const carol = ctx(carolLast);
  for (let i = 0; i < 5; i++) {
    const frame = await alice.encrypt(media);
    assert.ok((await bob.decrypt(frame)).ok);
    assert.deepEqual(await carol.decrypt(frame), { ok: false, reason: "unknown_epoch", leafIndex: aliceKeys.ownLeafIndex });
    // Even deriving the key for the frame's exact KID from her last base key fails.
    const forced = await importSFrameKey(await deriveKeySalt(SFRAME_SUITES.AES_128_GCM_SHA256_128, decodeSFrameHeader(frame)!.kid, carolLast.baseKey));
    assert.equal(await sframeOpen(forced, frame), undefined);
  }
  assert.ok(!equalBytes(after.baseKey, carolLast.baseKey));
});
