import { test } from "node:test";
import assert from "node:assert/strict";
import { ATTACHMENT_CHUNK_SIZE, attachmentCiphertextSize, decryptAttachment, encryptAttachment, isE2eeError } from "./index.ts";

const rnd = (n: number) => {
  const b = new Uint8Array(n);
  for (let o = 0; o < n; o += 65536) crypto.getRandomValues(b.subarray(o, Math.min(n, o + 65536)));
  return b;
};
const code = (c: string) => (e: unknown) => (isE2eeError(e) && e.code === c) || assert.fail(`expected ${c}, got ${String(e)}`);

for (const size of [0, 1, ATTACHMENT_CHUNK_SIZE, ATTACHMENT_CHUNK_SIZE + 1, 5 * 1024 * 1024]) {
  test(`attachment round trip, ${size} bytes`, async () => {
    const plain = rnd(size);
    const { ciphertext, descriptor } = await encryptAttachment(plain);
    assert.equal(ciphertext.length, attachmentCiphertextSize(size));
    assert.equal(descriptor.size, size);
    assert.deepEqual(await decryptAttachment(ciphertext, descriptor), plain);
  });
}

test("tampering, truncation, reordering, wrong key and digest mismatch are typed errors", async () => {
  const plain = rnd(3 * ATTACHMENT_CHUNK_SIZE + 100);
  const { ciphertext, descriptor } = await encryptAttachment(plain);
  const sealed = ATTACHMENT_CHUNK_SIZE + 16;
  const tampered = ciphertext.slice();
  tampered[10]! ^= 1;
  // Tampering also changes the digest; give the matching digest to reach the AEAD check.
  const digestOf = async (b: Uint8Array) => new Uint8Array(await crypto.subtle.digest("SHA-256", b as Uint8Array<ArrayBuffer>));
  await assert.rejects(decryptAttachment(tampered, { ...descriptor, digest: await digestOf(tampered) }), code("attachment_tampered"));
  await assert.rejects(decryptAttachment(tampered, descriptor), (e: unknown) => isE2eeError(e));
  const truncated = ciphertext.slice(0, 2 * sealed);
  await assert.rejects(decryptAttachment(truncated, { ...descriptor, digest: await digestOf(truncated) }), code("attachment_truncated"));
  const reordered = new Uint8Array(ciphertext);
  reordered.set(ciphertext.subarray(sealed, 2 * sealed), 0);
  reordered.set(ciphertext.subarray(0, sealed), sealed);
  await assert.rejects(decryptAttachment(reordered, { ...descriptor, digest: await digestOf(reordered) }), code("attachment_tampered"));
  await assert.rejects(decryptAttachment(ciphertext, { ...descriptor, key: rnd(32) }), code("attachment_tampered"));
  await assert.rejects(decryptAttachment(ciphertext, { ...descriptor, digest: rnd(32) }), code("attachment_digest_mismatch"));
});
