/**
 * Per-channel E2EE state of one device: its MLS group (one per channel), the
 * first epoch it can read, the queue of timeline events waiting to be
 * processed, and a lock that serialises every change of the group. The group
 * state and its position are persisted in the device's KeyStore as one record
 * (persist.ts), replacing the previous one (superseded states are never kept):
 * at once after commits, joins and removal, per batch after messages. Before a
 * state of a new epoch is saved, that epoch's history key is kept (history-keys.ts).
 */
import {
  epoch,
  isActive,
  exportGroupState,
  importGroupState,
  isE2eeError,
  parseChannelGroupId,
  SUITE_NAMES,
  type DeviceIdentity,
  type Group,
  type KeyStore,
  type LeafPolicy,
  type SuiteName,
} from "@parley/crypto";
import type { Event } from "@parley/protocol";
import { decodeChannelRecord, encodeChannelRecord, type ChannelMeta } from "./persist.ts";
import { SendJournal } from "./send-journal.ts";
import { recordHistoryKey } from "./history-keys.ts";
import type { Step } from "./step.ts";

const STATE = (id: string) => `sdk/group/${id}`;
/** Where states saved before records existed kept their meta (deleted by the first save). */
const LEGACY_META = (id: string) => `sdk/groupmeta/${id}`;

/** The device identity to use for a group of `suite` (one signature key serves every suite). */
export type IdentityFor = (suite: SuiteName) => DeviceIdentity;

/** One channel's group and timeline position. */
export class ChannelCrypto {
  readonly id: string;
  group: Group | undefined;
  /**
   * The channel's group generation this device is at: the generation of its group, or,
   * without one, the one it should create or join (a "reset" event moves it on).
   */
  generation = 0;
  /** First epoch (of {@link generation}) this device holds keys for: earlier events are history it never had. */
  joinedEpoch = 0;
  /** This device was removed from the group (kicked, left): nothing after can be read. */
  removed = false;
  /** Seq of the last event processed. */
  processedSeq = 0;
  /** A saved position was loaded (this device processed this channel in an earlier run). */
  hasSavedPosition = false;
  /** Highest seq queued or processed (dedupe). */
  lastSeq = 0;
  /** Events waiting to be processed, in seq order. */
  readonly queue: Event[] = [];
  /** A pre-join history run whose marker has not been emitted yet: its last seq. */
  historyUntil = 0;
  pumping: Promise<void> | undefined;
  /** Set when the queue must be looked at again after the current pump run. */
  rerun = false;
  /** The event the queue is blocked on, if any (to detect a wait that never ends). */
  blockedOn: number | undefined;
  joinTimer: ReturnType<typeof setTimeout> | undefined;
  /** Set while the head event waits to be tried again after a transient failure. */
  retryTimer: ReturnType<typeof setTimeout> | undefined;
  /** Transient failures in a row at the head of the queue (the retry backs off). */
  retryAttempt = 0;
  /** The outcome for the head event, kept until it is persisted (a retry must not process it twice). */
  head: { seq: number; step: Step } | undefined;
  proposalTimer: ReturnType<typeof setTimeout> | undefined;
  joining: Promise<void> | undefined;
  /** When this device's leaf keys in the group were last renewed (0: unknown). */
  leafUpdatedAt = 0;
  /** Messages sent or received in the channel since then. */
  messagesSinceUpdate = 0;
  /** A self-update under way. */
  updating: Promise<void> | undefined;
  /** An external join posted and not yet answered: its commit, and the group it leads to. */
  pendingJoin: { commit: Uint8Array; group: Group; epoch: number } | undefined;
  /** A rejoin (create, join or resync) started by the engine when the queue stayed blocked or after a reset. */
  rejoining: Promise<void> | undefined;
  /** Welcomes being fetched for this channel (while any is, the external-join fallback waits). */
  welcomesInFlight = 0;
  /** Why the last commit attempt failed (thrown when the attempts run out). */
  lastCommitError: unknown;
  /** Events processed and messages sent since the group state was last saved. */
  unsaved = 0;
  /** A save scheduled for an idle channel (see PersistPolicy.maxDelayMs). */
  saveTimer: ReturnType<typeof setTimeout> | undefined;
  /** The history key last used to open or check an archive copy (most events are of the current epoch). */
  historyKeyMemo: { generation: number; epoch: number; key: Uint8Array } | undefined;
  /** Reservations of sending generations (never reuse one after a crash). */
  readonly sendJournal: SendJournal;
  /**
   * Own sends whose echo was processed since the last save: their plaintext copies are
   * forgotten only once a state past the echo is saved (until then a crash processes the
   * echo again, and it needs the copy: MLS cannot decrypt one's own message).
   */
  readonly echoedSends: string[] = [];
  readonly #beforeSave: (() => Promise<void>) | undefined;
  readonly #forgetSent: ((clientIds: string[]) => Promise<void>) | undefined;
  #legacyMeta = false;
  /** The "generation:epoch" whose history key is known to be kept (saves within one epoch skip the key store). */
  #historyKeyKept = "";
  #lock: Promise<unknown> = Promise.resolve();
  #commitLock: Promise<unknown> = Promise.resolve();
  #loaded: Promise<void> | undefined;

