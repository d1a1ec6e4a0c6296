// HPKE (RFC 9180) for MLS suite 1 on node:crypto: DHKEM(X25519, HKDF-SHA256),
// HKDF-SHA256, AES-128-GCM, base mode, single-shot seal/open and secret export — the
// only HPKE uses of MLS (RFC 9420 §5.1.3 EncryptWithLabel, §12.4.3.2 external init).
//
// Why it exists: adding N members seals the group secrets once per member. On @hpke each
// seal queues a dozen WebCrypto jobs (X25519 key generation and agreement, one importKey
// and one HMAC per HKDF step, AES-GCM); 999 of them took about 1 s of a 1,000-member add.
// Here each is a few synchronous OpenSSL calls. Same bytes as @hpke: checked against
// RFC 9180's test vectors (A.1.1) and both ways with @hpke (hpke-node.test.ts); groups
// mixing the two providers are tested in provider-interop.test.ts.
//
// Written here, by exception (docs/security-model.md §5): only the composition RFC 9180
// specifies (labels, key schedule, Encap/Decap, DeriveKeyPair). X25519, HMAC and AES-GCM
// are OpenSSL's. Secrets we hold as bytes (DH outputs, shared secrets, key schedule
// values, raw private keys and their DER wrappings) are zeroed after use; private keys
// otherwise live only inside OpenSSL key objects.
import { createPrivateKey, createPublicKey, diffieHellman, generateKeyPairSync, type KeyObject } from "node:crypto";
import { CryptoError, type Hpke, type PrivateKey, type PublicKey } from "ts-mls";
import { aeadDecrypt, aeadEncrypt, hkdfExpand, hkdfExtract, wrap } from "./node-primitives.ts";

const enc = (s: string) => new TextEncoder().encode(s);
const i2osp2 = (n: number) => Uint8Array.of(n >> 8, n & 0xff);

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

// RFC 9180 §7: KEM 0x0020 DHKEM(X25519, HKDF-SHA256), KDF 0x0001 HKDF-SHA256, AEAD 0x0001 AES-128-GCM.
const KEM_SUITE_ID = concat(enc("KEM"), i2osp2(0x0020));
const HPKE_SUITE_ID = concat(enc("HPKE"), i2osp2(0x0020), i2osp2(0x0001), i2osp2(0x0001));
const VERSION = enc("HPKE-v1");
const NSECRET = 32; // DHKEM shared secret and X25519 key sizes (Nsecret, Nsk, Npk)
const NK = 16;
const NN = 12;
const NH = 32;
const MODE_BASE = 0x00;
const EMPTY = new Uint8Array(0);

/** RFC 9180 §4: LabeledExtract. */
function labeledExtract(suiteId: Uint8Array, salt: Uint8Array, label: string, ikm: Uint8Array): Uint8Array {
  const labeled = concat(VERSION, suiteId, enc(label), ikm);
  try {
    return hkdfExtract("sha256", salt, labeled);
  } finally {
    labeled.fill(0); // holds the ikm (a DH output, a shared secret)
  }
}

/** RFC 9180 §4: LabeledExpand. */
function labeledExpand(suiteId: Uint8Array, prk: Uint8Array, label: string, info: Uint8Array, length: number): Uint8Array {
  return hkdfExpand("sha256", prk, concat(i2osp2(length), VERSION, suiteId, enc(label), info), length);
}

// DER wrappings of raw X25519 keys (RFC 8410).
const PKCS8_X25519 = Uint8Array.from([0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x6e, 0x04, 0x22, 0x04, 0x20]);
const SPKI_X25519 = Uint8Array.from([0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x6e, 0x03, 0x21, 0x00]);

/** What stands behind the PublicKey / PrivateKey handles ts-mls passes around (opaque to it). */
interface X25519Key {
  key: KeyObject;
  /** The serialized public key (of the pair, for a private key): what Encap/Decap put in kem_context. */
  publicBytes: Uint8Array;
}

// Handles made here, so a key from another implementation (a WebCrypto CryptoKey of
// @hpke) is refused instead of misused.
const handles = new WeakMap<object, X25519Key & { type: "public" | "private" }>();

function handle<T extends PublicKey | PrivateKey>(type: "public" | "private", k: X25519Key): T {
  const h = Object.freeze({ type, algorithm: { name: "X25519" } });
  handles.set(h, { ...k, type });
  return h as unknown as T;
}

function unwrap(h: PublicKey | PrivateKey, type: "public" | "private"): X25519Key {
  const k = handles.get(h);
  if (!k || k.type !== type) throw new CryptoError(`not an X25519 ${type} key of this HPKE implementation`);
  return k;
}

