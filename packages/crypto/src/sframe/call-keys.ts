// Media keys for calls from a channel's MLS group (RFC 9605 §5.2, ADR 0010): every member
// derives the epoch's SFrame base key with the MLS exporter, with no message; sender keys
// differ by KID (epoch bits, leaf index, context). A commit (a member added or removed)
// changes the epoch and so every key; a removed device cannot derive the new one.
import { mlsExporter } from "ts-mls";
import { E2eeError } from "../errors.ts";
import { internalOf, membersOf, type Group } from "../group-state.ts";
import type { SFrameEpochKeys } from "./context.ts";
import { mlsKid } from "./mls-kid.ts";
import { deriveKeySalt, SFRAME_SUITES, suiteParams, type SFrameKeyMaterial, type SFrameSuiteId } from "./suites.ts";

const LABEL = "SFrame 1.0 Base Key";

/** A channel's call keys on this device for the group's current epoch. */
export interface CallKeys extends SFrameEpochKeys {
  channelId: string;
  suite: SFrameSuiteId;
  /** The device at each member leaf of the epoch (a frame's KID names the sender's leaf index). */
  deviceOfLeaf: Record<number, string>;
  /** The key and salt a sender's frames use in this epoch (KID context `context`, 0 by default). */
  senderKey(leafIndex: number, context?: bigint): Promise<SFrameKeyMaterial>;
}

/**
 * The SFrame keys of `group`'s current epoch: base_key = MLS-Exporter("SFrame 1.0 Base Key",
 * "", Nk) as RFC 9605 §5.2 gives it (the group is the channel's, so the empty context already
 * binds the channel). Throws `invalid_state` once this device has left the group.
 */
export async function callKeys(group: Group, channelId: string, suite: SFrameSuiteId = SFRAME_SUITES.AES_128_GCM_SHA256_128): Promise<CallKeys> {
  const g = internalOf(group);
  if (g.state.groupActiveState.kind !== "active") throw new E2eeError("invalid_state", "this device is no longer in the group");
  const epoch = g.state.groupContext.epoch;
  const baseKey = await mlsExporter(g.state.keySchedule.exporterSecret, LABEL, new Uint8Array(0), suiteParams(suite).nk, g.impl);
  return {
    channelId,
    suite,
    epoch,
    baseKey,
    ownLeafIndex: g.state.privatePath.leafIndex,
    deviceOfLeaf: Object.fromEntries(membersOf(g.state).map((m) => [m.leafIndex, m.deviceId])),
    senderKey: (leafIndex, context = 0n) => deriveKeySalt(suite, mlsKid(epoch, leafIndex, context), baseKey),
  };
}

/** Listener of {@link CallKeyWatch}: the keys of a new epoch, or undefined when this device left the group. */
export type CallKeyListener = (keys: CallKeys | undefined) => void;

/**
 * Watches one channel's group for epoch changes: the caller (the SDK, after it processed or
 * confirmed a commit) calls `update` with the group; listeners hear of each new epoch once,
 * and of removal (undefined) once, so a call transform rotates keys or stops.
 */
export class CallKeyWatch {
  #epoch: bigint | undefined;
  #gone = false;
  readonly #listeners = new Set<CallKeyListener>();
  readonly channelId: string;
  readonly suite: SFrameSuiteId;

  constructor(channelId: string, suite: SFrameSuiteId = SFRAME_SUITES.AES_128_GCM_SHA256_128) {
    this.channelId = channelId;
    this.suite = suite;
  }

  /** Subscribe; returns the unsubscribe function. */
  onRotate(listener: CallKeyListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Look at the group again; returns the current keys (undefined once removed) and tells listeners when the epoch changed. */
  async update(group: Group): Promise<CallKeys | undefined> {
    if (this.#gone) return undefined;
    if (internalOf(group).state.groupActiveState.kind !== "active") {
      this.#gone = true;
      for (const l of this.#listeners) l(undefined);
      return undefined;
    }
    const keys = await callKeys(group, this.channelId, this.suite);
    if (keys.epoch !== this.#epoch) {
      this.#epoch = keys.epoch;
      for (const l of this.#listeners) l(keys);
    }
    return keys;
  }
}
