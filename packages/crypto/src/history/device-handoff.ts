// Handing the user's private keys to a new device (ADR 0007). Order of the handshake:
//   1. the new device makes an ephemeral X25519 key pair and publishes only its commitment;
//   2. the approving device publishes its own ephemeral public key;
//   3. the new device reveals its public key, which must match the commitment;
//   4. both show approvalCode(...) and the user confirms they match on the approving device;
//   5. the approving device seals the secrets to the new device (sealToDevice).
// The commitment keeps a relaying server from choosing its keys after seeing both devices'
// (with six digits, it could otherwise search for a key pair whose codes collide). The seal
// is HPKE base mode whose AAD is derived from the DH of both ephemeral keys, so only the
// approving device can make a seal the new device opens (HPKE's auth mode, built on base).
import { x25519 } from "@noble/curves/ed25519.js";
import { hkdf } from "@noble/hashes/hkdf.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { concat, equalBytes, lengthPrefixedAll, utf8 } from "../bytes.ts";
import { E2eeError } from "../errors.ts";
import { generateX25519KeyPair, hpkeOpen, hpkeRecipient, hpkeSeal, x25519PublicKey, type X25519KeyPair } from "./hpke.ts";
import { decodeUserSecrets, encodeUserSecrets, type UserSecrets } from "./user-secrets.ts";

const COMMIT_LABEL = utf8("parley approval commitment v1");
const CODE_LABEL = utf8("parley approval code v1");
const INFO_LABEL = utf8("parley device handoff v1");
const AUTH_LABEL = utf8("parley device handoff auth v1");

/** Who hands secrets to whom. */
export interface HandoffContext {
  /** Org of the user. */
  orgId: string;
  /** The user. */
  userId: string;
  /** The approving (existing) device. */
  fromDeviceId: string;
  /** The new device. */
  toDeviceId: string;
}

/** Generates the ephemeral X25519 key pair each device uses for one approval handshake. */
export function generateApprovalKeyPair(): X25519KeyPair {
  return generateX25519KeyPair();
}

/** The commitment the new device publishes before it sees the other device's key. */
export function approvalCommitment(ephemeralPublicKey: Uint8Array, deviceId: string): Uint8Array {
  return sha256(concat(COMMIT_LABEL, lengthPrefixedAll(utf8(deviceId), ephemeralPublicKey)));
}

/** True when a revealed key matches the commitment published earlier. */
export function checkApprovalCommitment(commitment: Uint8Array, ephemeralPublicKey: Uint8Array, deviceId: string): boolean {
  return equalBytes(commitment, approvalCommitment(ephemeralPublicKey, deviceId));
}

/** The 6-digit code both devices show; the same whichever side computes it (argument order does not matter). */
export function approvalCode(ephemeralPublicKeyA: Uint8Array, ephemeralPublicKeyB: Uint8Array, deviceIdA: string, deviceIdB: string): string {
  const a = lengthPrefixedAll(utf8(deviceIdA), ephemeralPublicKeyA);
  const b = lengthPrefixedAll(utf8(deviceIdB), ephemeralPublicKeyB);
  const [first, second] = compare(a, b) <= 0 ? [a, b] : [b, a];
  const digest = sha256(concat(CODE_LABEL, first, second));
  const n = new DataView(digest.buffer, digest.byteOffset, 8).getBigUint64(0);
  return (n % 1_000_000n).toString().padStart(6, "0");
}

function compare(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}

function infoOf(c: HandoffContext, fromPublic: Uint8Array, toPublic: Uint8Array): Uint8Array {
  return concat(INFO_LABEL, lengthPrefixedAll(utf8(c.orgId), utf8(c.userId), utf8(c.fromDeviceId), utf8(c.toDeviceId), fromPublic, toPublic));
}

/** AAD only the two devices can compute: from X25519(own private, other's public). */
function authOf(ownPrivate: Uint8Array, otherPublic: Uint8Array, info: Uint8Array): Uint8Array {
  let shared: Uint8Array;
  try {
    shared = x25519.getSharedSecret(ownPrivate, otherPublic);
  } catch (err) {
    throw new E2eeError("bad_input", "not an X25519 key", { cause: err });
  }
  try {
    return hkdf(sha256, shared, undefined, concat(AUTH_LABEL, info), 32);
  } finally {
    shared.fill(0);
  }
}

/**
 * Approving device: seals the user's private keys to the new device's ephemeral public
 * key, authenticated by this device's ephemeral key pair (after the codes matched).
 */
export function sealToDevice(ownEphemeral: X25519KeyPair, newDevicePublicKey: Uint8Array, secrets: UserSecrets, context: HandoffContext): Promise<Uint8Array> {
  const info = infoOf(context, ownEphemeral.publicKey, newDevicePublicKey);
  const plain = encodeUserSecrets(secrets);
  return hpkeSeal(newDevicePublicKey, info, authOf(ownEphemeral.privateKey, newDevicePublicKey, info), plain).finally(() => plain.fill(0));
}

/**
 * New device: opens what {@link sealToDevice} sealed, with its ephemeral private key and the
 * approving device's ephemeral public key (the one the code was checked with).
 * Errors: E2eeError `handoff_open_failed`.
 */
export async function openFromDevice(
  ownEphemeralPrivateKey: Uint8Array,
  approverPublicKey: Uint8Array,
  sealed: Uint8Array,
  context: HandoffContext,
): Promise<UserSecrets> {
  const info = infoOf(context, approverPublicKey, x25519PublicKey(ownEphemeralPrivateKey));
  const plain = await hpkeOpen(await hpkeRecipient(ownEphemeralPrivateKey), info, authOf(ownEphemeralPrivateKey, approverPublicKey, info), sealed);
  const secrets = plain && decodeUserSecrets(plain);
  plain?.fill(0);
  if (!secrets) throw new E2eeError("handoff_open_failed", "the sealed keys did not open from this device with this key and context");
  return secrets;
}
