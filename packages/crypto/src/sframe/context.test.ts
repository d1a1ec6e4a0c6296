// Properties of the MLS-keyed SFrame context: tamper, wrong key, replay, reordering, the
// grace of the previous epochs and its expiry.
import { test } from "node:test";
import assert from "node:assert/strict";
import { SFrameContext, type SFrameEpochKeys } from "./context.ts";
import { decodeSFrameHeader } from "./header.ts";
import { mlsKid, parseMlsKid } from "./mls-kid.ts";
import { REPLAY_WINDOW, ReplayWindow } from "./replay.ts";
import { SFRAME_SUITES } from "./suites.ts";

const base = (seed: number, n = 16) => new Uint8Array(n).fill(seed);
const keys = (epoch: bigint, own: number, seed = Number(epoch)): SFrameEpochKeys => ({ epoch, baseKey: base(seed), ownLeafIndex: own });
const frame = (n: number) => new Uint8Array(n).map((_, i) => (i * 7) & 0xff);

function pair(opts: { now?: () => number; graceMs?: number; keepEpochs?: number } = {}) {
  const alice = new SFrameContext(opts);
  const bob = new SFrameContext(opts);
  alice.setEpoch(keys(1n, 0));
  bob.setEpoch(keys(1n, 1));
  return { alice, bob };
}

test("SFrame context: a member decrypts another's frames, with metadata; own frames are refused", async () => {
  const { alice, bob } = pair();
  const meta = new Uint8Array([9, 9, 9]);
  const ct = await alice.encrypt(frame(100), meta);
  const r = await bob.decrypt(ct, meta);
  assert.ok(r.ok);
  assert.deepEqual(r.plaintext, frame(100));
  assert.equal(r.epoch, 1n);
  assert.equal(r.leafIndex, 0);
  assert.deepEqual(await alice.decrypt(await bob.encrypt(frame(3))), { ok: true, plaintext: frame(3), epoch: 1n, leafIndex: 1 });
  assert.deepEqual(await alice.decrypt(await alice.encrypt(frame(3))), { ok: false, reason: "own_key", leafIndex: 0 }, "a reflected frame");
  const h = decodeSFrameHeader(ct)!;
  assert.equal(parseMlsKid(h.kid).leafIndex, 0);
  assert.equal(parseMlsKid(h.kid).context, alice.kidContext);
});

test("SFrame context: any flipped bit (header, ciphertext, tag) or other metadata is rejected", async () => {
  const { alice, bob } = pair();
  const meta = new Uint8Array([1, 2, 3]);
  const ct = await alice.encrypt(frame(40), meta);
  const headerLen = decodeSFrameHeader(ct)!.length;
  for (let i = 0; i < ct.length; i++) {
    const bad = ct.slice();
    bad[i]! ^= 0x01;
    const r = await bob.decrypt(bad, meta);
    assert.equal(r.ok, false, `byte ${i}`);
    if (i >= headerLen) assert.equal(!r.ok && r.reason, "auth_failed");
  }
  assert.deepEqual(await bob.decrypt(ct, new Uint8Array([1, 2, 4])), { ok: false, reason: "auth_failed", leafIndex: 0 });
  assert.deepEqual(await bob.decrypt(ct.subarray(0, headerLen + 4), meta), { ok: false, reason: "auth_failed", leafIndex: 0 }, "truncated");
  assert.deepEqual(await bob.decrypt(new Uint8Array([0xff]), meta), { ok: false, reason: "malformed" });
  assert.ok((await bob.decrypt(ct, meta)).ok, "the untouched frame still opens");
});

test("SFrame context: a receiver holding another key for the epoch rejects every frame", async () => {
  const alice = new SFrameContext();
  const eve = new SFrameContext();
  alice.setEpoch(keys(1n, 0, 1));
  eve.setEpoch(keys(1n, 2, 7));
  for (let i = 0; i < 5; i++) assert.deepEqual(await eve.decrypt(await alice.encrypt(frame(50))), { ok: false, reason: "auth_failed", leafIndex: 0 });
  const late = new SFrameContext();
  late.setEpoch(keys(2n, 2));
  assert.deepEqual(await late.decrypt(await alice.encrypt(frame(5))), { ok: false, reason: "unknown_epoch", leafIndex: 0 });
});

