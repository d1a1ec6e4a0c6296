// RFC 9605 Appendix C test vectors (fixture: rfc9605-vectors.json, source named inside).
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { fromHex, toHex } from "../bytes.ts";
// Through the package entry (@parley/crypto/sframe) where it exports the piece.
import { decodeSFrameHeader, encodeSFrameHeader, sframeOpen, sframeSeal, deriveKeySalt, importSFrameKey, type SFrameSuiteId } from "./index.ts";
import { aeadOpen, aeadSeal } from "./suites.ts";

interface Vectors {
  header: { kid: string; ctr: string; header: string }[];
  aes_ctr_hmac: { cipher_suite: string; key: string; nonce: string; aad: string; pt: string; ct: string }[];
  sframe: {
    cipher_suite: string;
    kid: string;
    ctr: string;
    base_key: string;
    sframe_key: string;
    sframe_salt: string;
    metadata: string;
    pt: string;
    ct: string;
  }[];
}
const V = JSON.parse(readFileSync(new URL("./rfc9605-vectors.json", import.meta.url), "utf8")) as Vectors;
const suiteOf = (s: string) => Number(s) as SFrameSuiteId;

test("RFC 9605 C.1: all 289 headers encode to the given bytes and decode back", () => {
  assert.equal(V.header.length, 289);
  for (const v of V.header) {
    const kid = BigInt(v.kid);
    const ctr = BigInt(v.ctr);
    assert.equal(toHex(encodeSFrameHeader(kid, ctr)), v.header, `kid ${v.kid} ctr ${v.ctr}`);
    const bytes = fromHex(v.header + "abcd");
    assert.deepEqual(decodeSFrameHeader(bytes), { kid, ctr, length: v.header.length / 2 });
  }
});

test("headers: truncated bytes decode to undefined; values outside u64 are refused", () => {
  assert.equal(decodeSFrameHeader(new Uint8Array(0)), undefined);
  const full = encodeSFrameHeader(0x1234n, 0xffffffffn);
  for (let n = 1; n < full.length; n++) assert.equal(decodeSFrameHeader(full.subarray(0, n)), undefined);
  assert.throws(() => encodeSFrameHeader(1n << 64n, 0n), RangeError);
  assert.throws(() => encodeSFrameHeader(0n, -1n), RangeError);
});

test("RFC 9605 C.2: AES-CTR with HMAC AEAD for suites 1 to 3", async () => {
  assert.equal(V.aes_ctr_hmac.length, 3);
  for (const v of V.aes_ctr_hmac) {
    const suite = suiteOf(v.cipher_suite);
    const key = await importSFrameKey({ suite, kid: 0n, key: fromHex(v.key), salt: new Uint8Array(12) });
    const ct = await aeadSeal(key, fromHex(v.nonce), fromHex(v.aad), fromHex(v.pt));
    assert.equal(toHex(ct), v.ct, `suite ${suite}`);
    assert.equal(toHex((await aeadOpen(key, fromHex(v.nonce), fromHex(v.aad), ct))!), v.pt);
    const bad = ct.slice();
    bad[0]! ^= 1;
    assert.equal(await aeadOpen(key, fromHex(v.nonce), fromHex(v.aad), bad), undefined, "a flipped ciphertext bit fails the tag");
    assert.equal(await aeadOpen(key, fromHex(v.nonce), fromHex(v.aad), ct.subarray(0, 3)), undefined, "shorter than the tag");
  }
});

test("RFC 9605 C.3: key derivation and SFrame encryption for suites 1 to 5", async () => {
  assert.equal(V.sframe.length, 5);
  for (const v of V.sframe) {
    const suite = suiteOf(v.cipher_suite);
    const m = await deriveKeySalt(suite, BigInt(v.kid), fromHex(v.base_key));
    assert.equal(toHex(m.key), v.sframe_key, `sframe_key, suite ${suite}`);
    assert.equal(toHex(m.salt), v.sframe_salt, `sframe_salt, suite ${suite}`);
    const key = await importSFrameKey(m);
    const ct = await sframeSeal(key, BigInt(v.ctr), fromHex(v.pt), fromHex(v.metadata));
    assert.equal(toHex(ct), v.ct, `ciphertext, suite ${suite}`);
    assert.equal(toHex((await sframeOpen(key, ct, fromHex(v.metadata)))!), v.pt);
    assert.equal(await sframeOpen(key, ct, new Uint8Array(0)), undefined, "other metadata fails");
    assert.equal(await sframeOpen(key, ct.subarray(0, 0)), undefined, "no header");
  }
});

test("suites: unknown ids and wrong key sizes are refused", async () => {
  await assert.rejects(deriveKeySalt(9 as SFrameSuiteId, 0n, new Uint8Array(16)), RangeError);
  await assert.rejects(importSFrameKey({ suite: 4, kid: 0n, key: new Uint8Array(15), salt: new Uint8Array(12) }), RangeError);
});
