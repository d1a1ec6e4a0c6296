// The org's compliance archive policy (issue 11, ADR 0008): which channels' history keys
// devices also seal to the org's archive public key. Compliance officers sign it with the
// org's archive signing key (Ed25519); devices pin that key on first sight and accept only
// policies it signed, with a version never below the highest they saw, so the server can
// neither swap the archive key for its own nor quietly drop channels from the archive.
// Both keys come from one 32-byte archive secret that officers keep split (Shamir) or
// wrapped by an HSM: changing the scope needs the secret, like reading the archive.
import { ed25519, x25519 } from "@noble/curves/ed25519.js";
import { hkdf } from "@noble/hashes/hkdf.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { utf8 } from "../bytes.ts";
import { E2eeError } from "../errors.ts";
import type { X25519KeyPair } from "./hpke.ts";

/** Which channels the archive covers: by kind, by label, or by id. */
export interface ArchiveScope {
  kinds: readonly string[];
  labels: readonly string[];
  channelIds: readonly string[];
}

/** The signed statement. Keys are raw 32-byte values (base64 on the wire). */
export interface ArchivePolicyFields {
  orgId: string;
  /** 1, 2, 3, ...: each change is the next version. */
  version: number;
  /** Shown to members ("Acme compliance archive"). */
  name: string;
  /** X25519 public key devices seal history keys to. */
  archiveKey: Uint8Array;
  /** Ed25519 public key that signs the policy (devices pin it). */
  signerKey: Uint8Array;
  scope: ArchiveScope;
  /** When the officers issued it (ms). */
  issuedAt: number;
}

/** The keys an archive secret yields. */
export interface ArchiveKeys {
  archive: X25519KeyPair;
  signer: { publicKey: Uint8Array; privateKey: Uint8Array };
}

const LABEL = "parley archive policy v1";
const SECRET_BYTES = 32;

/** A fresh archive secret (32 random bytes): split it among officers or wrap it with an HSM. */
export function generateArchiveSecret(): Uint8Array {
  return crypto.getRandomValues(new Uint8Array(SECRET_BYTES));
}

/** The archive key pair (X25519) and the policy signing key pair (Ed25519) of an archive secret. */
export function archiveKeysFromSecret(secret: Uint8Array): ArchiveKeys {
  if (secret.length !== SECRET_BYTES) throw new E2eeError("bad_input", "an archive secret is 32 bytes");
  const archivePriv = hkdf(sha256, secret, undefined, utf8("parley archive key v1"), 32);
  const signerPriv = hkdf(sha256, secret, undefined, utf8("parley archive signer v1"), 32);
  return {
    archive: { privateKey: archivePriv, publicKey: x25519.getPublicKey(archivePriv) },
    signer: { privateKey: signerPriv, publicKey: ed25519.getPublicKey(signerPriv) },
  };
}

const b64 = (b: Uint8Array) => btoa(String.fromCharCode(...b));
const sorted = (xs: readonly string[]) => [...new Set(xs)].sort();

/** The exact bytes that are signed: a label and a JSON array in a fixed order (scope lists sorted, deduplicated). */
export function encodeArchivePolicy(p: ArchivePolicyFields): Uint8Array {
  if (!Number.isSafeInteger(p.version) || p.version < 1) throw new E2eeError("bad_input", "an archive policy version is a positive integer");
  if (p.archiveKey.length !== 32 || p.signerKey.length !== 32) throw new E2eeError("bad_input", "archive and signer keys are 32 bytes");
  return utf8(
    JSON.stringify([
      LABEL,
      p.orgId,
      p.version,
      p.name,
      b64(p.archiveKey),
      b64(p.signerKey),
      sorted(p.scope.kinds),
      sorted(p.scope.labels),
      sorted(p.scope.channelIds),
      p.issuedAt,
    ]),
  );
}

/** Signs a policy with the archive signing key (whose public half must be `p.signerKey`). */
export function signArchivePolicy(p: ArchivePolicyFields, signerPrivateKey: Uint8Array): Uint8Array {
  const pub = ed25519.getPublicKey(signerPrivateKey);
  if (pub.length !== p.signerKey.length || pub.some((x, i) => x !== p.signerKey[i])) throw new E2eeError("bad_input", "the policy names another signer key");
  return ed25519.sign(encodeArchivePolicy(p), signerPrivateKey);
}

/** Whether `signature` is the policy's signer key's signature over it. */
export function verifyArchivePolicy(p: ArchivePolicyFields, signature: Uint8Array): boolean {
  try {
    return signature.length === 64 && ed25519.verify(signature, encodeArchivePolicy(p), p.signerKey);
  } catch {
    return false;
  }
}

/** Whether the policy covers a channel (its kind, one of its labels, or its id). */
export function archiveCovers(scope: ArchiveScope, channel: { id: string; kind: string; labels: readonly string[] }): boolean {
  return scope.kinds.includes(channel.kind) || scope.channelIds.includes(channel.id) || channel.labels.some((l) => scope.labels.includes(l));
}

/** A short fingerprint of a signer key for people to compare (hex groups of SHA-256). */
export function archiveKeyFingerprint(key: Uint8Array): string {
  const h = Array.from(sha256(key).subarray(0, 10), (b) => b.toString(16).padStart(2, "0")).join("");
  return h.match(/.{4}/g)!.join(" ");
}
