/**
 * Search across every channel on this device (issue 9): a local full-text index of the messages
 * the device reads — as they arrive, and back-filled from history pages, newest first, which a
 * new device reads from archive copies — kept sealed at rest (AES-256-GCM under a key of the
 * device key store). MiniSearch, chosen by measurement (bench/RESULTS.md, "Search index"). The
 * index and the query never leave the device.
 */
import MiniSearch from "minisearch";
import type { KeyStore } from "@parley/crypto";
import type { ParleyClient } from "./client.ts";
import type { ReceivedEvent } from "./client-events.ts";
import { deviceSealingKey } from "./e2ee/history.ts";
import { historyKeysOf } from "./e2ee/history-keys.ts";
import { aesGcmOpen, aesGcmSeal } from "./e2ee/seal.ts";
import { foldSearchText } from "./search-text.ts";

/** Where the sealed index is kept between runs (a file for the CLI, IndexedDB in the web app). */
export interface SearchIndexStore {
  load(): Promise<Uint8Array | undefined>;
  save(sealed: Uint8Array): Promise<void>;
}

/** A store that keeps the sealed index in memory only. */
export class MemorySearchIndexStore implements SearchIndexStore {
  #bytes: Uint8Array | undefined;
  async load(): Promise<Uint8Array | undefined> {
    return this.#bytes;
  }
  async save(sealed: Uint8Array): Promise<void> {
    this.#bytes = sealed;
  }
}

/** One message found. */
export interface SearchHit {
  channelId: string;
  seq: number;
  /** The thread it was posted in (null: the channel itself). */
  threadRoot: number | null;
  senderId: string;
  createdAt: number;
  /** Its current text (after the latest edit). */
  text: string;
  score: number;
}

interface Doc extends Omit<SearchHit, "score"> {
  id: string;
  /** Attachment names, searched too. */
  files: string;
  /** Seq of the edit the text comes from (0: the original). */
  editSeq: number;
}

/** How far back a channel is indexed: every message in (oldest, newest]; `complete` once its first page was read. */
interface Coverage {
  newest: number;
  oldest: number;
  complete: boolean;
  /**
   * The newest event this device could not read (sent before it joined, before it restored or was
   * approved, or before it joined the channel's group at all), and how many history keys it held
   * then: when it holds more, the back-fill reads up to there again.
   */
  unreadableTo?: number;
  keys?: number;
}

/** Where history pages come from: a {@link ParleyClient}, or an app's own page source (the web worker adds its cached copies). */
export type HistorySource = Pick<ParleyClient, "history">;

interface Saved {
  v: 1;
  index: unknown;
  coverage: Record<string, Coverage>;
  /** Edits seen (paging backwards) before the message they change: target key -> [edit seq, text]. */
  edits: Record<string, [number, string]>;
  /** Messages deleted, by key (skipped when a page brings them in later). */
  deleted: string[];
}

const KEY_NAME = "sdk/search-key";
const AAD = new TextEncoder().encode("parley search index v1");
const PAGE = 200;
const FIELDS = ["text", "files"];
const STORED = ["channelId", "seq", "threadRoot", "senderId", "createdAt", "text", "editSeq"];
const fold = foldSearchText;
const keyOf = (channelId: string, seq: number) => `${channelId}:${seq}`;

function newIndex(): MiniSearch<Doc> {
  return new MiniSearch<Doc>({ fields: FIELDS, storeFields: STORED, processTerm: fold, searchOptions: { processTerm: fold } });
}

/**
 * Pages of a channel newest first, from before `from` (undefined: the newest) down to the page that
 * reaches `floor` or the channel's first event; each is handed to `each` while the next one is
 * already being fetched and decoded. Returns the last page.
 */
async function walk(
  source: HistorySource,
  channelId: string,
  from: number | undefined,
  floor: number,
  each: (page: { events: ReceivedEvent[]; hasMore: boolean }) => void,
): Promise<{ events: ReceivedEvent[]; hasMore: boolean }> {
  const page = (before: number | undefined) => source.history(channelId, { limit: PAGE, ...(before !== undefined ? { before } : {}) });
  let next = page(from);
  for (;;) {
    const p = await next;
    const first = p.events[0]?.seq;
    const further = p.hasMore && first !== undefined && first > floor + 1;
    if (further) next = page(first);
    try {
      each(p);
    } catch (err) {
      if (further) next.catch(() => undefined); // not awaited any more
      throw err;
    }
    if (!further) return p;
  }
}

/** The device's message index: feed it events (it follows the client once opened), back-fill it, query it. */
export class MessageSearch {
  readonly #store: SearchIndexStore;
  readonly #keyStore: KeyStore;
  readonly #key: Promise<CryptoKey>;
  #index: MiniSearch<Doc>;
  #coverage: Record<string, Coverage>;
  #edits: Map<string, [number, string]>;
  #deleted: Set<string>;
  #offs: Array<() => void> = [];

