/**
 * The sync engine: per-channel and per-user cursors over
 * {@link OrderedStream}s. Frames from the socket (replay pages, live events,
 * acks) and HTTP pages all go through `receive*`; the app sees each event
 * exactly once, in seq order per channel, across reconnects and replays.
 */
import type { Event, UserStreamItem } from "@parley/protocol";
import { OrderedStream } from "./ordered-stream.ts";
import type { StoredCursors } from "./store.ts";

/** Options of {@link SyncEngine}. */
export interface SyncEngineOptions {
  /** Where to start (from the local store). */
  cursors: StoredCursors;
  /** Fetch a channel's events after a seq (GET /channels/:id/events?after=). */
  fetchChannelEvents(channelId: string, after: number): Promise<{ events: Event[]; hasMore: boolean }>;
  /** Fetch per-user stream items after a seq (GET /stream?after=). */
  fetchUserItems(after: number): Promise<{ items: UserStreamItem[]; hasMore: boolean }>;
  /** Contiguous, deduplicated events of one channel, in order. */
  onEvents(channelId: string, events: Event[]): void;
  /** Contiguous, deduplicated user stream items, in order. */
  onUserItems(items: UserStreamItem[]): void;
  /** A hole could not be filled yet (it is retried). */
  onError?(err: unknown): void;
  /** A channel's events can no longer be fetched (left or removed). */
  onChannelGone?(channelId: string): void;
  /** Default 250 ms. */
  gapFillDelayMs?: number;
}

/** Cursor bookkeeping, dedupe and gap filling for every stream of one client. */
export class SyncEngine {
  readonly #o: SyncEngineOptions;
  readonly #channels = new Map<string, OrderedStream<Event>>();
  readonly #user: OrderedStream<UserStreamItem>;
  /** Retention floors: a channel's events below its floor may be gone from the server for good. */
  readonly #floors = new Map<string, number>();
  #fillEnabled = false;

  constructor(opts: SyncEngineOptions) {
    this.#o = opts;
    for (const [id, seq] of Object.entries(opts.cursors.channels)) this.#channel(id, seq);
    this.#user = new OrderedStream<UserStreamItem>({
      cursor: opts.cursors.user,
      seqOf: (i) => i.seq,
      fetchAfter: async (after) => this.#o.fetchUserItems(after),
      deliver: (items) => this.#o.onUserItems(items),
      gapFillDelayMs: opts.gapFillDelayMs ?? 250,
      onError: (err) => this.#o.onError?.(err),
    });
  }

  /** Cursors to put in `hello`: everything up to these has been delivered. */
  cursors(): StoredCursors {
    const channels: Record<string, number> = {};
    for (const [id, s] of this.#channels) channels[id] = s.cursor;
    return { user: this.#user.cursor, channels };
  }

  /** Last delivered seq of a channel (0 if unknown). */
  channelCursor(channelId: string): number {
    return this.#channels.get(channelId)?.cursor ?? 0;
  }

  /** Events of one channel from any source (sync page, live frame, ack, HTTP response). */
  receiveEvents(channelId: string, events: readonly Event[]): void {
    this.#channel(channelId).receive(events);
  }

  /** Per-user stream items from any source. */
  receiveUserItems(items: readonly UserStreamItem[]): void {
    this.#user.receive(items);
  }

  /** Make sure a channel is tracked (e.g. just joined) so its cursor goes into the next hello. */
  track(channelId: string, cursor = 0): void {
    this.#channel(channelId, cursor);
  }

  /**
   * The server says the channel has events up to `lastSeq` (channel list):
   * fetch what is missing without waiting for a live frame.
   */
  async catchUp(channelId: string, lastSeq: number): Promise<void> {
    const s = this.#channel(channelId);
    if (lastSeq > s.cursor) await s.catchUp();
  }

  /**
   * The channel's retention floor (`Channel.retentionFloor`): the org's retention policy removed its
   * events below it, so holes there that the server confirms are skipped instead of waited for.
   */
  setFloor(channelId: string, floor: number): void {
    if (floor <= (this.#floors.get(channelId) ?? 0)) return;
    this.#floors.set(channelId, floor);
    this.#channels.get(channelId)?.retryFill();
  }

  /** Fetch per-user items after the cursor now. */
  async catchUpUser(): Promise<void> {
    await this.#user.catchUp();
  }

  /** Allow gap filling over HTTP (live) or suspend it (a replay is streaming in). */
  setLive(live: boolean): void {
    this.#fillEnabled = live;
    for (const s of this.#channels.values()) s.setFillEnabled(live);
    this.#user.setFillEnabled(live);
  }

  /** Stop tracking a channel (left/removed). */
  forget(channelId: string): void {
    this.#channels.get(channelId)?.close();
    this.#channels.delete(channelId);
  }

  /** Resolves when no gap fill is scheduled or running (useful in tests and before shutdown). */
  async idle(): Promise<void> {
    await Promise.all([...this.#channels.values()].map((s) => s.idle()));
    await this.#user.idle();
  }

  /** Stop all streams. */
  close(): void {
    for (const s of this.#channels.values()) s.close();
    this.#user.close();
  }

  #channel(channelId: string, cursor = 0): OrderedStream<Event> {
    let s = this.#channels.get(channelId);
    if (!s) {
      s = new OrderedStream<Event>({
        cursor,
        seqOf: (e) => e.seq,
        fetchAfter: async (after) => {
          const page = await this.#o.fetchChannelEvents(channelId, after);
          return { items: page.events, hasMore: page.hasMore };
        },
        deliver: (events) => this.#o.onEvents(channelId, events),
        gapFillDelayMs: this.#o.gapFillDelayMs ?? 250,
        onError: (err) => this.#o.onError?.(err),
        onGone: () => {
          this.#channels.delete(channelId);
          this.#o.onChannelGone?.(channelId);
        },
        floor: () => this.#floors.get(channelId) ?? 0,
      });
      s.setFillEnabled(this.#fillEnabled);
      this.#channels.set(channelId, s);
    }
    return s;
  }
}
