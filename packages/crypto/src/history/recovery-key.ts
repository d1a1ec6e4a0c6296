// The recovery key (ADR 0007): 256 random bits, shown once as 56 Crockford base32
// characters (the key and a 3-byte SHA-256 checksum, in 14 groups of 4), and the recovery
// blob it opens: the user's locker and identity private keys under AES-256-GCM. The key is
// uniformly random, so HKDF (not a password KDF) derives the wrapping key.
import { hkdf } from "@noble/hashes/hkdf.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { concat, equalBytes, lengthPrefixedAll, utf8 } from "../bytes.ts";
import { E2eeError } from "../errors.ts";
import { aesGcmOpen, aesGcmSeal, NONCE_BYTES, randomNonce } from "./aes-gcm.ts";
import type { LockerOwner } from "./locker.ts";
import { decodeUserSecrets, encodeUserSecrets, type UserSecrets } from "./user-secrets.ts";

const ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
const KEY_BYTES = 32;
const CHECKSUM_BYTES = 3;
const CHARS = ((KEY_BYTES + CHECKSUM_BYTES) * 8) / 5; // 56
const LABEL = utf8("parley recovery v1");
const BLOB_VERSION = 1;

/** A recovery key: its bytes and the text shown to the user once. */
export interface RecoveryKey {
  /** The 32 key bytes. */
  key: Uint8Array;
  /** 14 groups of 4 Crockford base32 characters separated by '-'. */
  display: string;
}

function checksum(key: Uint8Array): Uint8Array {
  return sha256(key).subarray(0, CHECKSUM_BYTES);
}

function base32(bytes: Uint8Array): string {
  let out = "";
  let acc = 0;
  let bits = 0;
  for (const b of bytes) {
    acc = (acc << 8) | b;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out += ALPHABET[(acc >> bits) & 31];
    }
    acc &= (1 << bits) - 1;
  }
  return out; // 35 bytes are exactly 56 characters: no padding bits
}

/** The display text of 32 key bytes. */
export function formatRecoveryKey(key: Uint8Array): string {
  if (key.length !== KEY_BYTES) throw new E2eeError("bad_input", "a recovery key is 32 bytes");
  return (base32(concat(key, checksum(key))).match(/.{4}/g) ?? []).join("-");
}

/** Generates a recovery key (256 random bits) and its display text. */
export function generateRecoveryKey(): RecoveryKey {
  const key = crypto.getRandomValues(new Uint8Array(KEY_BYTES));
  return { key, display: formatRecoveryKey(key) };
}

/**
 * Reads a recovery key as typed: ignores case, spaces and dashes, reads O as 0 and I/L as 1.
 * Errors: E2eeError `recovery_key_invalid` (wrong length, a foreign character, a failed checksum).
 */
export function parseRecoveryKey(text: string): Uint8Array {
  const clean = text.toUpperCase().replace(/[\s-]/g, "").replace(/O/g, "0").replace(/[IL]/g, "1");
  if (clean.length !== CHARS) throw new E2eeError("recovery_key_invalid", `a recovery key has ${CHARS} characters, not ${clean.length}`);
  const bytes = new Uint8Array(KEY_BYTES + CHECKSUM_BYTES);
  let acc = 0;
  let bits = 0;
  let o = 0;
  for (const ch of clean) {
    const v = ALPHABET.indexOf(ch);
    if (v < 0) throw new E2eeError("recovery_key_invalid", `'${ch}' is not a recovery key character`);
    acc = (acc << 5) | v;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      bytes[o++] = (acc >> bits) & 0xff;
      acc &= (1 << bits) - 1;
    }
  }
  const key = bytes.slice(0, KEY_BYTES);
  if (!equalBytes(checksum(key), bytes.subarray(KEY_BYTES)))
    throw new E2eeError("recovery_key_invalid", "the recovery key's checksum does not match: check for a typo");
  return key;
}

function context(owner: LockerOwner): Uint8Array {
  return concat(LABEL, lengthPrefixedAll(utf8(owner.orgId), utf8(owner.userId)));
}

function wrappingKey(recoveryKey: Uint8Array, owner: LockerOwner): Uint8Array {
  if (recoveryKey.length !== KEY_BYTES) throw new E2eeError("bad_input", "a recovery key is 32 bytes");
  return hkdf(sha256, recoveryKey, undefined, context(owner), 32);
}

/** Internal (known-answer tests): {@link sealRecoveryBlob} with a given nonce. */
export async function sealRecoveryBlobWithNonce(recoveryKey: Uint8Array, secrets: UserSecrets, owner: LockerOwner, nonce: Uint8Array): Promise<Uint8Array> {
  const key = wrappingKey(recoveryKey, owner);
  const plain = encodeUserSecrets(secrets);
  const header = Uint8Array.of(BLOB_VERSION);
  try {
    return concat(header, nonce, await aesGcmSeal(key, nonce, concat(context(owner), header), plain));
  } finally {
    key.fill(0);
    plain.fill(0);
  }
}

/** Seals the user's locker and identity private keys under the recovery key: the blob the server stores (`version ‖ nonce ‖ AES-256-GCM`). */
export function sealRecoveryBlob(recoveryKey: Uint8Array, secrets: UserSecrets, owner: LockerOwner): Promise<Uint8Array> {
  return sealRecoveryBlobWithNonce(recoveryKey, secrets, owner, randomNonce());
}

/**
 * Opens the recovery blob with a recovery key (see {@link parseRecoveryKey}).
 * Errors: E2eeError `recovery_key_wrong` (another key or user, or a changed blob).
 */
export async function openRecoveryBlob(recoveryKey: Uint8Array, blob: Uint8Array, owner: LockerOwner): Promise<UserSecrets> {
  const key = wrappingKey(recoveryKey, owner);
  try {
    if (blob.length < 1 + NONCE_BYTES + 16 || blob[0] !== BLOB_VERSION) throw new E2eeError("recovery_key_wrong", "not a recovery blob this version reads");
    const header = blob.subarray(0, 1);
    const plain = await aesGcmOpen(key, blob.subarray(1, 1 + NONCE_BYTES), concat(context(owner), header), blob.subarray(1 + NONCE_BYTES));
    const secrets = plain && decodeUserSecrets(plain);
    plain?.fill(0);
    if (!secrets) throw new E2eeError("recovery_key_wrong", "this recovery key does not open the recovery blob");
    return secrets;
  } finally {
    key.fill(0);
  }
}
