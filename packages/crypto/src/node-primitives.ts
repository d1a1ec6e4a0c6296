// Synchronous node:crypto building blocks shared by the Node MLS provider
// (provider-node.ts) and its HPKE (hpke-node.ts): HKDF with Extract and Expand apart,
// AES-GCM with the tag appended, and the DER wrapping of raw keys. Node-only: browser
// bundles never import this file (only provider-node.ts and hpke-node.ts do).
import { CryptoError } from "ts-mls";
import { createCipheriv, createDecipheriv, createHmac, type CipherGCMTypes } from "node:crypto";

/** node:crypto name of a suite's hash (and HMAC/HKDF hash). */
export type HashName = "sha256" | "sha512";

const TAG_LENGTH = 16;

/** Internal: Node Buffers as plain Uint8Arrays (ts-mls copies with `.slice()`, which on a Buffer is a view). */
export function plain(b: Buffer): Uint8Array {
  // Buffers made by hash/HMAC/cipher calls own their memory; anything else is copied so
  // no caller ever sees Node's shared allocation pool behind `.buffer`.
  if (b.byteOffset === 0 && b.byteLength === b.buffer.byteLength) return new Uint8Array(b.buffer, 0, b.byteLength);
  return new Uint8Array(b);
}

/** Internal: HKDF-Extract (RFC 5869). An empty salt means HashLen zero bytes; HMAC pads short keys with zeros, so both give the same PRK. */
export function hkdfExtract(alg: HashName, salt: Uint8Array, ikm: Uint8Array): Uint8Array {
  return plain(createHmac(alg, salt).update(ikm).digest());
}

/** Internal: HKDF-Expand (RFC 5869); node's `hkdf` only runs Extract and Expand together. Zeroes its intermediate blocks. */
export function hkdfExpand(alg: HashName, prk: Uint8Array, info: Uint8Array, len: number): Uint8Array {
  const size = alg === "sha256" ? 32 : 64;
  if (len > 255 * size) throw new CryptoError("HKDF-Expand: requested length too large");
  const out = new Uint8Array(len);
  const counter = new Uint8Array(1);
  let prev: Buffer | undefined;
  for (let i = 1, off = 0; off < len; i++) {
    const h = createHmac(alg, prk);
    if (prev) h.update(prev);
    counter[0] = i;
    const t = h.update(info).update(counter).digest();
    prev?.fill(0);
    prev = t;
    out.set(t.subarray(0, Math.min(t.length, len - off)), off);
    off += t.length;
  }
  prev?.fill(0);
  return out;
}

/** Internal: AES-GCM encryption with a 16-byte tag appended. */
export function aeadEncrypt(alg: CipherGCMTypes, key: Uint8Array, nonce: Uint8Array, aad: Uint8Array | undefined, plaintext: Uint8Array): Uint8Array {
  const c = createCipheriv(alg, key, nonce, { authTagLength: TAG_LENGTH });
  if (aad?.length) c.setAAD(aad);
  const body = c.update(plaintext);
  const last = c.final();
  const out = new Uint8Array(body.length + last.length + TAG_LENGTH);
  out.set(body, 0);
  out.set(last, body.length);
  out.set(c.getAuthTag(), body.length + last.length);
  return out;
}

/** Internal: AES-GCM decryption; unauthenticated plaintext is zeroed, never returned. */
export function aeadDecrypt(alg: CipherGCMTypes, key: Uint8Array, nonce: Uint8Array, aad: Uint8Array | undefined, ciphertext: Uint8Array): Uint8Array {
  if (ciphertext.length < TAG_LENGTH) throw new CryptoError("AEAD ciphertext shorter than its tag");
  const d = createDecipheriv(alg, key, nonce, { authTagLength: TAG_LENGTH });
  d.setAuthTag(ciphertext.subarray(ciphertext.length - TAG_LENGTH));
  if (aad?.length) d.setAAD(aad);
  const body = d.update(ciphertext.subarray(0, ciphertext.length - TAG_LENGTH));
  try {
    d.final();
  } catch {
    body.fill(0); // unauthenticated plaintext never leaves
    throw new CryptoError("AEAD decryption failed (authentication tag mismatch)");
  }
  return plain(body);
}

/** Internal: a raw key inside its DER wrapping (RFC 8410), in memory never taken from the shared pool. */
export function wrap(prefix: Uint8Array, raw: Uint8Array): Buffer {
  const der = Buffer.alloc(prefix.length + raw.length); // alloc, not allocUnsafe: never from the shared pool
  der.set(prefix, 0);
  der.set(raw, prefix.length);
  return der;
}
