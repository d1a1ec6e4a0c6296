import { test } from "node:test";
import assert from "node:assert/strict";
import { generateKeyPairSync, randomBytes, sign } from "node:crypto";
import { verifyEd25519Concurrently } from "./provider-node.ts";

const rawPublic = (k: ReturnType<typeof generateKeyPairSync>["publicKey"]) => new Uint8Array(k.export({ format: "der", type: "spki" }).subarray(12));

test("Ed25519 verification of a page of signatures at once: each answer is that signature's, bad ones false", async () => {
  const pairs = Array.from({ length: 3 }, () => generateKeyPairSync("ed25519"));
  const cases = Array.from({ length: 300 }, (_, i) => {
    const { publicKey, privateKey } = pairs[i % 3]!;
    const message = new Uint8Array(randomBytes(50 + (i % 200)));
    const signature = new Uint8Array(sign(null, message, privateKey));
    let key = rawPublic(publicKey);
    let expect = true;
    if (i % 7 === 0) {
      message[0]! ^= 1; // altered after signing
      expect = false;
    } else if (i % 11 === 0) {
      key = rawPublic(pairs[(i + 1) % 3]!.publicKey); // another device's key
      expect = false;
    } else if (i % 13 === 0) {
      signature[63]! ^= 0x80;
      expect = false;
    }
    return { key, message, signature, expect };
  });
  const got = await Promise.all(cases.map((c) => verifyEd25519Concurrently(c.key, c.message, c.signature)));
  assert.deepEqual(
    got,
    cases.map((c) => c.expect),
  );
  const one = cases.find((c) => c.expect)!;
  assert.equal(await verifyEd25519Concurrently(one.key, one.message, one.signature.subarray(0, 10)), false, "a short signature");
  assert.equal(await verifyEd25519Concurrently(one.key.subarray(0, 31), one.message, one.signature), false, "a short key");
  assert.equal(await verifyEd25519Concurrently(new Uint8Array(32).fill(0xff), one.message, one.signature), false, "a key that is not a curve point");
});
