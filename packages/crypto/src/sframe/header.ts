// The SFrame header (RFC 9605 §4.3): a config byte |X|K(3)|Y|C(3)| followed by the KID and
// the CTR. A value below 8 sits in its 3-bit field with the flag clear; a larger one follows
// the config byte big-endian in its fewest bytes, the field holding that length minus one.
// KID and CTR are 64-bit unsigned, so they are bigints here.

/** The longest header: config byte, 8-byte KID, 8-byte CTR. */
export const MAX_HEADER_BYTES = 17;
const U64_MAX = (1n << 64n) - 1n;

/** A decoded SFrame header and the number of bytes it took. */
export interface SFrameHeader {
  /** Key id: selects the key. */
  kid: bigint;
  /** Counter: makes the nonce. */
  ctr: bigint;
  /** Encoded length in bytes (1 to 17). */
  length: number;
}

function byteLength(v: bigint): number {
  let n = 0;
  for (let x = v; x > 0n; x >>= 8n) n++;
  return n;
}

function writeBig(out: Uint8Array, at: number, v: bigint, len: number): void {
  for (let i = len - 1, x = v; i >= 0; i--, x >>= 8n) out[at + i] = Number(x & 0xffn);
}

/** Encode a header in its shortest form (RFC 9605 §4.3). Throws RangeError outside 0..2^64-1. */
export function encodeSFrameHeader(kid: bigint, ctr: bigint): Uint8Array {
  if (kid < 0n || kid > U64_MAX || ctr < 0n || ctr > U64_MAX) throw new RangeError("KID and CTR are 64-bit unsigned");
  const kLen = kid < 8n ? 0 : byteLength(kid);
  const cLen = ctr < 8n ? 0 : byteLength(ctr);
  const out = new Uint8Array(1 + kLen + cLen);
  const k = kLen ? 0x80 | ((kLen - 1) << 4) : Number(kid) << 4;
  const c = cLen ? 0x08 | (cLen - 1) : Number(ctr);
  out[0] = k | c;
  if (kLen) writeBig(out, 1, kid, kLen);
  if (cLen) writeBig(out, 1 + kLen, ctr, cLen);
  return out;
}

function readBig(b: Uint8Array, at: number, len: number): bigint {
  let v = 0n;
  for (let i = 0; i < len; i++) v = (v << 8n) | BigInt(b[at + i]!);
  return v;
}

/**
 * Decode the header at the start of `bytes`; undefined when the bytes end inside it. Values
 * in longer than shortest form are accepted (a receiver needs only to read them; the AAD is
 * the bytes as sent, so re-encoding never matters).
 */
export function decodeSFrameHeader(bytes: Uint8Array): SFrameHeader | undefined {
  if (bytes.length < 1) return undefined;
  const config = bytes[0]!;
  const kLen = config & 0x80 ? ((config >> 4) & 0x07) + 1 : 0;
  const cLen = config & 0x08 ? (config & 0x07) + 1 : 0;
  const length = 1 + kLen + cLen;
  if (bytes.length < length) return undefined;
  const kid = kLen ? readBig(bytes, 1, kLen) : BigInt((config >> 4) & 0x07);
  const ctr = cLen ? readBig(bytes, 1 + kLen, cLen) : BigInt(config & 0x07);
  return { kid, ctr, length };
}
