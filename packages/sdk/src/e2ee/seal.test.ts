import { test } from "node:test";
import assert from "node:assert/strict";
import { aesGcmOpen, aesGcmSeal } from "./seal.ts";

test("the node:crypto path seals exactly as WebCrypto does and opens what WebCrypto sealed; tampering is refused", async () => {
  const key = await crypto.subtle.generateKey({ name: "AES-GCM", length: 256 }, false, ["encrypt", "decrypt"]);
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const aad = new TextEncoder().encode("ev:ch:1:ev_1");
  const pt = new TextEncoder().encode(JSON.stringify({ text: "hello" }));
  const webcrypto = new Uint8Array(await crypto.subtle.encrypt({ name: "AES-GCM", iv, additionalData: aad }, key, pt));
  assert.deepEqual(await aesGcmSeal(key, iv, aad, pt), webcrypto);
  assert.deepEqual(await aesGcmOpen(key, iv, aad, webcrypto), pt);
  const tampered = webcrypto.slice();
  tampered[0]! ^= 1;
  await assert.rejects(aesGcmOpen(key, iv, aad, tampered));
  await assert.rejects(aesGcmOpen(key, iv, new TextEncoder().encode("ev:ch:2:ev_2"), webcrypto));
});
