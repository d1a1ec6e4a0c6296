/**
 * The local store: what a client keeps between runs so it can resume where
 * it stopped — session tokens, sync cursors, recent events per channel, the
 * channel list and the outbox of unacknowledged sends. {@link MemoryStore} is
 * the default; `FileStore` (from `@parley/sdk/node`) persists to disk; the
 * web app will add an IndexedDB one.
 */
import type { Event, MyChannel, SendEvent } from "@parley/protocol";

/** Tokens and identity of a signed-in device, as persisted. */
export interface StoredSession {
  /** Server origin the session belongs to. */
  baseUrl: string;
  accessToken: string;
  /** Rotating refresh token: persist every new one, the old one is dead (reusing it revokes the family). */
  refreshToken: string;
  /** When the access token expires, epoch ms. */
  accessExpiresAt: number;
  userId: string;
  username: string;
  orgId: string;
  orgSlug: string;
  deviceId: string;
  sessionId: string;
}

/** Sync position: last contiguous seq per channel and of the per-user stream. */
export interface StoredCursors {
  user: number;
  channels: Record<string, number>;
}

/** An event waiting to be acknowledged by the server. */
export interface OutboxEntry {
  channelId: string;
  /** The event as sent (its clientId is the idempotency key, fixed at first attempt). */
  event: SendEvent;
  /** When the app asked to send it, epoch ms. */
  createdAt: number;
  /** Attempts so far. */
  attempts: number;
}

/**
 * Persistence used by the client. All methods may be asynchronous so that
 * browser stores (IndexedDB) fit; implementations must keep writes in call
 * order.
 */
export interface LocalStore {
  /** The stored session, if any. */
  loadSession(): Promise<StoredSession | undefined>;
  /** Replace (or clear, with undefined) the stored session. */
  saveSession(session: StoredSession | undefined): Promise<void>;
  /** Sync cursors (zeros when nothing is stored). */
  loadCursors(): Promise<StoredCursors>;
  /** Set one channel's cursor. */
  setChannelCursor(channelId: string, seq: number): Promise<void>;
  /** Set the per-user stream cursor. */
  setUserCursor(seq: number): Promise<void>;
  /** Append delivered events of one channel (already ordered and deduplicated). */
  appendEvents(channelId: string, events: Event[]): Promise<void>;
  /** Stored events of a channel, oldest first, optionally only after `after` and at most the newest `limit`. */
  listEvents(channelId: string, opts?: { after?: number; limit?: number }): Promise<Event[]>;
  /** The last known channel list. */
  loadChannels(): Promise<MyChannel[]>;
  /** Replace the channel list. */
  saveChannels(channels: MyChannel[]): Promise<void>;
  /** Forget a channel (left or removed): its events and cursor go too. */
  removeChannel(channelId: string): Promise<void>;
  /** Unacknowledged sends, oldest first. */
  loadOutbox(): Promise<OutboxEntry[]>;
  /** Add or update an outbox entry (keyed by event.clientId). */
  putOutbox(entry: OutboxEntry): Promise<void>;
  /** Remove an acknowledged (or abandoned) entry. */
  removeOutbox(clientId: string): Promise<void>;
  /** Wait until every write so far is durable. */
  flush(): Promise<void>;
  /** Flush and release resources. */
  close(): Promise<void>;
}

/** Everything a store holds, as one JSON-friendly value (used by MemoryStore and FileStore). */
export interface StoreSnapshot {
  version: 1;
  session: StoredSession | undefined;
  cursors: StoredCursors;
  channels: MyChannel[];
  events: Record<string, Event[]>;
  outbox: OutboxEntry[];
}

/** An empty snapshot. */
export function emptySnapshot(): StoreSnapshot {
  return { version: 1, session: undefined, cursors: { user: 0, channels: {} }, channels: [], events: {}, outbox: [] };
}

/** Options of {@link MemoryStore}. */
export interface MemoryStoreOptions {
  /** Newest events kept per channel (older ones are dropped; the server has them). Default 1000. */
  maxEventsPerChannel?: number;
}

/** A {@link LocalStore} in memory: nothing survives the process. Subclasses persist the snapshot. */
export class MemoryStore implements LocalStore {
  /** The current state; subclasses serialise it. */
  protected state: StoreSnapshot;
  readonly #maxEvents: number;

  constructor(opts: MemoryStoreOptions = {}, initial: StoreSnapshot = emptySnapshot()) {
    this.state = initial;
    this.#maxEvents = opts.maxEventsPerChannel ?? 1000;
  }

  /** Called after every mutation; FileStore schedules a write here. */
  protected changed(): void {}

  async loadSession(): Promise<StoredSession | undefined> {
    return this.state.session ? { ...this.state.session } : undefined;
  }
  async saveSession(session: StoredSession | undefined): Promise<void> {
    this.state.session = session ? { ...session } : undefined;
    this.changed();
  }
  async loadCursors(): Promise<StoredCursors> {
    return { user: this.state.cursors.user, channels: { ...this.state.cursors.channels } };
  }
  async setChannelCursor(channelId: string, seq: number): Promise<void> {
    this.state.cursors.channels[channelId] = seq;
    this.changed();
  }
  async setUserCursor(seq: number): Promise<void> {
    this.state.cursors.user = seq;
    this.changed();
  }
  async appendEvents(channelId: string, events: Event[]): Promise<void> {
    if (events.length === 0) return;
    const list = (this.state.events[channelId] ??= []);
    list.push(...events);
    if (list.length > this.#maxEvents) list.splice(0, list.length - this.#maxEvents);
    this.changed();
  }
  async listEvents(channelId: string, opts: { after?: number; limit?: number } = {}): Promise<Event[]> {
    let list = this.state.events[channelId] ?? [];
    if (opts.after !== undefined) list = list.filter((e) => e.seq > opts.after!);
    if (opts.limit !== undefined) list = list.slice(-opts.limit);
    return list.map((e) => ({ ...e }));
  }
  async loadChannels(): Promise<MyChannel[]> {
    return this.state.channels.map((c) => ({ ...c }));
  }
  async saveChannels(channels: MyChannel[]): Promise<void> {
    this.state.channels = channels.map((c) => ({ ...c }));
    this.changed();
  }
  async removeChannel(channelId: string): Promise<void> {
    this.state.channels = this.state.channels.filter((c) => c.id !== channelId);
    delete this.state.events[channelId];
    delete this.state.cursors.channels[channelId];
    this.changed();
  }
  async loadOutbox(): Promise<OutboxEntry[]> {
    return this.state.outbox.map((e) => ({ ...e, event: { ...e.event } }));
  }
  async putOutbox(entry: OutboxEntry): Promise<void> {
    const i = this.state.outbox.findIndex((e) => e.event.clientId === entry.event.clientId);
    const copy = { ...entry, event: { ...entry.event } };
    if (i >= 0) this.state.outbox[i] = copy;
    else this.state.outbox.push(copy);
    this.changed();
  }
  async removeOutbox(clientId: string): Promise<void> {
    const before = this.state.outbox.length;
    this.state.outbox = this.state.outbox.filter((e) => e.event.clientId !== clientId);
    if (this.state.outbox.length !== before) this.changed();
  }
  async flush(): Promise<void> {}
  async close(): Promise<void> {
    await this.flush();
  }
}
