/**
 * Decrypted events this device has seen, kept in IndexedDB by the client
 * worker. MLS message keys are used once, so ciphertext cannot be opened
 * again after a reload: the device's own copy of what it decrypted is its
 * history. Each event is sealed (AES-256-GCM under the key store's
 * non-extractable at-rest key, its [channel, seq] as associated data), so the
 * cache holds no plaintext and dies with the key store at sign-out.
 * Keyed by [channelId, seq]; writes are batched.
 */
import type { ReceivedEvent } from "@parley/sdk";
import { deleteDb, done, openDb, type Sealer } from "./idb.ts";

// "parley-events" held unsealed events before the cache was sealed: the worker deletes it.
const DB = "parley-history";
/** The unsealed cache of earlier builds. */
export const LEGACY_DB = "parley-events";
const STORE = "events";

interface SealedEvent {
  channelId: string;
  seq: number;
  sealed: Uint8Array;
}

const name = (channelId: string, seq: number): string => `events/${channelId}/${seq}`;

/** Per-channel cache of decoded events. */
export class EventCache {
  readonly #db: IDBDatabase;
  readonly #sealer: Sealer;
  #pending: ReceivedEvent[] = [];
  #timer: ReturnType<typeof setTimeout> | undefined;
  #writing: Promise<void> = Promise.resolve();

  private constructor(db: IDBDatabase, sealer: Sealer) {
    this.#db = db;
    this.#sealer = sealer;
  }

  static async open(sealer: Sealer): Promise<EventCache> {
    return new EventCache(await openDb(DB, [{ name: STORE, keyPath: ["channelId", "seq"] }]), sealer);
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

  /** Write what is pending (writes stay in call order). */
  flush(): Promise<void> {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    const batch = this.#pending;
    this.#pending = [];
    // Each flush reports its own write: one failed write must not fail every later flush.
    this.#writing = this.#writing.catch(() => undefined).then(() => this.#write(batch));
    return this.#writing;
  }

  async #write(batch: ReceivedEvent[]): Promise<void> {
    if (!batch.length) return;
    // Seal first: an IndexedDB transaction cannot stay open across WebCrypto awaits.
    const enc = new TextEncoder();
    const rows: SealedEvent[] = await Promise.all(
      batch.map(async (e) => ({
        channelId: e.channelId,
        seq: e.seq,
        sealed: await this.#sealer.seal(name(e.channelId, e.seq), enc.encode(JSON.stringify(e))),
      })),
    );
    // Durable when committed: the SDK saves MLS group states only after this flush (see IdbStore).
    const tx = this.#db.transaction(STORE, "readwrite", { durability: "strict" });
    const s = tx.objectStore(STORE);
    for (const r of rows) s.put(r);
    await done(tx);
  }

  /**
   * Delete a channel's events with seq < `seq` (the org's retention policy removed them): pending
   * ones are dropped, stored ones deleted in one transaction.
   */
  async purgeBelow(channelId: string, seq: number): Promise<void> {
    this.#pending = this.#pending.filter((e) => e.channelId !== channelId || e.seq >= seq);
    await this.flush();
    const tx = this.#db.transaction(STORE, "readwrite", { durability: "strict" });
    tx.objectStore(STORE).delete(IDBKeyRange.bound([channelId, 0], [channelId, seq], false, true));
    await done(tx);
  }

  /** Up to `limit` events of a channel with seq < `before`, oldest first (records that fail to open are skipped). */
  async before(channelId: string, before: number, limit: number): Promise<ReceivedEvent[]> {
    await this.flush();
    const range = IDBKeyRange.bound([channelId, 0], [channelId, before], false, true);
    const rows: SealedEvent[] = [];
    const cursor = this.#db.transaction(STORE).objectStore(STORE).openCursor(range, "prev");
    await new Promise<void>((resolve, reject) => {
      cursor.onsuccess = () => {
        const c = cursor.result;
        if (!c || rows.length >= limit) return resolve();
        rows.push(c.value as SealedEvent);
        c.continue();
      };
      cursor.onerror = () => reject(cursor.error ?? new Error("IndexedDB cursor failed"));
    });
    const dec = new TextDecoder();
    const out = await Promise.all(
      rows.map((r) =>
        this.#sealer.unseal(name(r.channelId, r.seq), r.sealed).then(
          (b) => JSON.parse(dec.decode(b)) as ReceivedEvent,
          () => undefined, // altered, or sealed under a key that is gone: not part of this device's history
        ),
      ),
    );
    return out.filter((e): e is ReceivedEvent => e !== undefined).reverse();
  }

  close(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#db.close();
  }
}