  private constructor(store: SearchIndexStore, keyStore: KeyStore, saved: Saved | undefined) {
    this.#store = store;
    this.#keyStore = keyStore;
    this.#key = deviceSealingKey(keyStore, KEY_NAME);
    this.#index = saved ? MiniSearch.loadJS<Doc>(saved.index as never, { fields: FIELDS, storeFields: STORED, processTerm: fold }) : newIndex();
    this.#coverage = saved?.coverage ?? {};
    this.#edits = new Map(Object.entries(saved?.edits ?? {}));
    this.#deleted = new Set(saved?.deleted ?? []);
  }

  /**
   * Open the index kept in `store` (a new one when there is none, or when it does not open under this
   * device's key) and follow the client's events from now on. The index is sealed under a key of
   * `opts.keyStore` (default: the client's E2EE key store).
   */
  static async open(client: ParleyClient, store: SearchIndexStore, opts: { keyStore?: KeyStore } = {}): Promise<MessageSearch> {
    const keyStore = opts.keyStore ?? client.e2ee?.identity.keyStore;
    if (!keyStore) throw new Error("search needs a device key store to seal its index (end-to-end encryption is off)");
    const key = await deviceSealingKey(keyStore, KEY_NAME);
    let saved: Saved | undefined;
    const sealed = await store.load();
    if (sealed && sealed.length > 12) {
      try {
        const json = new TextDecoder().decode(await aesGcmOpen(key, sealed.subarray(0, 12), AAD, sealed.subarray(12)));
        const parsed = JSON.parse(json) as Saved;
        if (parsed.v === 1) saved = parsed;
      } catch {
        // sealed under another device's key, or altered: start again (history pages rebuild it)
      }
    }
    const search = new MessageSearch(store, keyStore, saved);
    // Floors applied while the index was closed (a CLI run, a reload): what retention removed goes from it too.
    for (const [channelId, floor] of client.retentionFloors()) search.purgeBelow(channelId, floor);
    search.#offs = [client.on("event", (e) => search.apply(e, "forward")), client.on("channel.purged", (n) => search.purgeBelow(n.channelId, n.floor))];
    return search;
  }

  /**
   * Index one event. `forward`: in timeline order (live); `backward`: from a page read newest first,
   * where an edit or delete comes before the message it changes.
   */
  apply(e: ReceivedEvent, direction: "forward" | "backward" = "forward"): void {
    const cov = (this.#coverage[e.channelId] ??= { newest: 0, oldest: 0, complete: false });
    if (e.content.decodeError) {
      // Not readable now (sent before this device joined, or before it joined the group at all): maybe later.
      if (e.kind !== "commit" && e.kind !== "proposal") cov.unreadableTo = Math.max(cov.unreadableTo ?? 0, e.seq);
      return;
    }
    if (direction === "forward" && e.seq > cov.newest) {
      // Live events right after what is indexed extend it; after a gap the back-fill reads what lies between.
      if (cov.newest === 0 || e.seq === cov.newest + 1) cov.newest = e.seq;
      if (cov.oldest === 0) cov.oldest = e.seq;
    }
    if (e.kind === "message") return this.#addMessage(e);
    if (e.target === null) return;
    const target = keyOf(e.channelId, e.target);
    if (e.kind === "edit") {
      const doc = this.#index.getStoredFields(target) as Partial<Doc> | undefined;
      if (doc && doc.senderId === e.senderId) {
        if ((doc.editSeq ?? 0) < e.seq) this.#replace({ ...(doc as Doc), id: target, text: e.text ?? "", editSeq: e.seq });
      } else if (!doc && (this.#edits.get(target)?.[0] ?? 0) < e.seq) {
        this.#edits.set(target, [e.seq, e.text ?? ""]);
      }
    } else if (e.kind === "delete") {
      this.#deleted.add(target);
      if (this.#index.has(target)) this.#index.discard(target);
    }
  }

  #addMessage(e: ReceivedEvent): void {
    const id = keyOf(e.channelId, e.seq);
    if (this.#deleted.has(id) || this.#index.has(id)) return;
    const edit = this.#edits.get(id);
    this.#edits.delete(id);
    const files = Array.isArray(e.content.files) ? (e.content.files as Array<{ name?: unknown }>).map((f) => String(f.name ?? "")).join(" ") : "";
    this.#index.add({
      id,
      channelId: e.channelId,
      seq: e.seq,
      threadRoot: e.threadRoot,
      senderId: e.senderId,
      createdAt: e.createdAt,
      text: edit ? edit[1] : (e.text ?? ""),
      files,
      editSeq: edit ? edit[0] : 0,
    });
  }

  #replace(doc: Doc): void {
    this.#index.discard(doc.id);
    this.#index.add(doc);
  }

