// HPKE (RFC 9180) base mode with DHKEM(X25519, HKDF-SHA256), HKDF-SHA256 and AES-256-GCM,
// for the key locker and the device hand-off. It is the default provider's @hpke/core
// implementation (the one ts-mls uses in browsers), on WebCrypto in Node and browsers.
// Sealed bytes are `enc (32) ‖ ciphertext`.
import { x25519 } from "@noble/curves/ed25519.js";
import type { Hpke } from "ts-mls";
import { concat } from "../bytes.ts";
import { E2eeError } from "../errors.ts";
import { makeHpke } from "../ts-mls-internal.ts";

/** Size of an X25519 key and of HPKE's `enc` for this KEM. */
const X25519_KEY_BYTES = 32;

let instance: Promise<Hpke> | undefined;

function hpke(): Promise<Hpke> {
  instance ??= makeHpke({ kem: "DHKEM-X25519-HKDF-SHA256", kdf: "HKDF-SHA256", aead: "AES256GCM" });
  return instance;
}

/** An X25519 key pair as raw bytes. */
export interface X25519KeyPair {
  /** 32-byte public key. */
  publicKey: Uint8Array;
  /** 32-byte private key (keep it secret; never sent except sealed). */
  privateKey: Uint8Array;
}

/** Internal: a fresh X25519 key pair. */
export function generateX25519KeyPair(): X25519KeyPair {
  const privateKey = x25519.utils.randomSecretKey();
  return { privateKey, publicKey: x25519.getPublicKey(privateKey) };
}

/** Internal: the X25519 public key of a private key. */
export function x25519PublicKey(privateKey: Uint8Array): Uint8Array {
  if (privateKey.length !== X25519_KEY_BYTES) throw new E2eeError("bad_input", "an X25519 private key is 32 bytes");
  return x25519.getPublicKey(privateKey);
}

/** Internal: single-shot HPKE seal to a raw public key; returns `enc ‖ ciphertext`. */
export async function hpkeSeal(publicKey: Uint8Array, info: Uint8Array, aad: Uint8Array, plaintext: Uint8Array): Promise<Uint8Array> {
  if (publicKey.length !== X25519_KEY_BYTES) throw new E2eeError("bad_input", "an X25519 public key is 32 bytes");
  const h = await hpke();
  let key;
  try {
    key = await h.importPublicKey(publicKey);
  } catch (err) {
    throw new E2eeError("bad_input", "not an X25519 public key", { cause: err });
  }
  const { enc, ct } = await h.seal(key, plaintext, info, aad);
  return concat(enc, ct);
}

/** A private key imported once for many {@link hpkeOpen} calls (a locker restore opens hundreds of batches). */
export type HpkeRecipient = Awaited<ReturnType<Hpke["importPrivateKey"]>>;

/** Internal: imports a raw X25519 private key for {@link hpkeOpen}. */
export async function hpkeRecipient(privateKey: Uint8Array): Promise<HpkeRecipient> {
  if (privateKey.length !== X25519_KEY_BYTES) throw new E2eeError("bad_input", "an X25519 private key is 32 bytes");
  return (await hpke()).importPrivateKey(privateKey);
}

/** Internal: single-shot HPKE open of `enc ‖ ciphertext`; undefined when it does not authenticate. */
export async function hpkeOpen(recipient: HpkeRecipient, info: Uint8Array, aad: Uint8Array, sealed: Uint8Array): Promise<Uint8Array | undefined> {
  if (sealed.length < X25519_KEY_BYTES + 16) return undefined;
  try {
    return await (await hpke()).open(recipient, sealed.subarray(0, X25519_KEY_BYTES), sealed.subarray(X25519_KEY_BYTES), info, aad);
  } catch {
    return undefined;
  }
}
