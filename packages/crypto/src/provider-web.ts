// The MLS crypto provider in browsers (and any runtime without the `node` condition).
// Each primitive goes where it measured fastest in a chromium worker
// (bench/src/crypto/browser-provider.ts, figures in bench/RESULTS.md):
// - HMAC and HKDF: @noble, synchronously (~30 % faster than WebCrypto's importKey +
//   sign, which MLS would pay for every derivation: each uses a fresh secret).
// - Hashes: @noble below 256 bytes (no async hop), WebCrypto above (native speed).
// - AES-GCM: WebCrypto, i.e. the default provider's own AEAD, unchanged (importKey +
//   encrypt beats @noble's JS GHASH even at 200 bytes; every AEAD key is used once —
//   message keys ratchet, sender-data keys depend on the ciphertext — so no cache).
// - Ed25519: WebCrypto with the imported keys cached per key-cache.ts (importing costs
//   about as much as signing or verifying).
// HPKE (and that AEAD) stays on the default provider's @hpke implementation. No key
// derived from an MLS secret is cached. Outputs are byte-identical to the default provider's (provider.test.ts).
import { expand, extract } from "@noble/hashes/hkdf.js";
import { hmac } from "@noble/hashes/hmac.js";
import { sha256, sha512 } from "@noble/hashes/sha2.js";
import type { CHash } from "@noble/hashes/utils.js";
import { CryptoError, defaultCryptoProvider, type CiphersuiteImpl, type CryptoProvider, type Hash, type Kdf, type Signature } from "ts-mls";
import { equalBytes, toHex } from "./bytes.ts";
import { PublicKeyCache, SigningKeyCache } from "./key-cache.ts";

type Noble = CHash;
interface WebSuite {
  hash: Noble;
  subtleHash: "SHA-256" | "SHA-512";
}

const WEB_SUITES: Record<number, WebSuite> = {
  1: { hash: sha256, subtleHash: "SHA-256" },
  0xf00d: { hash: sha512, subtleHash: "SHA-512" },
};

/** At or above this many bytes, hashing goes to WebCrypto (native) instead of JS. */
const LARGE_HASH = 256;

const subtle = (): SubtleCrypto => globalThis.crypto.subtle;
// WebCrypto wants ArrayBuffer-backed views (not SharedArrayBuffer); ts-mls's bytes always are.
const src = (b: Uint8Array) => b as Uint8Array<ArrayBuffer>;

function makeHash(s: WebSuite): Hash {
  return {
    async digest(data) {
      if (data.length >= LARGE_HASH) return new Uint8Array(await subtle().digest(s.subtleHash, src(data)));
      return s.hash(data);
    },
    async mac(key, data) {
      return hmac(s.hash, key, data);
    },
    async verifyMac(key, tag, data) {
      const expected = hmac(s.hash, key, data);
      const ok = equalBytes(expected, tag); // constant time for equal lengths
      expected.fill(0);
      return ok;
    },
  };
}

function makeKdf(s: WebSuite): Kdf {
  return {
    async extract(salt, ikm) {
      return extract(s.hash, ikm, salt);
    },
    async expand(prk, info, len) {
      try {
        return expand(s.hash, prk, info, len);
      } catch (err) {
        throw new CryptoError(`HKDF-Expand: ${String(err)}`);
      }
    },
    size: s.hash.outputLen,
  };
}

// DER prefix that wraps a raw 32-byte Ed25519 seed as PKCS#8 (RFC 8410).
const PKCS8_ED25519 = Uint8Array.from([0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20]);

async function importSigningKey(signKey: Uint8Array): Promise<CryptoKey> {
  let der = signKey;
  if (signKey.length === 32) {
    der = new Uint8Array(PKCS8_ED25519.length + 32);
    der.set(PKCS8_ED25519, 0);
    der.set(signKey, PKCS8_ED25519.length);
  }
  try {
    // Non-extractable: the prepared key cannot be read back out of the cache.
    return await subtle().importKey("pkcs8", src(der), "Ed25519", false, ["sign"]);
  } finally {
    if (der !== signKey) der.fill(0);
  }
}