  /**
   * `beforeSave` runs before every save: it must make the decrypted history durable
   * (the local store's flush), so a saved state never has consumed the key of a message
   * whose plaintext could still be lost.
   */
  constructor(
    id: string,
    opts: {
      beforeSave?: () => Promise<void>;
      forgetSent?: (clientIds: string[]) => Promise<void>;
    } = {},
  ) {
    this.id = id;
    this.sendJournal = new SendJournal(id);
    this.#beforeSave = opts.beforeSave;
    this.#forgetSent = opts.forgetSent;
  }

  /** Run `fn` with the group lock held (no other change of this group interleaves). */
  exclusive<T>(fn: () => Promise<T> | T): Promise<T> {
    const run = this.#lock.then(fn, fn);
    this.#lock = run.catch(() => undefined);
    return run;
  }

  /**
   * Run `fn` holding the commit lock: one commit (build, post, verdict) of this device in
   * flight per channel. Never take it inside {@link exclusive} (processing the timeline
   * must go on while a commit waits for its answer).
   */
  oneCommit<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#commitLock.then(fn, fn);
    this.#commitLock = run.catch(() => undefined);
    return run;
  }

  /** Load the persisted group once (with the identity of the group's suite). */
  load(keyStore: KeyStore, identityFor: IdentityFor, policy: LeafPolicy): Promise<void> {
    this.#loaded ??= (async () => {
      const raw = await keyStore.get(STATE(this.id));
      let record = raw ? decodeChannelRecord(raw) : undefined;
      if (!record) {
        // Saved before records existed: the bare group state, and the meta under its own key.
        const meta = await keyStore.get(LEGACY_META(this.id));
        this.#legacyMeta = !!meta;
        if (meta) record = { meta: JSON.parse(new TextDecoder().decode(meta)) as ChannelMeta, state: raw };
      }
      if (record) this.#restore(record.meta);
      const state = record ? record.state : raw;
      if (!state) return;
      // Each channel keeps the suite its group was created with; older metadata does not
      // say which, so try the suites in turn (a state of another suite is refused, not misread).
      for (const s of record?.meta.suite ? [record.meta.suite] : SUITE_NAMES) {
        try {
          this.group = await importGroupState(identityFor(s), state, policy);
          this.sendJournal.saved(Number(epoch(this.group)));
          break;
        } catch (err) {
          // A corrupt state cannot be repaired: rejoin (external join) as if it were lost.
          if (!isE2eeError(err)) throw err;
        }
      }
      // `raw` is not zeroed here: the imported group keeps views into these bytes.
    })();
    return this.#loaded;
  }

  #restore(m: ChannelMeta): void {
    this.joinedEpoch = m.joinedEpoch;
    this.removed = m.removed;
    this.processedSeq = m.processedSeq;
    this.hasSavedPosition = true;
    this.lastSeq = Math.max(this.lastSeq, m.processedSeq);
    this.leafUpdatedAt = m.leafUpdatedAt ?? 0;
    this.messagesSinceUpdate = m.messagesSinceUpdate ?? 0;
    this.generation = m.generation ?? 0;
  }

  /**
   * Persist the group and its position as one record (call with the lock held). The
   * decrypted history is made durable first (`beforeSave`): events the saved state has
   * consumed must never be lost to a crash.
   */
  async save(keyStore: KeyStore): Promise<void> {
    if (this.saveTimer) clearTimeout(this.saveTimer);
    this.saveTimer = undefined;
    const unsaved = this.unsaved;
    const echoed = this.echoedSends.length;
    await this.#beforeSave?.();
    const meta: ChannelMeta = {
      joinedEpoch: this.joinedEpoch,
      removed: this.removed,
      processedSeq: this.processedSeq,
      ...(this.group ? { suite: this.group.suite } : {}),
      leafUpdatedAt: this.leafUpdatedAt,
      messagesSinceUpdate: this.messagesSinceUpdate,
      generation: this.generation,
    };
    // The epoch's history key is kept before a state of that epoch is: whoever holds the state holds its key.
    if (this.group && !this.removed && isActive(this.group)) {
      const e = Number(epoch(this.group));
      const kept = `${this.generation}:${e}`;
      if (kept !== this.#historyKeyKept) {
        await recordHistoryKey(keyStore, this.id, this.generation, e, this.group);
        this.#historyKeyKept = kept;
      }
    }
    const state = this.group && !this.removed ? exportGroupState(this.group) : undefined;
    const record = encodeChannelRecord(meta, state);
    await keyStore.put(STATE(this.id), record);
    if (state) this.sendJournal.saved(Number(epoch(this.group!)));
    // Secrets: leave no copy behind (the key store encrypted its own).
    state?.fill(0);
    record.fill(0);
    this.unsaved -= unsaved;
    if (echoed > 0) await this.#forgetSent?.(this.echoedSends.splice(0, echoed));
    if (this.#legacyMeta) {
      await keyStore.delete(LEGACY_META(this.id));
      this.#legacyMeta = false;
    }
  }

  /** Take a group this device just created or joined (its leaf keys are fresh). */
  adopt(group: Group, joinedEpoch: number, now: number): void {
    this.generation = parseChannelGroupId(group.groupId)?.generation ?? 0;
    this.group = group;
    this.joinedEpoch = joinedEpoch;
    this.removed = false;
    this.leafUpdatedAt = now;
    this.messagesSinceUpdate = 0;
  }

  /**
   * The channel's encryption was reset: forget the old group (its messages stay in the
   * decrypted history) and wait for, or create, the group of `generation`.
   */
  async resetTo(generation: number, keyStore: KeyStore): Promise<void> {
    // A device that already holds a group of that generation (it created or joined it
    // before it got to the event in its timeline) keeps it.
    if (this.group && (parseChannelGroupId(this.group.groupId)?.generation ?? 0) >= generation) return this.save(keyStore);
    this.group = undefined;
    this.removed = false;
    this.generation = Math.max(this.generation, generation);
    this.joinedEpoch = 0;
    await this.save(keyStore);
  }

  /** Whether an event belongs to a group before this device's: a generation it left, or an epoch before it joined. */
  isBefore(e: { generation?: number; epoch: number }): boolean {
    const g = e.generation ?? 0;
    return g < this.generation || (g === this.generation && e.epoch < this.joinedEpoch);
  }

  /** This device is out of the group: forget its secrets. */
  async drop(keyStore: KeyStore): Promise<void> {
    this.group = undefined;
    this.removed = true;
    await this.save(keyStore);
    await this.sendJournal.drop(keyStore);
  }

  /** Stop timers (client closing). */
  close(): void {
    if (this.joinTimer) clearTimeout(this.joinTimer);
    if (this.proposalTimer) clearTimeout(this.proposalTimer);
    if (this.retryTimer) clearTimeout(this.retryTimer);
    if (this.saveTimer) clearTimeout(this.saveTimer);
    this.joinTimer = this.proposalTimer = this.retryTimer = this.saveTimer = undefined;
  }
}
