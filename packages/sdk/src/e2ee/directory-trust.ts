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
import { verifyDirectoryEndorsement, type KeyStore } from "@parley/crypto";
import { ParleyError } from "../errors.ts";
import { equalBytes } from "./bytes.ts";

/** Key-store entry of the directory key this device pinned. */
const DIRECTORY_PIN = "directory-pin";

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

/**
 * This device's pin and the keys bindings verify with, from each config fetched: the pinned key
 * (the first one seen, in the key store) and those its endorsement chain reaches; the pin moves
 * to the active key once trusted. An active key the chain does not reach is returned as a
 * `directory_key_changed` error once (the caller reports it) and not used.
 */
export class DirectoryPins {
  readonly #keyStore: KeyStore;
  /** Keys to verify bindings with (empty until the first config is applied). */
  verifiers: Uint8Array[] = [];
  #reported: Uint8Array | undefined;

  constructor(keyStore: KeyStore) {
    this.#keyStore = keyStore;
  }

  async apply(keys: DirectoryKey[], active: Uint8Array, now: number): Promise<ParleyError | undefined> {
    const pinned = await this.#keyStore.get(DIRECTORY_PIN);
    const trust = directoryTrust(keys, active, pinned, now);
    this.verifiers = trust.verifiers;
    if (!pinned || !equalBytes(pinned, trust.pin)) await this.#keyStore.put(DIRECTORY_PIN, trust.pin);
    if (!trust.problem || (this.#reported && equalBytes(this.#reported, active))) return undefined;
    this.#reported = active;
    return new ParleyError({
      code: trust.problem,
      message:
        "the server's directory key is not endorsed by the one this device trusts: new devices it vouches for are refused (ask your administrator; a restored or replaced server shows this)",
    });
  }
}
