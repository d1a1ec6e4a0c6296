// SFrame cipher suites (RFC 9605 §4.5, IANA registry §8.1) on WebCrypto only, so the same
// code runs in Node 24, browsers and the encoded-transform worker. The AES-CTR + HMAC suites
// are the RFC's encrypt-then-MAC construction (§4.5.1) with truncated tags.

/** Numeric ids of the SFrame cipher suites (RFC 9605 §8.1). */
export const SFRAME_SUITES = {
  AES_128_CTR_HMAC_SHA256_80: 0x0001,
  AES_128_CTR_HMAC_SHA256_64: 0x0002,
  AES_128_CTR_HMAC_SHA256_32: 0x0003,
  AES_128_GCM_SHA256_128: 0x0004,
  AES_256_GCM_SHA512_128: 0x0005,
} as const;

/** One of the numeric SFrame cipher suite ids. */
export type SFrameSuiteId = (typeof SFRAME_SUITES)[keyof typeof SFRAME_SUITES];

interface SuiteParams {
  hash: "SHA-256" | "SHA-512";
  /** Hash output size. */
  nh: number;
  /** AES key size inside the CTR+HMAC key (0 for GCM). */
  nka: number;
  /** AEAD key size. */
  nk: number;
  /** Tag size. */
  nt: number;
  gcm: boolean;
}

const PARAMS: Record<SFrameSuiteId, SuiteParams> = {
  1: { hash: "SHA-256", nh: 32, nka: 16, nk: 48, nt: 10, gcm: false },
  2: { hash: "SHA-256", nh: 32, nka: 16, nk: 48, nt: 8, gcm: false },
  3: { hash: "SHA-256", nh: 32, nka: 16, nk: 48, nt: 4, gcm: false },
  4: { hash: "SHA-256", nh: 32, nka: 0, nk: 16, nt: 16, gcm: true },
  5: { hash: "SHA-512", nh: 64, nka: 0, nk: 32, nt: 16, gcm: true },
};

/** Nonce size of every suite. */
export const SFRAME_NONCE_BYTES = 12;

/** The parameters of a suite; throws RangeError for an unknown id. */
export function suiteParams(suite: number): Readonly<SuiteParams> {
  const p = PARAMS[suite as SFrameSuiteId];
  if (!p) throw new RangeError(`unknown SFrame cipher suite ${suite}`);
  return p;
}

const view = (b: Uint8Array) => b as Uint8Array<ArrayBuffer>;
const subtle = () => globalThis.crypto.subtle;
const encoder = new TextEncoder();

function u64(n: bigint): Uint8Array {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, n);
  return out;
}

/** HKDF-Expand(HKDF-Extract("", ikm), info, len) with the suite's hash. */
async function hkdf(hash: string, ikm: Uint8Array, info: Uint8Array, len: number): Promise<Uint8Array> {
  const k = await subtle().importKey("raw", view(ikm), "HKDF", false, ["deriveBits"]);
  return new Uint8Array(await subtle().deriveBits({ name: "HKDF", hash, salt: new Uint8Array(0), info: view(info) }, k, len * 8));
}

/** The raw outputs of derive_key_salt (RFC 9605 §4.4.2), for tests and for handing keys to a worker. */
export interface SFrameKeyMaterial {
  suite: SFrameSuiteId;
  kid: bigint;
  key: Uint8Array;
  salt: Uint8Array;
}

/** derive_key_salt(KID, base_key) of RFC 9605 §4.4.2. */
export async function deriveKeySalt(suite: SFrameSuiteId, kid: bigint, baseKey: Uint8Array): Promise<SFrameKeyMaterial> {
  const p = suiteParams(suite);
  const tail = new Uint8Array(10);
  tail.set(u64(kid), 0);
  tail[8] = suite >> 8;
  tail[9] = suite & 0xff;
  const label = (s: string) => {
    const head = encoder.encode(s);
    const out = new Uint8Array(head.length + tail.length);
    out.set(head);
    out.set(tail, head.length);
    return out;
  };
  const [key, salt] = await Promise.all([
    hkdf(p.hash, baseKey, label("SFrame 1.0 Secret key "), p.nk),
    hkdf(p.hash, baseKey, label("SFrame 1.0 Secret salt "), SFRAME_NONCE_BYTES),
  ]);
  return { suite, kid, key, salt };
}

