/** Test-only: real key locker material for a user (ADR 0007), built with @parley/crypto. */
import {
  generateLockerKeyPair,
  generateRecoveryKey,
  generateUserIdentity,
  sealRecoveryBlob,
  type LockerOwner,
  type UserIdentityKeyPair,
  type X25519KeyPair,
} from "@parley/crypto";
import type { TestUser } from "./factories.ts";

const b64 = (b: Uint8Array) => Buffer.from(b).toString("base64");

export interface LockerMaterial {
  owner: LockerOwner;
  locker: X25519KeyPair;
  /** The user identity key pair (its private key signs device approvals). */
  identity: UserIdentityKeyPair;
  /** A `PUT /me/locker` body: the public keys and a recovery blob of both private keys. */
  body: { publicKey: string; identityKey: string; recoveryBlob: string };
}

/** Fresh locker and identity key pairs for `u`, and the recovery blob sealing them under a fresh recovery key. */
export async function lockerMaterialFor(u: Pick<TestUser, "org" | "user">): Promise<LockerMaterial> {
  const locker = generateLockerKeyPair();
  const identity = generateUserIdentity();
  const owner = { orgId: u.org.id, userId: u.user.id };
  const blob = await sealRecoveryBlob(generateRecoveryKey().key, { lockerPrivateKey: locker.privateKey, identityPrivateKey: identity.privateKey }, owner);
  return { owner, locker, identity, body: { publicKey: b64(locker.publicKey), identityKey: b64(identity.publicKey), recoveryBlob: b64(blob) } };
}
