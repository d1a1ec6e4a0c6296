/**
 * The exporting officer's Ed25519 key that signs a bundle's manifest. PEM (PKCS#8 / SPKI) so
 * that `openssl genpkey -algorithm ed25519` makes one too and `openssl pkeyutl -verify
 * -rawin` checks a bundle without Parley; a raw 32-byte seed is accepted as well (e.g. the
 * archive policy signer derived from the archive secret).
 */
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from "node:crypto";
import { BundleError } from "./items.ts";

/** A new officer key pair: keep the private PEM secret, publish the public PEM and fingerprint. */
export interface OfficerKeyPair {
  privateKeyPem: string;
  publicKeyPem: string;
  fingerprint: string;
}

// PKCS#8 header of an Ed25519 private key (RFC 8410): SEQUENCE, version 0, OID 1.3.101.112, OCTET STRING(OCTET STRING(seed)).
const PKCS8_ED25519_PREFIX = Buffer.from("302e020100300506032b657004220420", "hex");

/** Generates an officer signing key (Ed25519). */
export function generateOfficerKey(): OfficerKeyPair {
  const { privateKey, publicKey } = generateKeyPairSync("ed25519");
  return {
    privateKeyPem: privateKey.export({ format: "pem", type: "pkcs8" }).toString(),
    publicKeyPem: publicKey.export({ format: "pem", type: "spki" }).toString(),
    fingerprint: officerKeyFingerprint(publicKey),
  };
}

/**
 * Reads an officer's private key: PKCS#8 PEM text or a raw 32-byte Ed25519 seed.
 * Errors: BundleError `bundle_bad_key` (unreadable, encrypted, or not Ed25519).
 */
export function loadOfficerKey(key: string | Uint8Array): KeyObject {
  let k: KeyObject;
  try {
    if (typeof key === "string") k = createPrivateKey({ key, format: "pem" });
    else {
      if (key.length !== 32) throw new Error("a raw Ed25519 key is 32 bytes");
      k = createPrivateKey({ key: Buffer.concat([PKCS8_ED25519_PREFIX, key]), format: "der", type: "pkcs8" });
    }
  } catch (err) {
    throw new BundleError("bundle_bad_key", `cannot read the signing key: ${(err as Error).message}`);
  }
  if (k.asymmetricKeyType !== "ed25519") throw new BundleError("bundle_bad_key", `the signing key is ${k.asymmetricKeyType ?? "unknown"}, not Ed25519`);
  return k;
}

/** The raw 32 bytes of an Ed25519 public key. */
function rawPublicKey(publicKey: KeyObject): Buffer {
  const jwk = publicKey.export({ format: "jwk" });
  return Buffer.from(jwk.x ?? "", "base64url");
}

/** SPKI PEM of the public half of a key (private or public). */
export function publicKeyPem(key: KeyObject): string {
  return (key.type === "private" ? createPublicKey(key) : key).export({ format: "pem", type: "spki" }).toString();
}

/**
 * Fingerprint read out to compare keys: SHA-256 of the raw 32-byte public key, 64 hex digits
 * in groups of four. Accepts a public or private KeyObject or SPKI PEM text.
 */
export function officerKeyFingerprint(key: KeyObject | string): string {
  const k = typeof key === "string" ? createPublicKey(key) : key.type === "private" ? createPublicKey(key) : key;
  const hex = createHash("sha256").update(rawPublicKey(k)).digest("hex");
  return (hex.match(/.{4}/g) ?? []).join(" ");
}
