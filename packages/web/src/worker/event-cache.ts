/**
 * Decrypted events this device has seen, kept in IndexedDB. MLS message keys
 * are used once, so ciphertext cannot be opened again after a reload: the
 * device's own copy of what it decrypted is its history. Keyed by
 * [channelId, seq]; writes are batched.
 */
import type { ReceivedEvent } from "@parley/sdk";
import { deleteDb, done, openDb } from "./idb.ts";

const DB = "parley-events";
const STORE = "events";

/** Per-channel cache of decoded events. */
export class EventCache {
  readonly #db: IDBDatabase;
  #pending: ReceivedEvent[] = [];
  #timer: ReturnType<typeof setTimeout> | undefined;

  private constructor(db: IDBDatabase) {
    this.#db = db;
  }

  static async open(): Promise<EventCache> {
    return new EventCache(await openDb(DB, [{ name: STORE, keyPath: ["channelId", "seq"] }]));
  }

  static async wipe(): Promise<void> {
    await deleteDb(DB);
  }

  /** Remember an event (only decrypted ones: an undecryptable copy is worth nothing). */
  put(e: ReceivedEvent): void {
    if (e.content.decodeError) return;
    // The ciphertext is of no further use; keep the metadata and the decoded content.
    this.#pending.push({ ...e, raw: { ...e.raw, content: "" } });
    this.#timer ??= setTimeout(() => void this.flush(), 100);
  }

  async flush(): Promise<void> {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    const batch = this.#pending;
    this.#pending = [];
    if (!batch.length) return;
    const tx = this.#db.transaction(STORE, "readwrite");
    const s = tx.objectStore(STORE);
    for (const e of batch) s.put(e);
    await done(tx);
  }

  /** Up to `limit` events of a channel with seq < `before`, oldest first. */
  async before(channelId: string, before: number, limit: number): Promise<ReceivedEvent[]> {
    await this.flush();
    const range = IDBKeyRange.bound([channelId, 0], [channelId, before], false, true);
    const out: ReceivedEvent[] = [];
    const cursor = this.#db.transaction(STORE).objectStore(STORE).openCursor(range, "prev");
    await new Promise<void>((resolve, reject) => {
      cursor.onsuccess = () => {
        const c = cursor.result;
        if (!c || out.length >= limit) return resolve();
        out.push(c.value as ReceivedEvent);
        c.continue();
      };
      cursor.onerror = () => reject(cursor.error ?? new Error("IndexedDB cursor failed"));
    });
    return out.reverse();
  }

  close(): void {
    this.#db.close();
  }
}

