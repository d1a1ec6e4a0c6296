// A call participant's SFrame state under the MLS key schedule (RFC 9605 §5.2): one base key
// per MLS epoch, per-sender keys chosen by KID, a send counter, receive replay windows, and
// a short grace for the epochs before the current one so frames in flight across a commit
// still decrypt. The grace is bounded both in count and in time, because a member removed by
// the commit still holds the previous epoch's key and must not be able to inject media for
// long.
import { decodeSFrameHeader } from "./header.ts";
import { sframeOpen, sframeSeal } from "./frame.ts";
import { mlsKid, parseMlsKid, randomKidContext, KID_EPOCH_BITS } from "./mls-kid.ts";
import { ReplayWindow } from "./replay.ts";
import { deriveKeySalt, importSFrameKey, SFRAME_SUITES, suiteParams, type SFrameKey, type SFrameSuiteId } from "./suites.ts";

/** The keys of one MLS epoch for a call: what `callKeys` gives and a worker receives. */
export interface SFrameEpochKeys {
  epoch: bigint;
  /** MLS-Exporter("SFrame 1.0 Base Key", "", Nk) of the epoch. */
  baseKey: Uint8Array;
  /** This device's leaf index in the epoch (its sender index). */
  ownLeafIndex: number;
}

/** Options of an {@link SFrameContext}. */
export interface SFrameContextOptions {
  /** Cipher suite; AES_128_GCM_SHA256_128 by default. */
  suite?: SFrameSuiteId;
  /** How many epochs (the current one included) a receiver keeps; 3 by default, at most 16. */
  keepEpochs?: number;
  /** How long, in ms, an epoch stays usable for receiving after the next one arrives; 10 s by default. */
  graceMs?: number;
  /** Clock (ms), for tests. */
  now?: () => number;
  /** The sender's KID context; random by default (see mls-kid.ts). */
  kidContext?: bigint;
  /** How long, in ms, a key derivation may take before it counts as failed (and is tried again for the next frame); 5 s by default. */
  deriveDeadlineMs?: number;
}

/** Why a frame was not decrypted. */
export type SFrameDropReason = "malformed" | "unknown_epoch" | "expired_epoch" | "own_key" | "replay" | "auth_failed";

/** The outcome of {@link SFrameContext.decrypt}. */
export type SFrameDecryptResult =
  | { ok: true; plaintext: Uint8Array; epoch: bigint; leafIndex: number }
  /** `leafIndex`: the sender the KID names, when the header parsed. */
  | { ok: false; reason: SFrameDropReason; leafIndex?: number };

interface EpochState {
  keys: SFrameEpochKeys;
  supersededAt?: number;
  derived: Map<bigint, Promise<SFrameKey>>;
  replay: Map<bigint, ReplayWindow>;
  sendKey?: Promise<SFrameKey>;
  nextCtr: bigint;
}

/** Derived keys cached per epoch before the oldest is forgotten (bounds memory under forged KIDs). */
const MAX_KEYS_PER_EPOCH = 64;

/** `p`, or a rejection once `ms` passed without it settling. */
function withDeadline<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`SFrame key derivation took over ${ms} ms`)), ms);
  });
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

/** SFrame encryption and decryption for one participant of a call, keyed by MLS epochs. */
export class SFrameContext {
  readonly suite: SFrameSuiteId;
  readonly kidContext: bigint;
  readonly #keep: number;
  readonly #graceMs: number;
  readonly #now: () => number;
  readonly #deriveDeadlineMs: number;
  #epochs: EpochState[] = [];

