/**
 * Per-channel E2EE state of one device: its MLS group (one per channel), the
 * first epoch it can read, the queue of timeline events waiting to be
 * processed, and a lock that serialises every change of the group. Group
 * states are persisted in the device's KeyStore after every change, replacing
 * the previous one (superseded states are never kept).
 */
import {
  exportGroupState, importGroupState, isE2eeError, parseChannelGroupId, SUITE_NAMES, type DeviceIdentity, type Group, type KeyStore, type LeafPolicy, type SuiteName,
} from "@parley/crypto";
import type { Event } from "@parley/protocol";
import type { Step } from "./timeline.ts";

const STATE = (id: string) => `sdk/group/${id}`;
const META = (id: string) => `sdk/groupmeta/${id}`;

interface Meta {
  joinedEpoch: number;
  removed: boolean;
  /** Highest seq fully processed (events after it are re-read from the local store after a restart). */
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
  #lock: Promise<unknown> = Promise.resolve();
  #commitLock: Promise<unknown> = Promise.resolve();
  #loaded: Promise<void> | undefined;

  constructor(id: string) {
    this.id = id;
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
      const meta = await keyStore.get(META(this.id));
      let suite: SuiteName | undefined;
      if (meta) {
        const m = JSON.parse(new TextDecoder().decode(meta)) as Meta;
        this.joinedEpoch = m.joinedEpoch;
        this.removed = m.removed;
        this.processedSeq = m.processedSeq;
        this.hasSavedPosition = true;
        this.lastSeq = Math.max(this.lastSeq, m.processedSeq);
        this.leafUpdatedAt = m.leafUpdatedAt ?? 0;
        this.messagesSinceUpdate = m.messagesSinceUpdate ?? 0;
        this.generation = m.generation ?? 0;
        suite = m.suite;
      }
      const state = await keyStore.get(STATE(this.id));
      if (!state) return;
      // Each channel keeps the suite its group was created with; older metadata does not
      // say which, so try the suites in turn (a state of another suite is refused, not misread).
      for (const s of suite ? [suite] : SUITE_NAMES) {
        try {
          this.group = await importGroupState(identityFor(s), state, policy);
          break;
        } catch (err) {
          // A corrupt state cannot be repaired: rejoin (external join) as if it were lost.
          if (!isE2eeError(err)) throw err;
        }
      }
      // `state` is not zeroed here: the imported group keeps views into these bytes.
    })();
    return this.#loaded;
  }

  /** Persist the group and position (call with the lock held, after every change). */
  async save(keyStore: KeyStore): Promise<void> {
    if (this.group && !this.removed) await keyStore.put(STATE(this.id), exportGroupState(this.group));
    else await keyStore.delete(STATE(this.id));
    const meta: Meta = {
      joinedEpoch: this.joinedEpoch, removed: this.removed, processedSeq: this.processedSeq, ...(this.group ? { suite: this.group.suite } : {}),
      leafUpdatedAt: this.leafUpdatedAt, messagesSinceUpdate: this.messagesSinceUpdate, generation: this.generation,
    };
    await keyStore.put(META(this.id), new TextEncoder().encode(JSON.stringify(meta)));
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
  }

  /** Stop timers (client closing). */
  close(): void {
    if (this.joinTimer) clearTimeout(this.joinTimer);
    if (this.proposalTimer) clearTimeout(this.proposalTimer);
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.joinTimer = this.proposalTimer = this.retryTimer = undefined;
  }
}
