/**
 * Which directory keys this device trusts to sign device bindings. The first key a device
 * sees is pinned (trust on first use, like a device's identity key); a later key is trusted
 * only when the chain of endorsements the server lists leads to it from the pinned one (each
 * rotated key is signed by the key it replaced: `parley keys rotate --signing directory`).
 * Bindings verify with the trusted keys the server still lists as verifying (the active one
 * and those in their overlap). A server that shows an active key the chain does not reach
 * gets `directory_key_changed`: the device keeps verifying with its pinned key only, so
 * bindings signed by the unknown key are refused and leaves they vouch for are not admitted.
 */
import { verifyDirectoryEndorsement } from "@parley/crypto";
import { equalBytes } from "./bytes.ts";

/** A directory key as /e2ee/config lists it (bytes decoded). */
export interface DirectoryKey {
  id: string;
  publicKey: Uint8Array;
  createdAt: number;
  /** null: the active key; otherwise until when (ms) it still verifies bindings. */
  verifiesUntil: number | null;
  endorsement: { by: string; signature: Uint8Array } | null;
}

export interface DirectoryTrust {
  /** Keys to verify bindings with. */
  verifiers: Uint8Array[];
  /** The key to pin from now on (the active one when it is trusted; else the old pin). */
  pin: Uint8Array;
  /** Set when the server's active key is not reached from the pin. */
  problem?: "directory_key_changed";
}

/**
 * Trust for the server's listed `keys` (oldest first) and `active` key, given what this device
 * pinned before (`pinned`; undefined on first use).
 */
export function directoryTrust(keys: DirectoryKey[], active: Uint8Array, pinned: Uint8Array | undefined, now: number): DirectoryTrust {
  const verifying = (k: DirectoryKey) => k.verifiesUntil === null || k.verifiesUntil > now;
  if (!pinned) {
    // First use: whatever this server shows is the starting point.
    const listed = keys.filter(verifying).map((k) => k.publicKey);
    return { verifiers: listed.some((k) => equalBytes(k, active)) ? listed : [...listed, active], pin: active };
  }
  const trusted = new Map<string, DirectoryKey>();
  for (const k of keys) {
    const endorser = k.endorsement ? trusted.get(k.endorsement.by) : undefined;
    if (equalBytes(k.publicKey, pinned) || (endorser && k.endorsement && verifyDirectoryEndorsement(k.endorsement.signature, endorser.publicKey, k))) {
      trusted.set(k.id, k);
    }
  }
  const chain = [...trusted.values()];
  if (!chain.some((k) => equalBytes(k.publicKey, active))) {
    return { verifiers: [pinned], pin: pinned, problem: "directory_key_changed" };
  }
  return { verifiers: chain.filter(verifying).map((k) => k.publicKey), pin: active };
}
