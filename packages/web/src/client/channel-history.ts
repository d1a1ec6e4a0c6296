/**
 * What the app holds of one channel: the decoded events it has seen (live,
 * replayed, or paged in from history), materialised through the SDK's
 * Timeline. Older pages arrive out of order, so the timeline is rebuilt from
 * all events then, once, when it is next read (an edit paged in before its target must still apply);
 * live events, which arrive in seq order, are applied incrementally. One copy
 * is held per event; a decrypted copy replaces one a page brought in before
 * the device had decrypted it.
 * Encryption resets are kept beside the timeline as notices (the SDK's Timeline
 * holds messages only): the channel view shows each as a row of its own.
 * Events below the channel's retention floor (the org's retention policy removed
 * them) are dropped and never taken in again.
 */
import type { EncryptionReset } from "@parley/protocol";
import { Timeline, type ReceivedEvent, type TimelineMessage } from "@parley/sdk";

/** A "reset" event as the timeline shows it: when, and what its clear content says (undefined if malformed). */
export interface ResetNotice {
  seq: number;
  createdAt: number;
  reset: EncryptionReset | undefined;
}

/** Per-channel history with paging state. */
/** One version of a message (the original or an edit), as decrypted on this device. */
export interface MessageVersion {
  seq: number;
  createdAt: number;
  text: string;
  decodeError: string | undefined;
}

export class ChannelHistory {
  readonly channelId: string;
  readonly #events = new Map<number, ReceivedEvent>();
  #timeline: Timeline;
  #maxSeq = 0;
  #minSeq = Number.POSITIVE_INFINITY;
  /** Own reaction seqs by "target:emoji", so a second click retracts the reaction. */
  #ownReactions = new Map<string, number>();
  #messages: TimelineMessage[] | undefined;
  /** Events arrived out of seq order: the timeline is rebuilt from all of them when next read. */
  #stale = false;
  /** Encryption resets, oldest first. */
  #resets: ResetNotice[] = [];
  /** Bumped on every change; views cache derived data by it. */
  version = 0;
  /** Whether the server may have older events than the oldest one held. */
  hasOlder = true;
  loadingOlder = false;
  /** Events before this seq predate this device's membership of the MLS group: not readable here. */
  historyStartsAt: number | undefined;
  /** Why the server refuses to show this channel (an org policy forbids reading it), or undefined. */
  denied: string | undefined;
  /** Events below this seq were removed by the org's retention policy (0: none). */
  retentionFloor = 0;

  constructor(channelId: string) {
    this.channelId = channelId;
    this.#timeline = new Timeline(channelId);
  }

  /** Oldest seq held (Infinity when empty). */
  get minSeq(): number {
    return this.#minSeq;
  }

  /** Newest seq held (0 when empty). */
  get maxSeq(): number {
    return this.#maxSeq;
  }

  /** Number of events held. */
  get size(): number {
    return this.#events.size;
  }

