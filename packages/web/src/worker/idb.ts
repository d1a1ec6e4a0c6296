/**
 * A minimal promise wrapper over IndexedDB (one database per purpose, one
 * object store each) for the worker's session store and decrypted-history
 * cache; no library needed for four operations.
 */

/** Resolve an IDBRequest. */
export function req<T>(r: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error ?? new Error("IndexedDB request failed"));
  });
}

/** Open (and create) database `name` with the given object stores (out-of-line keys unless keyPath is set). */
export function openDb(name: string, stores: Array<{ name: string; keyPath?: string[] }>): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const r = indexedDB.open(name, 1);
    r.onupgradeneeded = () => {
      for (const s of stores)
        if (!r.result.objectStoreNames.contains(s.name)) r.result.createObjectStore(s.name, s.keyPath ? { keyPath: s.keyPath } : undefined);
    };
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error ?? new Error(`cannot open IndexedDB ${name}`));
  });
}

/** Delete a whole database (sign-out). */
export function deleteDb(name: string): Promise<void> {
  return new Promise((resolve) => {
    const r = indexedDB.deleteDatabase(name);
    r.onsuccess = r.onerror = r.onblocked = () => resolve();
  });
}

/** Resolve when a transaction commits. */
export function done(tx: IDBTransaction): Promise<void> {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onerror = tx.onabort = () => reject(tx.error ?? new Error("IndexedDB transaction failed"));
  });
}

/** Seals and opens records under the device's at-rest key (BrowserKeyStore in @parley/crypto/browser). */
export interface Sealer {
  seal(name: string, plaintext: Uint8Array): Promise<Uint8Array>;
  unseal(name: string, sealed: Uint8Array): Promise<Uint8Array>;
}
