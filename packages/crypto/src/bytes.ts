// Small byte helpers shared by the modules of this package (not exported from the package).

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true });

export function utf8(s: string): Uint8Array {
  return encoder.encode(s);
}

export function fromUtf8(b: Uint8Array): string {
  return decoder.decode(b);
}

export function toHex(b: Uint8Array): string {
  let s = "";
  for (const x of b) s += x.toString(16).padStart(2, "0");
  return s;
}

export function fromHex(s: string): Uint8Array {
  if (s.length % 2 !== 0 || !/^[0-9a-f]*$/i.test(s)) throw new TypeError("not hex");
  const out = new Uint8Array(s.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(s.slice(2 * i, 2 * i + 2), 16);
  return out;
}

export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}

export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** Two-byte big-endian length prefix (fields here are short: ids, keys). */
export function lengthPrefixed(b: Uint8Array): Uint8Array {
  if (b.length > 0xffff) throw new RangeError("field too long");
  return concat(new Uint8Array([b.length >> 8, b.length & 0xff]), b);
}

/** MLS variable-length integer prefix (RFC 9420 §2.1.2). */
export function mlsVarint(n: number): Uint8Array {
  if (n < 1 << 6) return new Uint8Array([n]);
  if (n < 1 << 14) return new Uint8Array([0x40 | (n >> 8), n & 0xff]);
  if (n < 1 << 30) return new Uint8Array([0x80 | (n >>> 24), (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff]);
  throw new RangeError("value too large for an MLS varint");
}

/** Four-byte big-endian unsigned integer. */
export function u32(n: number): Uint8Array {
  if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) throw new RangeError("not a u32");
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, n);
  return out;
}

/** Eight-byte big-endian unsigned integer. */
export function u64(n: bigint): Uint8Array {
  if (n < 0n || n > 0xffffffffffffffffn) throw new RangeError("not a u64");
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, n);
  return out;
}

/** Each field with its two-byte length prefix, joined: an unambiguous encoding of a tuple of short fields. */
export function lengthPrefixedAll(...fields: Uint8Array[]): Uint8Array {
  return concat(...fields.map(lengthPrefixed));
}
