// SFrame encryption and decryption of one frame (RFC 9605 §4.4.3, §4.4.4): the nonce is the
// salt XOR the big-endian CTR, the AAD is the encoded header followed by the caller's
// metadata, and the output is header ‖ AEAD ciphertext.
import { decodeSFrameHeader, encodeSFrameHeader } from "./header.ts";
import { aeadOpen, aeadSeal, SFRAME_NONCE_BYTES, type SFrameKey } from "./suites.ts";

const EMPTY = new Uint8Array(0);

function nonceOf(salt: Uint8Array, ctr: bigint): Uint8Array {
  const nonce = salt.slice();
  let x = ctr;
  for (let i = SFRAME_NONCE_BYTES - 1; i >= 0 && x > 0n; i--, x >>= 8n) nonce[i]! ^= Number(x & 0xffn);
  return nonce;
}

function joined(a: Uint8Array, b: Uint8Array): Uint8Array {
  if (!b.length) return a;
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

/** encrypt(CTR, KID, metadata, plaintext) of RFC 9605 §4.4.3 with `key`'s KID. */
export async function sframeSeal(key: SFrameKey, ctr: bigint, plaintext: Uint8Array, metadata: Uint8Array = EMPTY): Promise<Uint8Array> {
  const header = encodeSFrameHeader(key.kid, ctr);
  const ct = await aeadSeal(key, nonceOf(key.salt, ctr), joined(header, metadata), plaintext);
  return joined(header, ct);
}

/**
 * decrypt(metadata, ciphertext) of RFC 9605 §4.4.4 with a key already chosen by KID (the
 * caller decoded the header to find it): undefined when the header does not name this key or
 * the tag does not verify.
 */
export async function sframeOpen(key: SFrameKey, sframeCiphertext: Uint8Array, metadata: Uint8Array = EMPTY): Promise<Uint8Array | undefined> {
  const h = decodeSFrameHeader(sframeCiphertext);
  if (!h || h.kid !== key.kid) return undefined;
  const header = sframeCiphertext.subarray(0, h.length);
  return aeadOpen(key, nonceOf(key.salt, h.ctr), joined(header, metadata), sframeCiphertext.subarray(h.length));
}