function rawPublic(key: KeyObject): Uint8Array {
  return new Uint8Array(key.export({ format: "der", type: "spki" }).subarray(SPKI_X25519.length));
}

/** RFC 9180 §7.1.1 DeserializePublicKey: any 32 bytes (RFC 7748). */
function publicKeyOf(bytes: Uint8Array): X25519Key {
  if (bytes.length !== NSECRET) throw new CryptoError(`an X25519 public key is ${NSECRET} bytes, not ${bytes.length}`);
  try {
    return { key: createPublicKey({ key: wrap(SPKI_X25519, bytes), format: "der", type: "spki" }), publicBytes: bytes.slice() };
  } catch (err) {
    throw new CryptoError(`invalid X25519 public key: ${String(err)}`);
  }
}

/** RFC 9180 §7.1.2 DeserializePrivateKey (the 32-byte scalar, clamped by X25519 itself). */
function privateKeyOf(bytes: Uint8Array): X25519Key {
  if (bytes.length !== NSECRET) throw new CryptoError(`an X25519 private key is ${NSECRET} bytes, not ${bytes.length}`);
  const der = wrap(PKCS8_X25519, bytes);
  try {
    const key = createPrivateKey({ key: der, format: "der", type: "pkcs8" });
    return { key, publicBytes: rawPublic(createPublicKey(key)) };
  } catch (err) {
    throw new CryptoError(`invalid X25519 private key: ${String(err)}`);
  } finally {
    der.fill(0);
  }
}

function generate(): { priv: X25519Key; pub: X25519Key } {
  const { privateKey, publicKey } = generateKeyPairSync("x25519");
  const publicBytes = rawPublic(publicKey);
  return { priv: { key: privateKey, publicBytes }, pub: { key: publicKey, publicBytes } };
}

/** RFC 9180 §7.1.3 DeriveKeyPair for X25519: the expanded bytes are the private key. */
function derive(ikm: Uint8Array): X25519Key {
  const prk = labeledExtract(KEM_SUITE_ID, EMPTY, "dkp_prk", ikm);
  const sk = labeledExpand(KEM_SUITE_ID, prk, "sk", EMPTY, NSECRET);
  try {
    return privateKeyOf(sk);
  } finally {
    prk.fill(0);
    sk.fill(0);
  }
}

/** DH with the all-zero output check of RFC 9180 §7.1.4 (a low-order public key). */
function dh(priv: KeyObject, pub: KeyObject): Uint8Array {
  let out: Buffer;
  try {
    out = diffieHellman({ privateKey: priv, publicKey: pub });
  } catch (err) {
    throw new CryptoError(`X25519 failed: ${String(err)}`);
  }
  const copy = new Uint8Array(out);
  out.fill(0);
  if (copy.every((b) => b === 0)) throw new CryptoError("X25519 produced the all-zero shared secret");
  return copy;
}

/** RFC 9180 §4.1 ExtractAndExpand. */
function extractAndExpand(dhOut: Uint8Array, kemContext: Uint8Array): Uint8Array {
  const prk = labeledExtract(KEM_SUITE_ID, EMPTY, "eae_prk", dhOut);
  dhOut.fill(0);
  try {
    return labeledExpand(KEM_SUITE_ID, prk, "shared_secret", kemContext, NSECRET);
  } finally {
    prk.fill(0);
  }
}

/** Internal (tests): RFC 9180 §4.1 Encap, with an explicit ephemeral key for the test vectors. */
export function encap(pkR: X25519Key, ephemeral = generate().priv): { sharedSecret: Uint8Array; enc: Uint8Array } {
  const encBytes = ephemeral.publicBytes.slice();
  const sharedSecret = extractAndExpand(dh(ephemeral.key, pkR.key), concat(encBytes, pkR.publicBytes));
  return { sharedSecret, enc: encBytes };
}

/** RFC 9180 §4.1 Decap. */
function decap(encBytes: Uint8Array, skR: X25519Key): Uint8Array {
  return extractAndExpand(dh(skR.key, publicKeyOf(encBytes).key), concat(encBytes, skR.publicBytes));
}

/** The values of an HPKE context this single-shot use needs. */
export interface HpkeContext {
  key: Uint8Array;
  baseNonce: Uint8Array;
  exporterSecret: Uint8Array;
}

// psk_id_hash of the base mode (empty psk_id): the same for every context.
const PSK_ID_HASH = labeledExtract(HPKE_SUITE_ID, EMPTY, "psk_id_hash", EMPTY);

