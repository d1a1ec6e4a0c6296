/**
 * Search in the client worker (issue 9): the SDK's MessageSearch over every channel on this
 * device, sealed at rest in IndexedDB (under a key of the device key store; wiped at sign-out
 * with the rest), fed by the client as events arrive and back-filled in the background — after
 * the connection goes live, when the user joins a channel, and when past history keys arrive
 * (restored, approved or shared), which is when messages it could not read become readable.
 * Queries and the index never leave the worker's device.
 */
import type { KeyStore } from "@parley/crypto";
import { MessageSearch, type HistorySource, type ParleyClient, type SearchIndexStore } from "@parley/sdk";
import { deleteDb, done, openDb, req } from "./idb.ts";
import type { SearchAnswer, SearchStatus } from "./protocol.ts";

const DB = "parley-search";
const STORE = "index";
const RECORD = "sealed";
/** The index is saved this long after the last change (and at sign-out / close). */
const SAVE_MS = 5_000;

class IdbSearchIndexStore implements SearchIndexStore {
  readonly #db: IDBDatabase;
  private constructor(db: IDBDatabase) {
    this.#db = db;
  }
  static async open(): Promise<IdbSearchIndexStore> {
    return new IdbSearchIndexStore(await openDb(DB, [{ name: STORE }]));
  }
  async load(): Promise<Uint8Array | undefined> {
    return (await req(this.#db.transaction(STORE).objectStore(STORE).get(RECORD))) as Uint8Array | undefined;
  }
  async save(sealed: Uint8Array): Promise<void> {
    const tx = this.#db.transaction(STORE, "readwrite");
    tx.objectStore(STORE).put(sealed, RECORD);
    await done(tx);
  }
  close(): void {
    this.#db.close();
  }
}

/** The worker's search index and its background back-fill. */
export class WorkerSearch {
  readonly #client: ParleyClient;
  readonly #source: HistorySource;
  readonly #store: IdbSearchIndexStore;
  readonly #search: MessageSearch;
  readonly #offs: Array<() => void>;
  #running: Promise<void> | undefined;
  #again = false;
  #closed = false;
  #read = 0;
  #error: string | undefined;
  #saveTimer: ReturnType<typeof setTimeout> | undefined;

  private constructor(client: ParleyClient, source: HistorySource, store: IdbSearchIndexStore, search: MessageSearch) {
    this.#client = client;
    this.#source = source;
    this.#store = store;
    this.#search = search;
    this.#offs = [
      client.on("connection", (c) => void (c.state === "live" && this.refresh())),
      client.on("membership", () => this.refresh()),
      client.on("historyKeys", () => this.refresh()),
      client.on("event", () => this.#changed()),
      // MessageSearch drops what retention removed; the sealed copy at rest follows.
      client.on("channel.purged", () => this.#changed()),
    ];
  }

  /** Open the index kept on this device (a new one if none opens, sealed under `keyStore`) and follow `client`; pages come from `source`. */
  static async open(client: ParleyClient, source: HistorySource, keyStore: KeyStore): Promise<WorkerSearch> {
    const store = await IdbSearchIndexStore.open();
    return new WorkerSearch(client, source, store, await MessageSearch.open(client, store, { keyStore }));
  }

  /** Delete the index (sign-out). */
  static wipe(): Promise<void> {
    return deleteDb(DB);
  }

  /** Bring the index up to date in the background (once more after the current run if one is running). */
  refresh(): void {
    if (this.#closed) return;
    if (this.#running) {
      this.#again = true;
      return;
    }
    this.#running = this.#backfill().finally(() => {
      this.#running = undefined;
      if (this.#again && !this.#closed) {
        this.#again = false;
        this.refresh();
      }
    });
  }

  /** Messages matching `query`, best first, with how far the index is. */
  query(query: string, opts: { channelId?: string; limit?: number }): SearchAnswer {
    return { hits: this.#search.search(query, opts), status: this.status };
  }

  get status(): SearchStatus {
    return { indexed: this.#search.size, backfilling: !!this.#running, read: this.#read, ...(this.#error ? { error: this.#error } : {}) };
  }

  /** Stop following the client and save what is indexed. */
  async close(): Promise<void> {
    this.#closed = true;
    for (const off of this.#offs) off();
    this.#search.close();
    await this.#running?.catch(() => undefined);
    if (this.#saveTimer) clearTimeout(this.#saveTimer);
    await this.#search.save().catch(() => undefined);
    this.#store.close();
  }

  async #backfill(): Promise<void> {
    this.#error = undefined;
    try {
      const channels = await this.#client.channels();
      // Channels newest activity first: what the user is most likely to look for is found first.
      const ids = [...channels].sort((a, b) => b.lastSeq - a.lastSeq).map((c) => c.id);
      const paced: HistorySource = {
        // One page at a time, yielding between pages, so live messages and the user's clicks go first.
        history: async (channelId, opts) => {
          if (this.#closed) throw new Error("search closed");
          const page = await this.#source.history(channelId, opts);
          await new Promise((r) => setTimeout(r, 0));
          return page;
        },
      };
      for (const id of ids) {
        if (this.#closed) return;
        const base = this.#read;
        const read = await this.#search.backfill(paced, [id], (p) => void (this.#read = base + p.read));
        this.#read = base + read;
        if (read) this.#changed();
      }
    } catch (err) {
      if (!this.#closed) this.#error = (err as Error).message;
    }
  }

  #changed(): void {
    this.#saveTimer ??= setTimeout(() => {
      this.#saveTimer = undefined;
      void this.#search.save().catch(() => undefined);
    }, SAVE_MS);
  }
}