  constructor(opts: SFrameContextOptions = {}) {
    this.suite = opts.suite ?? SFRAME_SUITES.AES_128_GCM_SHA256_128;
    suiteParams(this.suite);
    this.#keep = opts.keepEpochs ?? 3;
    if (!Number.isInteger(this.#keep) || this.#keep < 1 || this.#keep > 1 << Number(KID_EPOCH_BITS)) throw new RangeError("keepEpochs is 1 to 16");
    this.#graceMs = opts.graceMs ?? 10_000;
    this.#now = opts.now ?? Date.now;
    this.kidContext = opts.kidContext ?? randomKidContext();
    this.#deriveDeadlineMs = opts.deriveDeadlineMs ?? 5_000;
  }

  /** The current (sending) epoch, if any. */
  get epoch(): bigint | undefined {
    return this.#epochs[0]?.keys.epoch;
  }

  /** The epochs held for receiving, newest first. */
  get epochs(): bigint[] {
    return this.#epochs.map((e) => e.keys.epoch);
  }

  /**
   * Install the keys of a new epoch: it becomes the sending epoch at once, the previous one
   * stays for receiving for the grace period, and epochs beyond `keepEpochs` are dropped.
   * An epoch not newer than the current one is ignored (keys pushed twice).
   */
  setEpoch(keys: SFrameEpochKeys): void {
    const current = this.#epochs[0];
    if (current && keys.epoch <= current.keys.epoch) return;
    if (keys.baseKey.length !== suiteParams(this.suite).nk) throw new RangeError("base key of the wrong size for the suite");
    const now = this.#now();
    if (current) current.supersededAt = now;
    const low = keys.epoch & ((1n << KID_EPOCH_BITS) - 1n);
    const kept = this.#epochs.filter((e) => (e.keys.epoch & ((1n << KID_EPOCH_BITS) - 1n)) !== low);
    this.#epochs = [{ keys: { ...keys, baseKey: keys.baseKey.slice() }, derived: new Map(), replay: new Map(), nextCtr: 0n }, ...kept].slice(0, this.#keep);
  }

  /** Forget every key (this device left the call or was removed from the channel). */
  clear(): void {
    this.#epochs = [];
  }

  #key(e: EpochState, kid: bigint): Promise<SFrameKey> {
    let k = e.derived.get(kid);
    if (!k) {
      const derived = withDeadline(deriveKeySalt(this.suite, kid, e.keys.baseKey).then(importSFrameKey), this.#deriveDeadlineMs);
      // A derivation that failed, or never finished, is not kept: the sender's next frame derives
      // again instead of every later frame of that sender failing (or waiting) with it.
      k = derived.catch((err: unknown) => {
        if (e.derived.get(kid) === k) e.derived.delete(kid);
        throw err;
      });
      if (e.derived.size >= MAX_KEYS_PER_EPOCH) e.derived.delete(e.derived.keys().next().value!);
      e.derived.set(kid, k);
    }
    return k;
  }

  /** Encrypt a frame with the current epoch's key for this sender; throws when no epoch is set. */
  async encrypt(plaintext: Uint8Array, metadata?: Uint8Array): Promise<Uint8Array> {
    const e = this.#epochs[0];
    if (!e) throw new Error("no SFrame epoch keys yet");
    const sendKey = (e.sendKey ??= this.#key(e, mlsKid(e.keys.epoch, e.keys.ownLeafIndex, this.kidContext)));
    // Taken before the await so concurrent calls never share a counter.
    const ctr = e.nextCtr++;
    let key: SFrameKey;
    try {
      key = await sendKey;
    } catch (err) {
      // Derived again for the next frame (see #key).
      if (e.sendKey === sendKey) e.sendKey = undefined;
      throw err;
    }
    return sframeSeal(key, ctr, plaintext, metadata);
  }

  /** Decrypt a frame (header ‖ ciphertext) with the metadata it was sealed with. */
  async decrypt(frame: Uint8Array, metadata?: Uint8Array): Promise<SFrameDecryptResult> {
    const h = decodeSFrameHeader(frame);
    if (!h) return { ok: false, reason: "malformed" };
    const kid = parseMlsKid(h.kid);
    const fail = (reason: SFrameDropReason): SFrameDecryptResult => ({ ok: false, reason, leafIndex: kid.leafIndex });
    const i = this.#epochs.findIndex((e) => Number(e.keys.epoch & ((1n << KID_EPOCH_BITS) - 1n)) === kid.epochBits);
    const e = this.#epochs[i];
    if (!e) return fail("unknown_epoch");
    if (e.supersededAt !== undefined && this.#now() - e.supersededAt > this.#graceMs) {
      this.#epochs.splice(i, 1);
      return fail("expired_epoch");
    }
    // A key is for sending or for receiving, never both (RFC 9605 §4.4.1): frames under our
    // own sender index are reflections.
    if (kid.leafIndex === e.keys.ownLeafIndex) return fail("own_key");
    let replay = e.replay.get(h.kid);
    if (replay && !replay.check(h.ctr)) return fail("replay");
    const plaintext = await sframeOpen(await this.#key(e, h.kid), frame, metadata);
    if (!plaintext) return fail("auth_failed");
    if (!replay) {
      replay = new ReplayWindow();
      e.replay.set(h.kid, replay);
    }
    // Checked again: another frame with this counter may have finished while this one awaited.
    if (!replay.check(h.ctr)) return fail("replay");
    replay.accept(h.ctr);
    return { ok: true, plaintext, epoch: e.keys.epoch, leafIndex: kid.leafIndex };
  }
}