/** Internal (tests): RFC 9180 §5.1 KeySchedule for mode_base (no PSK); zeroes the shared secret. */
export function keySchedule(sharedSecret: Uint8Array, info: Uint8Array): HpkeContext {
  const infoHash = labeledExtract(HPKE_SUITE_ID, EMPTY, "info_hash", info);
  const context = concat(Uint8Array.of(MODE_BASE), PSK_ID_HASH, infoHash);
  const secret = labeledExtract(HPKE_SUITE_ID, sharedSecret, "secret", EMPTY);
  sharedSecret.fill(0);
  try {
    return {
      key: labeledExpand(HPKE_SUITE_ID, secret, "key", context, NK),
      baseNonce: labeledExpand(HPKE_SUITE_ID, secret, "base_nonce", context, NN),
      exporterSecret: labeledExpand(HPKE_SUITE_ID, secret, "exp", context, NH),
    };
  } finally {
    secret.fill(0);
  }
}

function zeroContext(c: HpkeContext): void {
  c.key.fill(0);
  c.baseNonce.fill(0);
  c.exporterSecret.fill(0);
}

/** RFC 9180 §5.3 Export. */
function exportFrom(c: HpkeContext, exporterContext: Uint8Array, length: number): Uint8Array {
  return labeledExpand(HPKE_SUITE_ID, c.exporterSecret, "sec", exporterContext, length);
}

/** Internal (tests): the key behind a handle of this implementation. */
export function x25519Of(h: PublicKey | PrivateKey): X25519Key {
  const k = handles.get(h);
  if (!k) throw new CryptoError("not a key of this HPKE implementation");
  return k;
}

/**
 * The ts-mls {@link Hpke} of MLS suite 1 on node:crypto. Only the first message of a
 * context is ever sealed or opened (sequence number 0: the nonce is base_nonce).
 */
export function nodeHpkeX25519(): Hpke {
  return {
    async seal(publicKey, plaintext, info, aad) {
      const { sharedSecret, enc: encBytes } = encap(unwrap(publicKey, "public"));
      const c = keySchedule(sharedSecret, info);
      try {
        return { ct: aeadEncrypt("aes-128-gcm", c.key, c.baseNonce, aad, plaintext), enc: encBytes };
      } finally {
        zeroContext(c);
      }
    },
    async open(privateKey, kemOutput, ciphertext, info, aad) {
      const c = keySchedule(decap(kemOutput, unwrap(privateKey, "private")), info);
      try {
        return aeadDecrypt("aes-128-gcm", c.key, c.baseNonce, aad, ciphertext);
      } finally {
        zeroContext(c);
      }
    },
    async exportSecret(publicKey, exporterContext, length, info) {
      const { sharedSecret, enc: encBytes } = encap(unwrap(publicKey, "public"));
      const c = keySchedule(sharedSecret, info);
      try {
        return { enc: encBytes, secret: exportFrom(c, exporterContext, length) };
      } finally {
        zeroContext(c);
      }
    },
    async importSecret(privateKey, exporterContext, kemOutput, length, info) {
      const c = keySchedule(decap(kemOutput, unwrap(privateKey, "private")), info);
      try {
        return exportFrom(c, exporterContext, length);
      } finally {
        zeroContext(c);
      }
    },
    async importPrivateKey(k) {
      return handle<PrivateKey>("private", privateKeyOf(k));
    },
    async importPublicKey(k) {
      return handle<PublicKey>("public", publicKeyOf(k));
    },
    async exportPublicKey(k) {
      return unwrap(k, "public").publicBytes.slice();
    },
    async exportPrivateKey(k) {
      const der = unwrap(k, "private").key.export({ format: "der", type: "pkcs8" });
      try {
        return new Uint8Array(der.subarray(PKCS8_X25519.length));
      } finally {
        der.fill(0);
      }
    },
    async deriveKeyPair(ikm) {
      const priv = derive(ikm);
      return {
        privateKey: handle<PrivateKey>("private", priv),
        publicKey: handle<PublicKey>("public", { key: createPublicKey(priv.key), publicBytes: priv.publicBytes }),
      };
    },
    async generateKeyPair() {
      const { priv, pub } = generate();
      return { privateKey: handle<PrivateKey>("private", priv), publicKey: handle<PublicKey>("public", pub) };
    },
    async encryptAead(key, nonce, aad, plaintext) {
      return aeadEncrypt("aes-128-gcm", key, nonce, aad, plaintext);
    },
    async decryptAead(key, nonce, aad, ciphertext) {
      return aeadDecrypt("aes-128-gcm", key, nonce, aad, ciphertext);
    },
    keyLength: NK,
    nonceLength: NN,
  };
}
