// The user identity key and device approvals (ADR 0007, cross-signing): an Ed25519 key of
// the user, kept beside the locker private key, signs each device it approves, so other
// users' clients trust "approved by Alice" rather than "the server says so".
import { ed25519 } from "@noble/curves/ed25519.js";
import { equalBytes, lengthPrefixedAll, utf8 } from "../bytes.ts";

const LABEL = utf8("parley device approval v1");

/** A user identity key pair (Ed25519; the private key is the 32-byte seed). */
export interface UserIdentityKeyPair {
  /** 32-byte public key, published in the directory. */
  publicKey: Uint8Array;
  /** 32-byte private seed: on approved devices and in the recovery blob only. */
  privateKey: Uint8Array;
}

/** What an approval vouches for: this device, with this MLS signature key, belongs to this user. */
export interface ApprovalFields {
  /** Org of the user. */
  orgId: string;
  /** The user. */
  userId: string;
  /** The approved device. */
  deviceId: string;
  /** The device's MLS signature public key (what the device directory binds). */
  deviceSignaturePublicKey: Uint8Array;
}

/** An approval: its fields and the user identity key's Ed25519 signature over them. */
export interface DeviceApproval extends ApprovalFields {
  /** 64-byte Ed25519 signature. */
  signature: Uint8Array;
}

function encode(f: ApprovalFields): Uint8Array {
  return lengthPrefixedAll(LABEL, utf8(f.orgId), utf8(f.userId), utf8(f.deviceId), f.deviceSignaturePublicKey);
}

/** Generates a user identity key pair (once per user, on their first device). */
export function generateUserIdentity(): UserIdentityKeyPair {
  const privateKey = ed25519.utils.randomSecretKey();
  return { privateKey, publicKey: ed25519.getPublicKey(privateKey) };
}

/** Signs a device approval with the user identity private key. */
export function signDeviceApproval(identityPrivateKey: Uint8Array, fields: ApprovalFields): DeviceApproval {
  const { orgId, userId, deviceId, deviceSignaturePublicKey } = fields;
  return { orgId, userId, deviceId, deviceSignaturePublicKey, signature: ed25519.sign(encode(fields), identityPrivateKey) };
}

/** True when `approval` is the identity key's valid signature and names exactly `expected` (the device as the directory shows it). */
export function verifyDeviceApproval(identityPublicKey: Uint8Array, approval: DeviceApproval, expected: ApprovalFields): boolean {
  const same =
    approval.orgId === expected.orgId &&
    approval.userId === expected.userId &&
    approval.deviceId === expected.deviceId &&
    equalBytes(approval.deviceSignaturePublicKey, expected.deviceSignaturePublicKey);
  if (!same) return false;
  try {
    return ed25519.verify(approval.signature, encode(expected), identityPublicKey);
  } catch {
    return false; // malformed key or signature lengths
  }
}