test("SFrame context: replays are refused, reordering inside the window is accepted", async () => {
  const { alice, bob } = pair();
  const cts = [];
  for (let i = 0; i < 10; i++) cts.push(await alice.encrypt(frame(20 + i)));
  for (const i of [0, 5, 3, 9, 1]) assert.ok((await bob.decrypt(cts[i]!)).ok, `frame ${i}`);
  assert.deepEqual(await bob.decrypt(cts[5]!), { ok: false, reason: "replay", leafIndex: 0 });
  assert.deepEqual(await bob.decrypt(cts[0]!), { ok: false, reason: "replay", leafIndex: 0 });
  assert.ok((await bob.decrypt(cts[2]!)).ok);
  // The same frame delivered twice at once: exactly one opens.
  const twice = await Promise.all([bob.decrypt(cts[4]!), bob.decrypt(cts[4]!)]);
  assert.deepEqual(twice.map((r) => r.ok).sort(), [false, true]);
});

test("replay window: counters older than the window are refused, jumps clear the bitmap", () => {
  const w = new ReplayWindow();
  assert.ok(w.check(0n));
  w.accept(0n);
  assert.ok(!w.check(0n));
  w.accept(REPLAY_WINDOW + 5n);
  assert.ok(!w.check(5n), "fell out of the window");
  assert.ok(w.check(6n) && w.check(REPLAY_WINDOW + 4n));
  w.accept(REPLAY_WINDOW + 4n);
  assert.ok(!w.check(REPLAY_WINDOW + 4n));
  w.accept(10n * REPLAY_WINDOW);
  assert.ok(w.check(10n * REPLAY_WINDOW - 1n), "a big jump forgets the old bitmap");
});

test("SFrame context: the previous epoch decrypts during the grace, then expires; epochs beyond keepEpochs are dropped", async () => {
  let now = 1000;
  const { alice, bob } = pair({ now: () => now, graceMs: 5000, keepEpochs: 3 });
  const inFlight = await alice.encrypt(frame(30));
  const inFlight2 = await alice.encrypt(frame(31));
  alice.setEpoch(keys(2n, 0));
  bob.setEpoch(keys(2n, 1));
  assert.equal(bob.epoch, 2n);
  const fresh = await alice.encrypt(frame(32));
  assert.equal(parseMlsKid(decodeSFrameHeader(fresh)!.kid).epochBits, 2, "the sender moved to the new epoch at once");
  now += 4000;
  assert.ok((await bob.decrypt(inFlight)).ok, "a frame of the old epoch inside the grace");
  assert.ok((await bob.decrypt(fresh)).ok);
  now += 2000;
  assert.deepEqual(await bob.decrypt(inFlight2), { ok: false, reason: "expired_epoch", leafIndex: 0 });
  assert.deepEqual(bob.epochs, [2n], "the expired epoch is forgotten");

  for (const e of [3n, 4n, 5n]) bob.setEpoch(keys(e, 1));
  assert.deepEqual(bob.epochs, [5n, 4n, 3n], "three epochs kept");
  bob.setEpoch(keys(4n, 1));
  assert.deepEqual(bob.epochs, [5n, 4n, 3n], "an epoch that is not newer is ignored");
  // Epoch 21 has the same low 4 bits as 5: the old one goes so a KID names one epoch.
  bob.setEpoch(keys(21n, 1));
  assert.deepEqual(bob.epochs, [21n, 4n, 3n]);
  bob.clear();
  assert.equal(bob.epoch, undefined);
  await assert.rejects(bob.encrypt(frame(1)), /no SFrame epoch/);
});