/** An AEAD keyed for one KID: WebCrypto keys (not extractable) and the salt. */
export interface SFrameKey {
  suite: SFrameSuiteId;
  kid: bigint;
  salt: Uint8Array;
  /** AES-GCM key, or the AES-CTR key of the CTR+HMAC suites. */
  enc: CryptoKey;
  /** HMAC key of the CTR+HMAC suites. */
  auth?: CryptoKey;
}

/** Import derived key material as WebCrypto keys. */
export async function importSFrameKey(m: SFrameKeyMaterial): Promise<SFrameKey> {
  const p = suiteParams(m.suite);
  if (m.key.length !== p.nk || m.salt.length !== SFRAME_NONCE_BYTES) throw new RangeError("SFrame key or salt of the wrong size");
  if (p.gcm)
    return {
      suite: m.suite,
      kid: m.kid,
      salt: m.salt.slice(),
      enc: await subtle().importKey("raw", view(m.key.slice()), "AES-GCM", false, ["encrypt", "decrypt"]),
    };
  const [enc, auth] = await Promise.all([
    subtle().importKey("raw", view(m.key.slice(0, p.nka)), "AES-CTR", false, ["encrypt", "decrypt"]),
    subtle().importKey("raw", view(m.key.slice(p.nka)), { name: "HMAC", hash: p.hash }, false, ["sign"]),
  ]);
  return { suite: m.suite, kid: m.kid, salt: m.salt.slice(), enc, auth };
}

async function ctrHmacTag(k: SFrameKey, nt: number, nonce: Uint8Array, aad: Uint8Array, ct: Uint8Array): Promise<Uint8Array> {
  const data = new Uint8Array(24 + nonce.length + aad.length + ct.length);
  const dv = new DataView(data.buffer);
  dv.setBigUint64(0, BigInt(aad.length));
  dv.setBigUint64(8, BigInt(ct.length));
  dv.setBigUint64(16, BigInt(nt));
  data.set(nonce, 24);
  data.set(aad, 24 + nonce.length);
  data.set(ct, 24 + nonce.length + aad.length);
  return new Uint8Array(await subtle().sign("HMAC", k.auth!, data), 0, nt);
}

function ctrParams(nonce: Uint8Array): AesCtrParams {
  const counter = new Uint8Array(16);
  counter.set(nonce);
  return { name: "AES-CTR", counter, length: 32 };
}

/** AEAD.Encrypt of the suite: ciphertext ‖ tag. */
export async function aeadSeal(k: SFrameKey, nonce: Uint8Array, aad: Uint8Array, pt: Uint8Array): Promise<Uint8Array> {
  const p = suiteParams(k.suite);
  if (p.gcm) return new Uint8Array(await subtle().encrypt({ name: "AES-GCM", iv: view(nonce), additionalData: view(aad) }, k.enc, view(pt)));
  const ct = new Uint8Array(await subtle().encrypt(ctrParams(nonce), k.enc, view(pt)));
  const tag = await ctrHmacTag(k, p.nt, nonce, aad, ct);
  const out = new Uint8Array(ct.length + tag.length);
  out.set(ct);
  out.set(tag, ct.length);
  return out;
}

/** Both are Nt bytes long here (the computed tag and the received one). */
function equalConstantTime(a: Uint8Array, b: Uint8Array): boolean {
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= a[i]! ^ b[i]!;
  return d === 0;
}

/** AEAD.Decrypt of the suite; undefined when the tag does not verify. */
export async function aeadOpen(k: SFrameKey, nonce: Uint8Array, aad: Uint8Array, ct: Uint8Array): Promise<Uint8Array | undefined> {
  const p = suiteParams(k.suite);
  if (ct.length < p.nt) return undefined;
  if (p.gcm) {
    try {
      return new Uint8Array(await subtle().decrypt({ name: "AES-GCM", iv: view(nonce), additionalData: view(aad) }, k.enc, view(ct)));
    } catch {
      return undefined;
    }
  }
  const inner = ct.subarray(0, ct.length - p.nt);
  const tag = await ctrHmacTag(k, p.nt, nonce, aad, inner);
  if (!equalConstantTime(tag, ct.subarray(ct.length - p.nt))) return undefined;
  return new Uint8Array(await subtle().decrypt(ctrParams(nonce), k.enc, view(inner)));
}
