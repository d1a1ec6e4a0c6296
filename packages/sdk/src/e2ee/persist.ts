/**
 * How a channel's MLS group state reaches the device's key store. Exporting it
 * costs ~40 ms and ~666 KB at 1,000 members, so it is saved per batch, not
 * after every message: see {@link PersistPolicy} for when, and
 * docs/architecture.md ("E2EE state on the device") for why a crash between two
 * saves loses nothing (the sealed history is flushed before each save, sends are
 * covered by the send journal, the timeline re-applies the rest).
 *
 * The group state and its position (processedSeq and the rest of
 * {@link ChannelMeta}) are ONE key-store record, written by one atomic `put`:
 * a crash can never leave a state beside the position of another one (which
 * would make the device re-process events its state already consumed, and
 * report them as replays).
 */
import type { KeyStore, SuiteName } from "@parley/crypto";

/** When a channel's group state is saved besides the moments it must be (commits, joins, removal, close). */
export interface PersistPolicy {
  /** Save after this many events processed or messages sent since the last save (default 256; 1 = after every message). */
  maxEvents?: number;
  /** Save at most this long after the first unsaved change (default 1000 ms), so an idle channel is saved soon. */
  maxDelayMs?: number;
}

/** The defaults of {@link PersistPolicy}. */
const DEFAULT_PERSIST: Required<PersistPolicy> = { maxEvents: 256, maxDelayMs: 1000 };

/** What is saved with a channel's group state. */
export interface ChannelMeta {
  joinedEpoch: number;
  removed: boolean;
  /** Highest seq fully processed by the saved state (events after it are processed again after a restart). */
  processedSeq: number;
  /** Suite of the saved group (absent in states saved before suites could differ per channel). */
  suite?: SuiteName;
  /** When this device's leaf keys were last renewed (self-update schedule; absent before it existed). */
  leafUpdatedAt?: number;
  /** Messages sent or received since then. */
  messagesSinceUpdate?: number;
  /** The channel's group generation this device is at (absent before resets existed: 0). */
  generation?: number;
}

const MAGIC = new Uint8Array([0x50, 0x43, 0x52, 0x31]); // "PCR1": Parley channel record, version 1
const enc = new TextEncoder();
const dec = new TextDecoder();

/** One record: "PCR1", the meta JSON's length (u32, big-endian), the meta JSON, then the exported group state (empty without a group). */
export function encodeChannelRecord(meta: ChannelMeta, state: Uint8Array | undefined): Uint8Array {
  const json = enc.encode(JSON.stringify(meta));
  const out = new Uint8Array(8 + json.length + (state?.length ?? 0));
  out.set(MAGIC);
  new DataView(out.buffer).setUint32(4, json.length);
  out.set(json, 8);
  if (state) out.set(state, 8 + json.length);
  return out;
}

/**
 * Reads a record written by {@link encodeChannelRecord}; undefined when `bytes` is not
 * one (a state saved before records existed holds the bare group state: its meta is
 * under a separate key). `state` is a view into `bytes`.
 */
export function decodeChannelRecord(bytes: Uint8Array): { meta: ChannelMeta; state: Uint8Array | undefined } | undefined {
  if (bytes.length < 8 || MAGIC.some((b, i) => bytes[i] !== b)) return undefined;
  const len = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(4);
  if (8 + len > bytes.length) return undefined;
  const meta = JSON.parse(dec.decode(bytes.subarray(8, 8 + len))) as ChannelMeta;
  const state = bytes.subarray(8 + len);
  return { meta, state: state.length > 0 ? state : undefined };
}

/** What the schedule needs of a channel's state (`ChannelCrypto`). */
export interface SaveableChannel {
  /** Messages processed or sent since the last save. */
  unsaved: number;
  saveTimer: ReturnType<typeof setTimeout> | undefined;
  /** Save the state and its position (with the lock held). */
  save(keyStore: KeyStore): Promise<void>;
  exclusive<T>(fn: () => Promise<T> | T): Promise<T>;
}

/**
 * When the engine saves group states besides the moments it must: counts the messages
 * processed or sent per channel since its last save, saves at {@link PersistPolicy.maxEvents}
 * of them, else `maxDelayMs` after the first, and all of them on close. Until then a
 * crash loses nothing: processed events are in the sealed history and are processed
 * again (silently) from the saved state; sends are covered by the send journal.
 */
export class SaveSchedule {
  readonly #policy: Required<PersistPolicy>;
  readonly #keyStore: KeyStore;
  readonly #onError: (err: unknown) => void;
  #closed = false;

  constructor(policy: PersistPolicy, keyStore: KeyStore, onError: (err: unknown) => void) {
    this.#policy = { ...DEFAULT_PERSIST, ...policy };
    this.#keyStore = keyStore;
    this.#onError = onError;
  }

  /** A message was sent or an event processed in `ch` (call with its lock held). */
  async changed(ch: SaveableChannel): Promise<void> {
    ch.unsaved++;
    if (ch.unsaved >= this.#policy.maxEvents) await ch.save(this.#keyStore);
    else this.#later(ch);
  }

  /** Save every channel with unsaved changes, and schedule nothing more (timers are the channels' to clear). */
  async close(channels: Iterable<SaveableChannel>): Promise<void> {
    this.#closed = true;
    await Promise.all([...channels].map((ch) => ch.exclusive(() => (ch.unsaved > 0 ? ch.save(this.#keyStore) : undefined)).catch(this.#onError)));
  }

  #later(ch: SaveableChannel): void {
    if (ch.saveTimer || this.#closed) return;
    ch.saveTimer = setTimeout(() => {
      ch.saveTimer = undefined;
      ch.exclusive(() => (ch.unsaved > 0 && !this.#closed ? ch.save(this.#keyStore) : undefined)).catch((err: unknown) => {
        this.#onError(err);
        this.#later(ch);
      });
    }, this.#policy.maxDelayMs);
    ch.saveTimer.unref?.();
  }
}