test("SFrame context: options and KIDs are checked", () => {
  assert.throws(() => new SFrameContext({ keepEpochs: 0 }), RangeError);
  assert.throws(() => new SFrameContext({ keepEpochs: 17 }), RangeError);
  assert.throws(() => new SFrameContext({ suite: 99 as never }), RangeError);
  const c = new SFrameContext({ suite: SFRAME_SUITES.AES_128_CTR_HMAC_SHA256_80 });
  assert.throws(() => c.setEpoch(keys(1n, 0)), RangeError, "a 16-byte base key for a 48-byte suite");
  assert.throws(() => mlsKid(1n, 1 << 16), RangeError);
  assert.throws(() => mlsKid(1n, 0, 1n << 44n), RangeError);
  assert.deepEqual(parseMlsKid(mlsKid(0x123n, 0x45, 0x6789n)), { epochBits: 3, leafIndex: 0x45, context: 0x6789n });
});

test("SFrame context: the 80-bit-tag AES-CTR-HMAC suite works end to end", async () => {
  const suite = SFRAME_SUITES.AES_128_CTR_HMAC_SHA256_80;
  const a = new SFrameContext({ suite });
  const b = new SFrameContext({ suite });
  a.setEpoch({ epoch: 7n, baseKey: base(3, 48), ownLeafIndex: 4 });
  b.setEpoch({ epoch: 7n, baseKey: base(3, 48), ownLeafIndex: 5 });
  const ct = await a.encrypt(frame(64));
  assert.equal(ct.length, decodeSFrameHeader(ct)!.length + 64 + 10, "a 10-byte tag");
  assert.deepEqual(await b.decrypt(ct), { ok: true, plaintext: frame(64), epoch: 7n, leafIndex: 4 });
});

test("SFrame context: many senders' keys (more than the per-epoch cache) all work, evicted keys are derived again", async () => {
  const bob = new SFrameContext();
  bob.setEpoch(keys(1n, 1));
  const senders = Array.from({ length: 70 }, (_, i) => {
    const s = new SFrameContext({ kidContext: BigInt(i) });
    s.setEpoch(keys(1n, 0));
    return s;
  });
  for (const s of senders) assert.ok((await bob.decrypt(await s.encrypt(frame(8)))).ok);
  assert.ok((await bob.decrypt(await senders[0]!.encrypt(frame(8)))).ok, "the first sender's key was evicted and comes back");
});

test("SFrame context: a key derivation that fails (WebCrypto refused once) is derived again for the sender's next frame", async () => {
  const { alice, bob } = pair();
  const subtle = globalThis.crypto.subtle;
  const importKey = subtle.importKey.bind(subtle);
  const refuse = (n: number) => {
    let left = n;
    subtle.importKey = ((...a: Parameters<SubtleCrypto["importKey"]>) =>
      left-- > 0 ? Promise.reject(new DOMException("refused", "OperationError")) : importKey(...a)) as SubtleCrypto["importKey"];
  };
  try {
    refuse(1);
    await assert.rejects(alice.encrypt(frame(10)), /refused/, "the sender's first derivation fails");
    const ct = await alice.encrypt(frame(11));
    refuse(1);
    await assert.rejects(bob.decrypt(ct), /refused/, "the receiver's first derivation for alice fails");
    const r = await bob.decrypt(ct);
    assert.ok(r.ok, "the same frame opens once the derivation works");
    assert.ok((await bob.decrypt(await alice.encrypt(frame(12)))).ok);
  } finally {
    subtle.importKey = importKey;
  }
});

test("SFrame context: a key derivation that never finishes fails after the deadline and is tried again", async () => {
  const alice = new SFrameContext({ deriveDeadlineMs: 50 });
  const bob = new SFrameContext({ deriveDeadlineMs: 50 });
  alice.setEpoch(keys(1n, 0));
  bob.setEpoch(keys(1n, 1));
  const ct = await alice.encrypt(frame(20));
  const subtle = globalThis.crypto.subtle;
  const importKey = subtle.importKey.bind(subtle);
  let hang = true;
  subtle.importKey = ((...a: Parameters<SubtleCrypto["importKey"]>) =>
    hang ? ((hang = false), new Promise(() => undefined)) : importKey(...a)) as SubtleCrypto["importKey"];
  try {
    await assert.rejects(bob.decrypt(ct), /took over 50 ms/);
    assert.ok((await bob.decrypt(ct)).ok, "derived again for the next frame");
  } finally {
    subtle.importKey = importKey;
  }
});
