/**
 * The client worker's LocalStore: the SDK's MemoryStore, with the session,
 * sync cursors, channel list, outbox and own sends awaiting their echo saved
 * to IndexedDB (localStorage does not exist in workers) as ONE sealed record
 * (AES-256-GCM under the key store's at-rest key), so a reload resumes where
 * it stopped and the refresh token is not readable from the profile's
 * records. Events are not saved: history comes from the event cache or the
 * server. Writes are debounced, kept in order, and durable on flush().
 *
 * purgeBelow() (retention removed a channel's old events) deletes them from the event cache too.
 *
 * flush() also flushes the device's decrypted history (the event cache): the
 * SDK flushes the store before it saves a channel's MLS group state, and a saved
 * state must never have consumed the key of a message whose decrypted copy could
 * still be lost (sdk/src/e2ee/persist.ts).
 */
import { emptySnapshot, MemoryStore, type StoreSnapshot } from "@parley/sdk";
import { deleteDb, done, openDb, req, type Sealer } from "./idb.ts";

const DB = "parley-store";
const STORE = "state";
const RECORD = "snapshot";
const NAME = "store/snapshot";

/** The device's decrypted history (the event cache), flushed and purged with the store. */
interface History {
  flush(): Promise<void>;
  purgeBelow(channelId: string, seq: number): Promise<void>;
}

/** A MemoryStore persisted to IndexedDB, sealed. */
export class IdbStore extends MemoryStore {
  readonly #db: IDBDatabase;
  readonly #sealer: Sealer;
  readonly #history: History | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #writing: Promise<void> = Promise.resolve();

  private constructor(db: IDBDatabase, sealer: Sealer, snapshot: StoreSnapshot, history: History | undefined) {
    // Bounded memory: the app keeps history in the event cache, not in the store.
    super({ maxEventsPerChannel: 200, maxDecryptedPerChannel: 500 }, snapshot);
    this.#db = db;
    this.#sealer = sealer;
    this.#history = history;
  }

  /**
   * Open the store with what was saved (empty when nothing was, or it cannot be opened any more).
   * `history` (the event cache) is flushed with the store.
   */
  static async open(sealer: Sealer, opts: { history?: History } = {}): Promise<IdbStore> {
    const db = await openDb(DB, [{ name: STORE }]);
    let snapshot = emptySnapshot();
    const sealed = (await req(db.transaction(STORE).objectStore(STORE).get(RECORD))) as Uint8Array | undefined;
    if (sealed) {
      try {
        const v = JSON.parse(new TextDecoder().decode(await sealer.unseal(NAME, sealed))) as Partial<StoreSnapshot>;
        if (v.version === 1) snapshot = { ...emptySnapshot(), ...v, events: {}, decrypted: {} };
      } catch {
        // Sealed under a key that is gone (the key store was wiped) or altered: start signed out.
      }
    }
    return new IdbStore(db, sealer, snapshot, opts.history);
  }

  /** Delete the saved state (sign-out). */
  static async wipe(): Promise<void> {
    await deleteDb(DB);
  }

  protected override changed(): void {
    // Batch bursts (a replay writes a cursor per page) into one write.
    this.#timer ??= setTimeout(() => void this.flush().catch(() => undefined), 200);
  }

  override async purgeBelow(channelId: string, seq: number): Promise<void> {
    await super.purgeBelow(channelId, seq);
    await this.#history?.purgeBelow(channelId, seq);
  }

  override flush(): Promise<void> {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#writing = this.#writing
      .catch(() => undefined)
      .then(async () => {
        await Promise.all([this.#write(), this.#history?.flush()]);
      });
    return this.#writing;
  }

  override async close(): Promise<void> {
    await this.flush();
    this.#db.close();
  }

  async #write(): Promise<void> {
    const { session, cursors, channels, outbox, sent } = this.state;
    const tx = () => this.#db.transaction(STORE, "readwrite", { durability: "strict" });
    if (!session) {
      const t = tx();
      t.objectStore(STORE).delete(RECORD);
      return done(t);
    }
    const json = JSON.stringify({ version: 1, session, cursors, channels, outbox, sent, events: {} });
    const sealed = await this.#sealer.seal(NAME, new TextEncoder().encode(json));
    const t = tx();
    t.objectStore(STORE).put(sealed, RECORD);
    return done(t);
  }
}
