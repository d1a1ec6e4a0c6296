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
 * Content this device decrypted (or sent), sealed by the SDK before it
 * reaches the store: `data` is AES-256-GCM ciphertext (base64) under a key
 * held in the device's E2EE key store, so the store never sees plaintext.
 */
export interface SealedContent {
  /** Channel seq of the event (for own sends not yet echoed: 0). */
  seq: number;
  /** Event id (or, for an own send awaiting its echo, the clientId). */
  id: string;
  /** Sealed content, base64. */
  data: string;
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
  /**
   * Delete what is kept of a channel's events with seq < `seq` — the events and their sealed
   * decrypted content — because the org's retention policy removed them (the channel's
   * `retentionFloor` moved up). Cursors, the outbox and own sends awaiting their echo stay.
   */
  purgeBelow(channelId: string, seq: number): Promise<void>;
  /** Store sealed decrypted content of events (replacing entries of the same seq); the oldest beyond the store's bound are dropped. */
  putDecrypted(channelId: string, records: SealedContent[]): Promise<void>;
  /** The sealed decrypted content of one event, if kept. */
  getDecrypted(channelId: string, seq: number): Promise<SealedContent | undefined>;
  /** Keep the sealed plaintext of an own send until its echo is decrypted (MLS cannot decrypt one's own messages). */
  putSent(channelId: string, record: SealedContent): Promise<void>;
  /** The sealed plaintext of an own send by clientId (`record.id`), if kept. */
  getSent(clientId: string): Promise<(SealedContent & { channelId: string }) | undefined>;
  /** Forget an own send's plaintext (its echo was stored with {@link putDecrypted}). */
  removeSent(clientId: string): Promise<void>;
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
  /** Sealed decrypted content per channel, ascending seq (absent in files written before it existed). */
  decrypted?: Record<string, SealedContent[]>;
  /** Sealed plaintext of own sends awaiting their echo, oldest first. */
  sent?: Array<SealedContent & { channelId: string }>;
}

/** An empty snapshot. */
export function emptySnapshot(): StoreSnapshot {
  return { version: 1, session: undefined, cursors: { user: 0, channels: {} }, channels: [], events: {}, outbox: [], decrypted: {}, sent: [] };
}

/** Options of {@link MemoryStore}. */
export interface MemoryStoreOptions {
  /** Newest events kept per channel (older ones are dropped; the server has them). Default 1000. */
  maxEventsPerChannel?: number;
  /**
   * Newest decrypted events kept per channel (sealed, see {@link SealedContent}). This is the
   * device's readable history: MLS keys are single-use, so older messages cannot be decrypted
   * again once dropped here. Default 5000.
   */
  maxDecryptedPerChannel?: number;
  /** Own sends whose plaintext is kept until their echo (oldest dropped first). Default 1000. */
  maxSent?: number;
}

/** A {@link LocalStore} in memory: nothing survives the process. Subclasses persist the snapshot. */
export class MemoryStore implements LocalStore {
  /** The current state; subclasses serialise it. */
  protected state: StoreSnapshot;
  readonly #maxEvents: number;
  readonly #maxDecrypted: number;
  readonly #maxSent: number;
  #sentIds: Set<string> | undefined;

  constructor(opts: MemoryStoreOptions = {}, initial: StoreSnapshot = emptySnapshot()) {
    this.state = initial;
    this.#maxEvents = opts.maxEventsPerChannel ?? 1000;
    this.#maxDecrypted = opts.maxDecryptedPerChannel ?? 5000;
    this.#maxSent = opts.maxSent ?? 1000;
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
    if (this.state.decrypted) delete this.state.decrypted[channelId];
    if (this.state.sent) this.state.sent = this.state.sent.filter((s) => s.channelId !== channelId);
    this.#sentIds = undefined;
    this.changed();
  }
  async purgeBelow(channelId: string, seq: number): Promise<void> {
    const events = this.state.events[channelId];
    const decrypted = this.state.decrypted?.[channelId];
    const keptEvents = events?.filter((e) => e.seq >= seq);
    const keptDecrypted = decrypted?.filter((r) => r.seq >= seq);
    if (keptEvents?.length === events?.length && keptDecrypted?.length === decrypted?.length) return;
    if (keptEvents) this.state.events[channelId] = keptEvents;
    if (keptDecrypted) this.state.decrypted![channelId] = keptDecrypted;
    this.changed();
  }
  async putDecrypted(channelId: string, records: SealedContent[]): Promise<void> {
    if (records.length === 0) return;
    const list = ((this.state.decrypted ??= {})[channelId] ??= []);
    for (const r of records) {
      const copy = { ...r };
      // Usually appended in seq order; history paged in later lands in place.
      let i = list.length;
      while (i > 0 && list[i - 1]!.seq > r.seq) i--;
      if (i > 0 && list[i - 1]!.seq === r.seq) list[i - 1] = copy;
      else list.splice(i, 0, copy);
    }
    if (list.length > this.#maxDecrypted) list.splice(0, list.length - this.#maxDecrypted);
    this.changed();
  }
  async getDecrypted(channelId: string, seq: number): Promise<SealedContent | undefined> {
    const list = this.state.decrypted?.[channelId];
    if (!list) return undefined;
    // Binary search: the list is sorted by seq.
    let lo = 0;
    let hi = list.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const s = list[mid]!.seq;
      if (s === seq) return { ...list[mid]! };
      if (s < seq) lo = mid + 1;
      else hi = mid - 1;
    }
    return undefined;
  }
  async putSent(channelId: string, record: SealedContent): Promise<void> {
    // Once per send: look the id up in an index, not by scanning (or copying) up to maxSent entries.
    const sent = (this.state.sent ??= []);
    const ids = this.#sentIndex();
    if (ids.has(record.id))
      sent.splice(
        sent.findIndex((s) => s.id === record.id),
        1,
      );
    ids.add(record.id);
    sent.push({ ...record, channelId });
    if (sent.length > this.#maxSent) for (const dropped of sent.splice(0, sent.length - this.#maxSent)) ids.delete(dropped.id);
    this.changed();
  }
  async getSent(clientId: string): Promise<(SealedContent & { channelId: string }) | undefined> {
    const s = this.state.sent?.find((x) => x.id === clientId);
    return s ? { ...s } : undefined;
  }
  async removeSent(clientId: string): Promise<void> {
    const ids = this.#sentIndex();
    if (!ids.has(clientId)) return;
    ids.delete(clientId);
    const sent = this.state.sent!;
    sent.splice(
      sent.findIndex((s) => s.id === clientId),
      1,
    );
    this.changed();
  }

  /** Ids of `state.sent`, built on first use. */
  #sentIndex(): Set<string> {
    return (this.#sentIds ??= new Set((this.state.sent ?? []).map((s) => s.id)));
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

/** Forget everything of the previous account in `store` (channels, cursors, outbox): a new account must not inherit it. */
export async function clearAccountData(store: LocalStore): Promise<void> {
  for (const c of await store.loadChannels()) await store.removeChannel(c.id);
  for (const id of Object.keys((await store.loadCursors()).channels)) await store.removeChannel(id);
  await store.setUserCursor(0);
  for (const e of await store.loadOutbox()) await store.removeOutbox(e.event.clientId);
}