  /**
   * Index what is missing of these channels from their history pages: what it could not read before
   * when it holds more keys now, what came since the newest indexed message, then older pages until
   * each channel's first. Returns the events read.
   */
  async backfill(source: HistorySource, channelIds: readonly string[], onProgress?: (p: { channelId: string; read: number }) => void): Promise<number> {
    let total = 0;
    for (const channelId of channelIds) {
      const cov = (this.#coverage[channelId] ??= { newest: 0, oldest: 0, complete: false });
      const keys = (await historyKeysOf(this.#keyStore).ofChannel(channelId)).length;
      let read = 0;
      const indexed = (events: readonly ReceivedEvent[]) => {
        for (const e of [...events].reverse()) this.apply(e, "backward");
        read += events.length;
        onProgress?.({ channelId, read });
      };
      // Read again what this device could not read before, now that it holds more keys (restored, approved, shared).
      if (cov.unreadableTo && keys > (cov.keys ?? 0)) {
        const from = cov.unreadableTo + 1;
        cov.unreadableTo = 0;
        await walk(source, channelId, from, 0, (p) => indexed(p.events));
      }
      // Newer than what is indexed: newest first down to it (a new device reads these from archive copies).
      const floor = cov.newest;
      let newest = floor;
      const last = await walk(source, channelId, undefined, floor, (p) => {
        indexed(p.events.filter((e) => e.seq > floor));
        for (const e of p.events) newest = Math.max(newest, e.seq);
        // Nothing indexed before: this walk is the back-fill of the whole channel.
        if (floor === 0) cov.oldest = p.events[0]?.seq ?? 0;
      });
      if (floor === 0) cov.complete = !last.hasMore || (last.events[0]?.seq ?? 1) <= 1;
      cov.newest = newest;
      // Older than what is indexed, down to the first message.
      if (!cov.complete && cov.oldest > 1)
        await walk(source, channelId, cov.oldest, 0, (p) => {
          indexed(p.events);
          cov.oldest = p.events[0]?.seq ?? 1;
        });
      cov.complete = true;
      cov.keys = keys;
      total += read;
    }
    return total;
  }

  /** Messages matching every word of `query` (prefixes of the last word too), best first. */
  search(query: string, opts: { channelId?: string; limit?: number } = {}): SearchHit[] {
    if (!query.trim()) return [];
    const results = this.#index.search(query, {
      combineWith: "AND",
      prefix: (term, i, terms) => i === terms.length - 1 && term.length > 1,
      ...(opts.channelId ? { filter: (r) => r.channelId === opts.channelId } : {}),
    });
    return results.slice(0, opts.limit ?? 50).map((r) => ({
      channelId: r.channelId as string,
      seq: r.seq as number,
      threadRoot: r.threadRoot as number | null,
      senderId: r.senderId as string,
      createdAt: r.createdAt as number,
      text: r.text as string,
      score: r.score,
    }));
  }

  /**
   * Forget a channel's messages below `floor` (the org's retention policy removed them): they are
   * not found any more, and back-fills no longer look for them. Returns how many were indexed.
   */
  purgeBelow(channelId: string, floor: number): number {
    const below = (key: string) => key.startsWith(`${channelId}:`) && Number(key.slice(channelId.length + 1)) < floor;
    const ids = this.#index.search(MiniSearch.wildcard, { filter: (r) => r.channelId === channelId && (r.seq as number) < floor }).map((r) => r.id as string);
    this.#index.discardAll(ids);
    for (const key of [...this.#edits.keys()]) if (below(key)) this.#edits.delete(key);
    for (const key of [...this.#deleted]) if (below(key)) this.#deleted.delete(key);
    const cov = this.#coverage[channelId];
    // What is indexed starts at the floor now; nothing older is left to read.
    if (cov && cov.oldest > 0 && cov.oldest < floor) cov.oldest = floor;
    if (cov?.unreadableTo !== undefined && cov.unreadableTo < floor) cov.unreadableTo = 0;
    return ids.length;
  }

  /** Messages indexed. */
  get size(): number {
    return this.#index.documentCount;
  }

  /** Seal and store the index. */
  async save(): Promise<void> {
    const saved: Saved = { v: 1, index: this.#index.toJSON(), coverage: this.#coverage, edits: Object.fromEntries(this.#edits), deleted: [...this.#deleted] };
    const iv = crypto.getRandomValues(new Uint8Array(12));
    const ct = await aesGcmSeal(await this.#key, iv, AAD, new TextEncoder().encode(JSON.stringify(saved)));
    const out = new Uint8Array(12 + ct.length);
    out.set(iv);
    out.set(ct, 12);
    await this.#store.save(out);
  }

  /** Stop following the client. */
  close(): void {
    for (const off of this.#offs) off();
    this.#offs = [];
  }
}
