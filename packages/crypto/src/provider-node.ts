// The MLS crypto provider on Node: hash, HMAC, HKDF, AES-GCM and Ed25519 through
// synchronous `node:crypto` (OpenSSL) calls, instead of ts-mls's default provider,
// which imports a WebCrypto key and queues an async thread-pool job for every HMAC,
// HKDF step, AEAD operation and signature (~32 such jobs per application message
// encrypted and decrypted). Same algorithms, same bytes: the outputs are identical to
// the default provider's (provider.test.ts checks both ways and against RFC vectors).
//
// HPKE (seal/open to leaf and init keys: commits and Welcomes, never application
// messages): for the default suite, RFC 9180 base mode on node:crypto (hpke-node.ts:
// one seal per added member made large adds HPKE-bound on @hpke). X-Wing's hybrid KEM
// stays on the default provider's @hpke implementation, with only the AEAD that ts-mls
// reaches through `hpke.encryptAead/decryptAead` (PrivateMessage content, sender data,
// the Welcome's GroupInfo) replaced. Key caching rules: key-cache.ts.
import {
  createHmac,
  hash as oneShotHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  sign as edSign,
  timingSafeEqual,
  verify as edVerify,
  type CipherGCMTypes,
  type KeyObject,
} from "node:crypto";
import { CryptoError, defaultCryptoProvider, type CiphersuiteImpl, type CryptoProvider, type Hash, type Hpke, type Kdf, type Signature } from "ts-mls";
import { nodeHpkeX25519 } from "./hpke-node.ts";
import { PublicKeyCache, SigningKeyCache } from "./key-cache.ts";
import { aeadDecrypt, aeadEncrypt, hkdfExpand, hkdfExtract, plain, wrap, type HashName } from "./node-primitives.ts";

/** node:crypto names of a suite's algorithms (only the suites Parley uses; others fall back). */
interface NodeSuite {
  hash: HashName;
  aead: CipherGCMTypes;
}

const NODE_SUITES: Record<number, NodeSuite> = {
  // MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519
  1: { hash: "sha256", aead: "aes-128-gcm" },
  // MLS_256_XWING_AES256GCM_SHA512_Ed25519 (hash and HKDF are both SHA-512)
  0xf00d: { hash: "sha512", aead: "aes-256-gcm" },
};

function makeHash(alg: HashName): Hash {
  const mac = (key: Uint8Array, data: Uint8Array) => plain(createHmac(alg, key).update(data).digest());
  return {
    async digest(data) {
      return plain(oneShotHash(alg, data, "buffer"));
    },
    async mac(key, data) {
      return mac(key, data);
    },
    async verifyMac(key, tag, data) {
      const expected = mac(key, data);
      const ok = expected.length === tag.length && timingSafeEqual(expected, tag);
      expected.fill(0);
      return ok;
    },
  };
}

/** HKDF with separate Extract and Expand, as MLS's key schedule needs. */
function makeKdf(alg: HashName): Kdf {
  return {
    async extract(salt, ikm) {
      return hkdfExtract(alg, salt, ikm);
    },
    async expand(prk, info, len) {
      return hkdfExpand(alg, prk, info, len);
    },
    size: alg === "sha256" ? 32 : 64,
  };
}

/** The default HPKE with ts-mls's AEAD entry points on node:crypto. */
function withNodeAead(hpke: Hpke, alg: CipherGCMTypes): Hpke {
  return {
    ...hpke,
    async encryptAead(key, nonce, aad, plaintext) {
      return aeadEncrypt(alg, key, nonce, aad, plaintext);
    },
    async decryptAead(key, nonce, aad, ciphertext) {
      return aeadDecrypt(alg, key, nonce, aad, ciphertext);
    },
  };
}

// DER prefixes that wrap a raw 32-byte Ed25519 key (RFC 8410).
const PKCS8_ED25519 = Uint8Array.from([0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20]);
const SPKI_ED25519 = Uint8Array.from([0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00]);

/** Prepares a signing key: a 32-byte seed (RFC vectors, noble) or PKCS#8 (what WebCrypto's and our keygen store). */
function privateKeyOf(signKey: Uint8Array): KeyObject {
  const der = signKey.length === 32 ? wrap(PKCS8_ED25519, signKey) : Buffer.from(signKey.buffer, signKey.byteOffset, signKey.byteLength);
  try {
    return createPrivateKey({ key: der, format: "der", type: "pkcs8" });
  } catch (err) {
    throw new CryptoError(`invalid Ed25519 signing key: ${String(err)}`);
  } finally {
    if (der.buffer !== signKey.buffer) der.fill(0); // our temporary copy of the seed
  }
}

