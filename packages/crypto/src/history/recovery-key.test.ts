import { test } from "node:test";
import assert from "node:assert/strict";
import { gcm } from "@noble/ciphers/aes.js";
import { hkdf } from "@noble/hashes/hkdf.js";
import { sha256 } from "@noble/hashes/sha2.js";
import {
  formatRecoveryKey,
  generateLockerKeyPair,
  generateRecoveryKey,
  generateUserIdentity,
  openRecoveryBlob,
  parseRecoveryKey,
  sealRecoveryBlob,
} from "../index.ts";
import { isE2eeError } from "../public.ts";
import { concat, fromHex, toHex, utf8 } from "../bytes.ts";
import { sealRecoveryBlobWithNonce } from "./recovery-key.ts";

const owner = { orgId: "org1", userId: "alice" };
const invalid = (e: unknown) => isE2eeError(e, "recovery_key_invalid");
const wrong = (e: unknown) => isE2eeError(e, "recovery_key_wrong");

test("a recovery key is shown as 14 groups of 4 and read back however it is typed", () => {
  const { key, display } = generateRecoveryKey();
  assert.match(display, /^[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){13}$/);
  assert.deepEqual(parseRecoveryKey(display), key);
  const sloppy = display.toLowerCase().replace(/-/g, " ").replace(/0/g, "o").replace(/1/g, "l");
  assert.deepEqual(parseRecoveryKey(`  ${sloppy} `), key);
  assert.deepEqual(parseRecoveryKey(display.replace(/-/g, "")), key);
});

test("known answer: the display format of a fixed key", () => {
  const key = fromHex("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f");
  assert.equal(formatRecoveryKey(key), KAT_DISPLAY);
  assert.equal(toHex(sha256(key).subarray(0, 3)), "630dcd", "the checksum is the start of SHA-256(key)");
});
// Checked against an independent Python base32 of key ‖ SHA-256(key)[0..3].
const KAT_DISPLAY = "000G-40R4-0M30-E209-185G-R38E-1W81-24GK-2GAH-C5RR-34D1-P70X-3RFP-63ED";

test("typos, wrong lengths and foreign characters are caught before any decryption", () => {
  const { display } = generateRecoveryKey();
  const chars = display.replace(/-/g, "");
  for (const i of [0, 17, 55]) {
    const c = chars[i]!;
    const typo = chars.slice(0, i) + (c === "7" ? "8" : "7") + chars.slice(i + 1);
    assert.throws(() => parseRecoveryKey(typo), invalid, `typo at ${i}`);
  }
  assert.throws(() => parseRecoveryKey(KAT_DISPLAY.replace("000G-40R4", "00G0-40R4")), invalid, "two characters swapped");
  assert.throws(() => parseRecoveryKey(chars.slice(1)), invalid, "one character short");
  assert.throws(() => parseRecoveryKey(chars + "0"), invalid, "one character too many");
  assert.throws(() => parseRecoveryKey("U" + chars.slice(1)), invalid, "U is not Crockford base32");
  assert.throws(() => parseRecoveryKey(""), invalid);
});

test("the recovery blob opens with its key only", async () => {
  const { key } = generateRecoveryKey();
  const secrets = { lockerPrivateKey: generateLockerKeyPair().privateKey, identityPrivateKey: generateUserIdentity().privateKey };
  const blob = await sealRecoveryBlob(key, secrets, owner);
  assert.deepEqual(await openRecoveryBlob(key, blob, owner), secrets);
  await assert.rejects(openRecoveryBlob(generateRecoveryKey().key, blob, owner), wrong, "another recovery key");
  await assert.rejects(openRecoveryBlob(key, blob, { ...owner, userId: "bob" }), wrong, "another user's blob");
  for (const i of [0, 5, blob.length - 1]) {
    const bad = blob.slice();
    bad[i]! ^= 1;
    await assert.rejects(openRecoveryBlob(key, bad, owner), wrong, `byte ${i} flipped`);
  }
  await assert.rejects(openRecoveryBlob(key, blob.slice(0, 20), owner), wrong, "truncated");
});

test("known answer: the recovery blob, rebuilt from the ADR with independent primitives", async () => {
  const key = fromHex("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f");
  const secrets = { lockerPrivateKey: new Uint8Array(32).fill(0x11), identityPrivateKey: new Uint8Array(32).fill(0x22) };
  const nonce = fromHex("0f0e0d0c0b0a090807060504");
  const blob = await sealRecoveryBlobWithNonce(key, secrets, owner, nonce);
  const context = concat(utf8("parley recovery v1"), fromHex("0004"), utf8("org1"), fromHex("0005"), utf8("alice"));
  const wrapping = hkdf(sha256, key, undefined, context, 32);
  const plain = concat(Uint8Array.of(1), secrets.lockerPrivateKey, secrets.identityPrivateKey);
  assert.equal(toHex(blob), toHex(concat(Uint8Array.of(1), nonce, gcm(wrapping, nonce, concat(context, Uint8Array.of(1))).encrypt(plain))));
});
