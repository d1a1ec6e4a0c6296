// The MLS crypto provider in browsers (and any runtime without the `node` condition):
// small hashes, HMAC, HKDF and AES-GCM synchronously with @noble (no importKey and no
// async WebCrypto job per call: an MLS application message makes ~16 of those calls on
// each side, each on a fresh one-time key, so a WebCrypto key cache would never hit);
// large inputs (tree hashes of big groups, Welcome GroupInfos) on WebCrypto, where
// native speed outweighs the async hop. Ed25519 stays on WebCrypto (native, much faster
// than JS curve code) with the imported keys cached per key-cache.ts. HPKE stays on the
// default provider's @hpke implementation, except the AEAD ts-mls reaches through it.
// Outputs are byte-identical to the default provider's (provider.test.ts).
import { gcm } from "@noble/ciphers/aes.js";
import { expand, extract } from "@noble/hashes/hkdf.js";
import { hmac } from "@noble/hashes/hmac.js";
import { sha256, sha512 } from "@noble/hashes/sha2.js";
import type { CHash } from "@noble/hashes/utils.js";
import { CryptoError, defaultCryptoProvider, type CiphersuiteImpl, type CryptoProvider, type Hash, type Hpke, type Kdf, type Signature } from "ts-mls";
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

/** At or above this many bytes, hashing and AES-GCM go to WebCrypto (native) instead of JS. */
const LARGE = 16 * 1024;

const subtle = (): SubtleCrypto => globalThis.crypto.subtle;
// WebCrypto wants ArrayBuffer-backed views (not SharedArrayBuffer); ts-mls's bytes always are.
const src = (b: Uint8Array) => b as Uint8Array<ArrayBuffer>;

function makeHash(s: WebSuite): Hash {
  return {
    async digest(data) {
      if (data.length >= LARGE) return new Uint8Array(await subtle().digest(s.subtleHash, src(data)));
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

async function aesGcm(op: "encrypt" | "decrypt", key: Uint8Array, nonce: Uint8Array, aad: Uint8Array | undefined, data: Uint8Array): Promise<Uint8Array> {
  try {
    if (data.length < LARGE) {
      const c = gcm(key, nonce, aad?.length ? aad : undefined);
      return op === "encrypt" ? c.encrypt(data) : c.decrypt(data);
    }
    const k = await subtle().importKey("raw", src(key), "AES-GCM", false, [op]);
    const params: AesGcmParams = { name: "AES-GCM", iv: src(nonce), ...(aad?.length ? { additionalData: src(aad) } : {}) };
    return new Uint8Array(op === "encrypt" ? await subtle().encrypt(params, k, src(data)) : await subtle().decrypt(params, k, src(data)));
  } catch (err) {
    if (op === "encrypt") throw err;
    throw new CryptoError(`AEAD decryption failed: ${String(err)}`);
  }
}

function withWebAead(hpke: Hpke): Hpke {
  return {
    ...hpke,
    encryptAead: (key, nonce, aad, plaintext) => aesGcm("encrypt", key, nonce, aad, plaintext),
    decryptAead: (key, nonce, aad, ciphertext) => aesGcm("decrypt", key, nonce, aad, ciphertext),
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

/**
 * ts-mls {@link CryptoProvider} for browsers: @noble for small symmetric operations,
 * WebCrypto for large ones and for Ed25519 (with cached imported keys). Suites other
 * than Parley's two get the default provider unchanged.
 */
export const webCryptoProvider: CryptoProvider = {
  async getCiphersuiteImpl(id: number): Promise<CiphersuiteImpl> {
    const base = await defaultCryptoProvider.getCiphersuiteImpl(id);
    const s = WEB_SUITES[id];
    if (!s) return base;
    return { ...base, hash: makeHash(s), kdf: makeKdf(s), signature: makeEd25519(base.signature), hpke: withWebAead(base.hpke) };
  },
};

/** The provider `suites.ts` uses for `"platform"` in this runtime (package.json `imports`, default condition). */
export const platformCryptoProvider: CryptoProvider = webCryptoProvider;

/** Which implementation `"platform"` is here (benchmarks, diagnostics). */
export const PLATFORM_PROVIDER_NAME = "web (noble + cached WebCrypto keys)";
