import { test } from "node:test";
import assert from "node:assert/strict";
import { x25519 } from "@noble/curves/ed25519.js";
import {
  generateLockerKeyPair,
  lockerBatchMeta,
  openLockerBatch,
  openLockerBatches,
  sealLockerBatch,
  sealLockerBatchToEach,
  type LockerEntry,
} from "../index.ts";
import { isE2eeError } from "../public.ts";
import { fromHex, toHex } from "../bytes.ts";
import { encodeLockerBatch } from "./locker-batch.ts";

const owner = { orgId: "org1", userId: "alice" };

function run(channelId: string, generation: number, from: number, count: number): LockerEntry[] {
  return Array.from({ length: count }, (_, k) => ({ channelId, generation, epoch: BigInt(from + k), hk: crypto.getRandomValues(new Uint8Array(32)) }));
}

const failed = (e: unknown) => isE2eeError(e, "locker_open_failed");

test("a locker batch round-trips and binds key, owner and metadata", async () => {
  const { publicKey, privateKey } = generateLockerKeyPair();
  const entries = [...run("chan1", 0, 5, 3), ...run("chan1", 0, 10, 2), ...run("chan2", 1, 0, 1)];
  const meta = lockerBatchMeta(entries);
  assert.deepEqual(meta, { channelId: null, generation: null, fromEpoch: 0n, toEpoch: 11n });
  const sealed = await sealLockerBatch(publicKey, owner, entries, meta);
  assert.deepEqual(await openLockerBatch(privateKey, owner, sealed, meta), entries);

  await assert.rejects(openLockerBatch(generateLockerKeyPair().privateKey, owner, sealed, meta), failed, "another locker key");
  await assert.rejects(openLockerBatch(privateKey, { ...owner, userId: "bob" }, sealed, meta), failed, "another user");
  await assert.rejects(openLockerBatch(privateKey, { ...owner, orgId: "org2" }, sealed, meta), failed, "another org");
  await assert.rejects(openLockerBatch(privateKey, owner, sealed, { ...meta, toEpoch: 12n }), failed, "changed metadata");
  await assert.rejects(openLockerBatch(privateKey, owner, sealed, { ...meta, channelId: "chan1" }), failed, "metadata naming one channel");
  for (const i of [0, 1, 40, sealed.length - 1]) {
    const bad = sealed.slice();
    bad[i]! ^= 1;
    await assert.rejects(openLockerBatch(privateKey, owner, bad, meta), failed, `byte ${i} flipped`);
  }
  await assert.rejects(openLockerBatch(privateKey, owner, sealed.slice(0, 40), meta), failed, "truncated");
  await assert.rejects(
    sealLockerBatch(publicKey, owner, entries, { ...meta, fromEpoch: 6n }),
    (e: unknown) => isE2eeError(e, "bad_input"),
    "entries outside the metadata",
  );
});

test("one batch sealed to several keys (the user's locker and a compliance key)", async () => {
  const user = generateLockerKeyPair();
  const compliance = generateLockerKeyPair();
  const entries = run("chan1", 0, 0, 10);
  const meta = lockerBatchMeta(entries);
  assert.deepEqual(meta, { channelId: "chan1", generation: 0, fromEpoch: 0n, toEpoch: 9n });
  const [forUser, forCompliance] = await sealLockerBatchToEach([user.publicKey, compliance.publicKey], owner, entries);
  assert.deepEqual(await openLockerBatch(user.privateKey, owner, forUser!, meta), entries);
  assert.deepEqual(await openLockerBatch(compliance.privateKey, owner, forCompliance!, meta), entries);
  await assert.rejects(openLockerBatch(user.privateKey, owner, forCompliance!, meta), failed);
});

test("the batch encoding: runs of consecutive epochs, duplicates once (known answer)", () => {
  const hk = (b: number) => new Uint8Array(32).fill(b);
  const entries: LockerEntry[] = [
    { channelId: "c", generation: 1, epoch: 3n, hk: hk(0xbb) },
    { channelId: "c", generation: 1, epoch: 2n, hk: hk(0xaa) },
    { channelId: "c", generation: 1, epoch: 2n, hk: hk(0xaa) },
    { channelId: "c", generation: 1, epoch: 9n, hk: hk(0xcc) },
  ];
  const expected =
    "01" +
    "00000002" +
    "0001" +
    "63" +
    "00000001" +
    "0000000000000002" +
    "00000002" +
    "aa".repeat(32) +
    "bb".repeat(32) +
    "0001" +
    "63" +
    "00000001" +
    "0000000000000009" +
    "00000001" +
    "cc".repeat(32);
  assert.equal(toHex(encodeLockerBatch(entries)), expected);
  assert.throws(
    () => encodeLockerBatch([entries[0]!, { ...entries[0]!, hk: hk(1) }]),
    (e: unknown) => isE2eeError(e, "bad_input"),
  );
});

test("known answer: a batch sealed once opens forever (pins HPKE suite, info, AAD and encodings)", async () => {
  const privateKey = fromHex("2b1c1ca2f2a4d6f7bbe55c8f3f3b6f2c9e0c3b9b0d53a5f0d1e7c0c27a4b6f11");
  assert.equal(toHex(x25519.getPublicKey(privateKey)), KAT_PUBLIC);
  const meta = { channelId: "c", generation: 1, fromEpoch: 2n, toEpoch: 3n };
  const entries = await openLockerBatch(privateKey, owner, fromHex(KAT_SEALED), meta);
  assert.deepEqual(entries, [
    { channelId: "c", generation: 1, epoch: 2n, hk: new Uint8Array(32).fill(0xaa) },
    { channelId: "c", generation: 1, epoch: 3n, hk: new Uint8Array(32).fill(0xbb) },
  ]);
});

const KAT_PUBLIC = "21402dac93a3861a0d207007dce04aac4469c770810a9dec92764f529e3e8823";
// Made once by sealLockerBatch (its ephemeral key is random, so sealing is not repeatable).
const KAT_SEALED =
  "01af78614b0922e3c4cc140e77314e11b4c39af2e1059ba02172eca3233040075ff812341c4de6ca1b26248ae3ad345f0c0cc22813eed9076ed326047f3a3b93346e6f2b8f82f231c2cc1a11c6b0c8794261d8db618f80c94fddd4d54cabb91e1c4ba5d04a9bcab230f243b8d8c723c83a9a32dc715be7bcfad40baecb2f8dbceb25e27c3f1ed917c2";

test("restore: 100 batches × 1,000 history keys", async () => {
  const { publicKey, privateKey } = generateLockerKeyPair();
  const batches = await Promise.all(
    Array.from({ length: 100 }, async (_, c) => {
      const entries = run(`channel-${c}`, 0, 0, 1000);
      const meta = lockerBatchMeta(entries);
      return { sealed: await sealLockerBatch(publicKey, owner, entries, meta), meta };
    }),
  );
  const t0 = performance.now();
  const restored = await openLockerBatches(privateKey, owner, batches);
  const ms = performance.now() - t0;
  assert.equal(restored.length, 100_000);
  console.log(`locker restore: 100 batches × 1,000 HKs = ${restored.length} history keys opened in ${ms.toFixed(0)} ms`);
  assert.ok(ms < 30_000);
});