async function importVerifyKey(publicKey: Uint8Array): Promise<CryptoKey | null> {
  try {
    return await subtle().importKey("raw", src(publicKey.slice()), "Ed25519", false, ["verify"]);
  } catch {
    return null; // not a key: every signature under it fails to verify
  }
}

const SIGNING_KEYS_MAX = 16;
const VERIFY_KEYS_MAX = 4096;

function makeEd25519(base: Signature): Signature {
  const signing = new SigningKeyCache<Promise<CryptoKey>>(SIGNING_KEYS_MAX, (k) => toHex(sha256(k)));
  const verifying = new PublicKeyCache<Promise<CryptoKey | null>>(VERIFY_KEYS_MAX, toHex);
  return {
    async sign(signKey, message) {
      const key = await signing.get(signKey, importSigningKey);
      return new Uint8Array(await subtle().sign("Ed25519", key, src(message)));
    },
    async verify(publicKey, message, signature) {
      const key = await verifying.get(publicKey, importVerifyKey);
      if (!key) return false;
      try {
        return await subtle().verify("Ed25519", key, src(signature), src(message));
      } catch {
        return false;
      }
    },
    // The default provider's keygen (WebCrypto, PKCS#8 private key), so key formats match.
    keygen: () => base.keygen(),
  };
}

const concurrentKeys = new PublicKeyCache<Promise<CryptoKey | null>>(VERIFY_KEYS_MAX, toHex);

/**
 * Ed25519 verification for many independent signatures at once (archive copies of a history
 * page): WebCrypto runs each off the calling thread.
 * @alias both provider files export this name for `#crypto-provider` (knip: a deliberate duplicate)
 */
export async function verifyEd25519Concurrently(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): Promise<boolean> {
  const key = await concurrentKeys.get(publicKey, importVerifyKey);
  if (!key) return false;
  try {
    return await subtle().verify("Ed25519", key, src(signature), src(message));
  } catch {
    return false;
  }
}

// Imported AES keys by the key's bytes object (a history key is one object for all the copies of
// its epoch); the bytes are compared too, so a reused, changed array never opens with a stale key.
const aesKeys = new WeakMap<Uint8Array, { bytes: Uint8Array; key: Promise<CryptoKey> }>();

/**
 * AES-256-GCM decryption for the history modules (archive copies, lockers, sealed history):
 * WebCrypto, importing each key once rather than once per copy. Undefined when the tag does not verify.
 * @alias both provider files export this name for `#crypto-provider` (knip: a deliberate duplicate)
 */
export async function aesGcmDecrypt(key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, ciphertext: Uint8Array): Promise<Uint8Array | undefined> {
  let held = aesKeys.get(key);
  if (!held || !equalBytes(held.bytes, key)) {
    held = { bytes: key.slice(), key: subtle().importKey("raw", src(key.slice()), "AES-GCM", false, ["decrypt"]) };
    aesKeys.set(key, held);
  }
  try {
    return new Uint8Array(await subtle().decrypt({ name: "AES-GCM", iv: src(nonce), additionalData: src(aad) }, await held.key, src(ciphertext)));
  } catch {
    return undefined;
  }
}

/**
 * ts-mls {@link CryptoProvider} for browsers: @noble for HMAC, HKDF and small hashes,
 * WebCrypto for AES-GCM, large hashes and Ed25519 (with cached imported keys). Suites
 * other than Parley's two get the default provider unchanged.
 */
export const webCryptoProvider: CryptoProvider = {
  async getCiphersuiteImpl(id: number): Promise<CiphersuiteImpl> {
    const base = await defaultCryptoProvider.getCiphersuiteImpl(id);
    const s = WEB_SUITES[id];
    if (!s) return base;
    return { ...base, hash: makeHash(s), kdf: makeKdf(s), signature: makeEd25519(base.signature) };
  },
};

/**
 * The provider `suites.ts` uses for `"platform"` in this runtime (package.json `imports`, default condition).
 * @alias both provider files export this name for `#crypto-provider` (knip: a deliberate duplicate)
 */
export const platformCryptoProvider: CryptoProvider = webCryptoProvider;