function publicKeyOf(publicKey: Uint8Array): KeyObject | null {
  if (publicKey.length !== 32) return null;
  try {
    return createPublicKey({ key: wrap(SPKI_ED25519, publicKey), format: "der", type: "spki" });
  } catch {
    return null; // not a key: every signature under it fails to verify
  }
}

/** Bounds of the key caches: one signing key per device (a few while states are swapped); verification keys for the members of several large groups. */
const SIGNING_KEYS_MAX = 16;
const VERIFY_KEYS_MAX = 4096;

function makeEd25519(): Signature {
  const signing = new SigningKeyCache<KeyObject>(SIGNING_KEYS_MAX, (k) => oneShotHash("sha256", k, "base64"));
  const verifying = new PublicKeyCache<KeyObject | null>(VERIFY_KEYS_MAX, (k) => Buffer.from(k.buffer, k.byteOffset, k.byteLength).toString("base64"));
  return {
    async sign(signKey, message) {
      return plain(edSign(null, message, signing.get(signKey, privateKeyOf)));
    },
    async verify(publicKey, message, signature) {
      const key = verifying.get(publicKey, publicKeyOf);
      if (!key) return false;
      try {
        return edVerify(null, message, key, signature);
      } catch {
        return false; // malformed signature
      }
    },
    async keygen() {
      // PKCS#8, like the default provider's keygen, so stored identities read the same with either provider.
      const { privateKey, publicKey } = generateKeyPairSync("ed25519");
      const pkcs8 = privateKey.export({ format: "der", type: "pkcs8" });
      const signKey = new Uint8Array(pkcs8);
      pkcs8.fill(0);
      const spki = publicKey.export({ format: "der", type: "spki" });
      return { signKey, publicKey: new Uint8Array(spki.subarray(SPKI_ED25519.length)) };
    },
  };
}

const concurrentKeys = new PublicKeyCache<KeyObject | null>(VERIFY_KEYS_MAX, (k) => Buffer.from(k.buffer, k.byteOffset, k.byteLength).toString("base64"));

/**
 * Ed25519 verification on libuv's thread pool, for many independent signatures at once (archive
 * copies of a history page): the MLS provider verifies synchronously, which suits one message at a
 * time but keeps a whole page on one core.
 * @alias both provider files export this name for `#crypto-provider` (knip: a deliberate duplicate)
 */
export function verifyEd25519Concurrently(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): Promise<boolean> {
  const key = concurrentKeys.get(publicKey, publicKeyOf);
  if (!key) return Promise.resolve(false);
  return new Promise((resolve) => {
    try {
      edVerify(null, message, key, signature, (err, ok) => resolve(!err && ok));
    } catch {
      resolve(false); // malformed signature
    }
  });
}

/**
 * AES-256-GCM decryption for the history modules (archive copies, lockers, sealed history):
 * node:crypto, synchronous — a page of archive copies opens without a WebCrypto round trip
 * (and key import) per copy. Undefined when the tag does not verify.
 * @alias both provider files export this name for `#crypto-provider` (knip: a deliberate duplicate)
 */
export async function aesGcmDecrypt(key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, ciphertext: Uint8Array): Promise<Uint8Array | undefined> {
  try {
    return aeadDecrypt("aes-256-gcm", key, nonce, aad, ciphertext);
  } catch {
    return undefined;
  }
}

/**
 * Internal (benchmarks, tests): the node:crypto provider with the default suite's HPKE on
 * node:crypto (`"node"`, what Parley runs) or on the default provider's @hpke (`"@hpke"`,
 * as before issue 7). Suites other than Parley's two get the default provider unchanged.
 * Each call builds a fresh implementation with its own key caches; `suites.ts` builds one
 * per suite and keeps it.
 */
export function makeNodeCryptoProvider(options: { defaultSuiteHpke: "node" | "@hpke" }): CryptoProvider {
  return {
    async getCiphersuiteImpl(id: number): Promise<CiphersuiteImpl> {
      const base = await defaultCryptoProvider.getCiphersuiteImpl(id);
      const s = NODE_SUITES[id];
      if (!s) return base;
      const hpke = id === 1 && options.defaultSuiteHpke === "node" ? nodeHpkeX25519() : withNodeAead(base.hpke, s.aead);
      return { ...base, hash: makeHash(s.hash), kdf: makeKdf(s.hash), signature: makeEd25519(), hpke };
    },
  };
}

/** ts-mls {@link CryptoProvider} on `node:crypto`, HPKE included for the default suite (see {@link makeNodeCryptoProvider}). */
export const nodeCryptoProvider: CryptoProvider = makeNodeCryptoProvider({ defaultSuiteHpke: "node" });

/**
 * The provider `suites.ts` uses for `"platform"` in this runtime (package.json `imports`, condition `node`).
 * @alias both provider files export this name for `#crypto-provider` (knip: a deliberate duplicate)
 */
export const platformCryptoProvider: CryptoProvider = nodeCryptoProvider;