  /** Add one event (duplicates ignored, but a decrypted copy replaces one held undecrypted); returns whether it was new or replaced one. */
  add(e: ReceivedEvent): boolean {
    if (e.seq < this.retentionFloor || this.#beforeJoining(e)) return false;
    const held = this.#events.get(e.seq);
    if (held && !supersedes(e, held)) return false;
    this.#events.set(e.seq, e);
    this.#minSeq = Math.min(this.#minSeq, e.seq);
    if (e.seq <= 1) this.hasOlder = false;
    if (!held && e.seq > this.#maxSeq && !this.#stale) {
      this.#maxSeq = e.seq;
      this.#apply(e);
    } else {
      this.#maxSeq = Math.max(this.#maxSeq, e.seq);
      this.#stale = true; // rebuilt once when next read: a backlog arriving under a loaded page costs one rebuild, not one per event
    }
    this.#changed();
    return true;
  }

  /** Add a page of older events (any order). */
  addOlder(events: ReceivedEvent[], hasMore: boolean): void {
    for (const e of events) {
      // Below the floor (what a page still brings: MLS handshakes) or before joining: marks how far back the page reached.
      if (e.seq < this.retentionFloor || this.#beforeJoining(e)) {
        this.#minSeq = Math.min(this.#minSeq, e.seq);
        continue;
      }
      const held = this.#events.get(e.seq);
      if (held && !supersedes(e, held)) continue;
      this.#events.set(e.seq, e);
      this.#minSeq = Math.min(this.#minSeq, e.seq);
      this.#maxSeq = Math.max(this.#maxSeq, e.seq);
    }
    this.hasOlder = hasMore && this.#minSeq > Math.max(1, this.retentionFloor) && !(this.historyStartsAt !== undefined && this.#minSeq <= this.historyStartsAt);
    this.#stale = true;
    this.#changed();
  }

  /** The E2EE layer says events before `seq` were sent before this device joined. */
  unavailableBefore(seq: number): void {
    this.historyStartsAt = seq;
    if (this.#minSeq <= seq) this.hasOlder = false;
    this.version++;
  }

  /** The org's retention policy removed the channel's events below `floor`: drop them (a lower or equal floor changes nothing). */
  purgeBelow(floor: number): void {
    if (floor <= this.retentionFloor) return;
    this.retentionFloor = floor;
    let removed = false;
    for (const seq of this.#events.keys()) {
      if (seq >= floor) continue;
      this.#events.delete(seq);
      removed = true;
    }
    // Held pages reached below the floor: what is left starts at it, and nothing older remains.
    if (this.#minSeq < floor) {
      this.#minSeq = floor;
      this.hasOlder = false;
    }
    if (removed) this.#stale = true;
    this.#changed();
  }

  /** Past history keys arrived (ADR 0007): what was unreadable before this device joined may now be read, and older pages loaded. */
  keysArrived(): void {
    this.historyStartsAt = undefined;
    this.hasOlder = this.#minSeq > Math.max(1, this.retentionFloor);
    this.version++;
  }

  /** Top-level messages, oldest first (cached until the next change). */
  messages(): TimelineMessage[] {
    return (this.#messages ??= this.#fresh().messages());
  }

  /** Encryption resets of the channel, oldest first. */
  resets(): readonly ResetNotice[] {
    this.#fresh();
    return this.#resets;
  }

  /** Replies of a thread, oldest first. */
  thread(rootSeq: number): TimelineMessage[] {
    return this.#fresh().thread(rootSeq);
  }

  /** One message. */
  get(seq: number): TimelineMessage | undefined {
    return this.#fresh().get(seq);
  }

  /** The decoded event at `seq` (its content carries what the timeline drops, e.g. `files`). */
  event(seq: number): ReceivedEvent | undefined {
    return this.#events.get(seq);
  }

  /**
   * Every version of message `seq` this device holds, oldest first: the message, then each
   * edit its sender made (each edit is its own encrypted event; none replaces another). A
   * version this device could not decrypt carries its `decodeError` and no text.
   */
  versions(seq: number): MessageVersion[] {
    const original = this.#events.get(seq);
    if (!original || original.kind !== "message") return [];
    const of = (e: ReceivedEvent): MessageVersion => ({ seq: e.seq, createdAt: e.createdAt, text: e.text ?? "", decodeError: e.content.decodeError });
    const edits = [...this.#events.values()].filter((e) => e.kind === "edit" && e.target === seq && e.senderId === original.senderId);
    return [original, ...edits.sort((a, b) => a.seq - b.seq)].map(of);
  }

  /** Seq of the signed-in user's reaction `emoji` on `target`, if there is one. */
  ownReaction(target: number, emoji: string): number | undefined {
    this.#fresh();
    return this.#ownReactions.get(`${target}:${emoji}`);
  }

  #apply(e: ReceivedEvent): void {
    // Events are applied in seq order (live ones after the newest, else a full rebuild), so appending keeps the order.
    if (e.kind === "reset") this.#resets.push({ seq: e.seq, createdAt: e.createdAt, reset: e.content.reset });
    this.#timeline.apply(e);
    if (!e.own) return;
    if (e.kind === "reaction" && e.target !== null && e.emoji) this.#ownReactions.set(`${e.target}:${e.emoji}`, e.seq);
    if (e.kind === "delete" && e.target !== null) {
      for (const [k, seq] of this.#ownReactions) if (seq === e.target) this.#ownReactions.delete(k);
    }
  }

  // The timeline, rebuilt from every event held first if events arrived out of seq order since.
  #fresh(): Timeline {
    if (this.#stale) this.#rebuild();
    return this.#timeline;
  }

  #rebuild(): void {
    this.#stale = false;
    this.#timeline = new Timeline(this.channelId);
    this.#ownReactions = new Map();
    this.#resets = [];
    for (const seq of [...this.#events.keys()].sort((a, b) => a - b)) this.#apply(this.#events.get(seq)!);
  }

  // An event sent before this device joined, with no key to read it here: not a row of its own (the
  // note at the top of the history says why), but the history this device can read starts after it.
  #beforeJoining(e: ReceivedEvent): boolean {
    if (e.content.decodeReason !== "history_unavailable") return false;
    this.historyStartsAt = Math.max(this.historyStartsAt ?? 0, e.seq + 1);
    return true;
  }

  #changed(): void {
    this.#messages = undefined;
    this.version++;
  }
}

/**
 * Whether `next` replaces the copy of the same event held: a decrypted copy replaces one that
 * was not decrypted. A page of history fetched while the device has not processed its newest
 * events yet (a Welcome still on its way, a backlog after a reload) holds them undecrypted
 * ("not decrypted on this device"); the device delivers them decrypted a moment later. A page
 * read from archive copies ahead of MLS is replaced when MLS finds a copy that disagrees.
 */
function supersedes(next: ReceivedEvent, held: ReceivedEvent): boolean {
  if (held.content.decodeError !== undefined) return next.content.decodeError === undefined;
  // A page read from the archive copy before MLS opened the message: MLS found the copy disagrees, and says so on the message.
  return next.content.decodeError === undefined && next.content.archiveFault !== undefined && held.content.archiveFault === undefined;
}
