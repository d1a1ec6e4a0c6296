/**
 * The send journal of one channel: a small durable record that lets a device
 * never reuse a sending generation (an AES-GCM key and nonce) although it
 * saves its group state only per batch.
 *
 * Each application message a device sends in an epoch uses the next generation
 * of its sending ratchet. If the process dies after sending and before the
 * state that follows is saved, the state on disk is older: restarted from it,
 * the device would encrypt again under generations it already used. So before
 * the first ciphertext under a generation exists, the journal records durably
 * "generations below L of this epoch may have been used" — a reservation,
 * written once per several sends (8 after a start, doubling up to 64), like a
 * sequence allocator. After a restart the first send skips to L (encrypting and
 * discarding dummy messages), past every generation an earlier run can have used.
 * Receivers read the next real message across the gap (ts-mls ratchets up to 200
 * generations ahead), as if the skipped ones were lost.
 */
import { epoch, epochAuthenticator, sendGeneration, skipSendGenerations, type Group, type KeyStore } from "@parley/crypto";

const KEY = (channelId: string) => `sdk/sendjournal/${channelId}`;
const FIRST_SPAN = 8;
const MAX_SPAN = 64;
const MAX_ENTRIES = 8;

/** Generations below `limit` of one epoch of one group may have been used. */
interface Reservation {
  epoch: number;
  /** First 8 bytes of the epoch authenticator, hex: tells this group's epoch N from another group's (a rejoin, a reset). */
  auth: string;
  limit: number;
}

function authOf(group: Group): string {
  return [...epochAuthenticator(group).subarray(0, 8)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** The send journal of one channel on this device. */
export class SendJournal {
  readonly #channelId: string;
  /** What the key store holds (undefined until read). */
  #entries: Reservation[] | undefined;
  /** Reservations read at start: their generations may have been used by an earlier run. */
  #carried: Reservation[] = [];
  /** Epoch of the group state last saved (or loaded): the state on disk is never older, so earlier reservations can go. */
  #savedEpoch = 0;
  #span = FIRST_SPAN;

  constructor(channelId: string) {
    this.#channelId = channelId;
  }

  /** The channel's group state at `epoch` is on disk (saved, or loaded at start). */
  saved(epoch: number): void {
    this.#savedEpoch = epoch;
  }

  /**
   * Call right before encrypting (with the channel lock held): skips generations an
   * earlier run may have used, and makes sure the generation about to be used is
   * covered by a durable reservation. Throws (nothing may be encrypted) if the
   * reservation cannot be written.
   * @returns generations skipped (non-zero only on the first send of an epoch after a restart)
   */
  async beforeSend(group: Group, keyStore: KeyStore): Promise<number> {
    if (!this.#entries) {
      const raw = await keyStore.get(KEY(this.#channelId));
      this.#entries = raw ? parse(raw) : [];
      this.#carried = [...this.#entries];
    }
    const ep = Number(epoch(group));
    const auth = authOf(group);
    const same = (r: Reservation) => r.epoch === ep && r.auth === auth;
    let skipped = 0;
    const carried = this.#carried.filter(same);
    if (carried.length > 0) skipped = await skipSendGenerations(group, Math.max(...carried.map((r) => r.limit)));
    this.#carried = this.#carried.filter((r) => !same(r));
    const gen = sendGeneration(group);
    const mine = this.#entries.find(same);
    if (mine && gen < mine.limit) return skipped;
    // Reservations of other epochs stay while a state that old could still be on disk: a
    // later one is needed if the saved state predates a commit this device has applied
    // since (its save failed) and the device restarts; an earlier one is needed until a
    // state of this epoch is saved. Bounded, in case epochs of other groups (a rejoin) pile up.
    const kept = this.#entries.filter((r) => !same(r) && r.epoch >= this.#savedEpoch);
    const next = [...kept, { epoch: ep, auth, limit: gen + this.#span }].slice(-MAX_ENTRIES);
    await keyStore.put(KEY(this.#channelId), new TextEncoder().encode(JSON.stringify(next)));
    this.#entries = next;
    this.#carried = this.#carried.filter((r) => next.includes(r));
    this.#span = Math.min(this.#span * 2, MAX_SPAN);
    return skipped;
  }

  /** Forget the journal (this device left the group). */
  async drop(keyStore: KeyStore): Promise<void> {
    this.#entries = [];
    this.#carried = [];
    await keyStore.delete(KEY(this.#channelId));
  }
}

function parse(raw: Uint8Array): Reservation[] {
  const v: unknown = JSON.parse(new TextDecoder().decode(raw));
  if (!Array.isArray(v)) throw new Error("corrupt send journal");
  return v.filter(
    (r): r is Reservation => !!r && typeof r === "object" && Number.isInteger(r.epoch) && typeof r.auth === "string" && Number.isInteger(r.limit),
  );
}
