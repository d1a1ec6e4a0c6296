/**
 * The device's MLS key store in IndexedDB: identity keys, KeyPackage private
 * keys and group states survive reloads, so a resumed session keeps reading
 * its channels. (Issue 4 moves this into packages/crypto with at-rest
 * encryption under a non-extractable WebCrypto key.)
 */
import type { KeyStore } from "@parley/crypto";
import { deleteDb, done, openDb, req } from "./idb.ts";

const DB = "parley-keys";
const STORE = "keys";

/** KeyStore over one IndexedDB object store (key: string, value: bytes). */
export class IdbKeyStore implements KeyStore {
  readonly #db: IDBDatabase;

  private constructor(db: IDBDatabase) {
    this.#db = db;
  }

  static async open(): Promise<IdbKeyStore> {
    return new IdbKeyStore(await openDb(DB, [{ name: STORE }]));
  }

  /** Forget every key of this browser profile (sign-out). */
  static async wipe(): Promise<void> {
    await deleteDb(DB);
  }

  async get(key: string): Promise<Uint8Array | undefined> {
    const v = await req(this.#db.transaction(STORE).objectStore(STORE).get(key)) as Uint8Array | undefined;
    return v ? new Uint8Array(v) : undefined;
  }

  async put(key: string, value: Uint8Array): Promise<void> {
    const tx = this.#db.transaction(STORE, "readwrite");
    tx.objectStore(STORE).put(value.slice(), key);
    await done(tx);
  }

  async delete(key: string): Promise<void> {
    const tx = this.#db.transaction(STORE, "readwrite");
    tx.objectStore(STORE).delete(key);
    await done(tx);
  }

  async list(prefix: string): Promise<string[]> {
    const keys = await req(this.#db.transaction(STORE).objectStore(STORE).getAllKeys(IDBKeyRange.lowerBound(prefix)));
    return (keys as string[]).filter((k) => k.startsWith(prefix)).sort();
  }

  close(): void {
    this.#db.close();
  }
}
