/**
 * Counting wrappers for the bench: the real key store and local store, with every
 * key-store write and local-store flush counted and timed (bytes, ms), so the run
 * shows what each persistence mode writes per message, not only how fast it goes.
 */
import type { KeyStore, LocalStore } from "@parley/sdk";

/** Writes seen by one profile during a phase. */
export interface WriteStats {
  keyStorePuts: number;
  keyStoreBytes: number;
  keyStoreMs: number;
  storeFlushes: number;
  storeFlushMs: number;
}

export const emptyStats = (): WriteStats => ({ keyStorePuts: 0, keyStoreBytes: 0, keyStoreMs: 0, storeFlushes: 0, storeFlushMs: 0 });

/** `keyStore` with its puts counted into `stats` (everything else passes through). */
export function countingKeyStore(keyStore: KeyStore, stats: () => WriteStats): KeyStore {
  return {
    get: (k) => keyStore.get(k),
    delete: (k) => keyStore.delete(k),
    list: (p) => keyStore.list(p),
    async put(k, v) {
      const s = stats();
      const t0 = performance.now();
      s.keyStoreBytes += v.length;
      await keyStore.put(k, v);
      s.keyStoreMs += performance.now() - t0;
      s.keyStorePuts++;
    },
  };
}

/** Counts and times `store.flush()` into `stats` (the store object itself is kept, so its class and state stay real). */
export function countFlushes<S extends LocalStore>(store: S, stats: () => WriteStats): S {
  const flush = store.flush.bind(store);
  store.flush = async () => {
    const s = stats();
    const t0 = performance.now();
    await flush();
    s.storeFlushMs += performance.now() - t0;
    s.storeFlushes++;
  };
  return store;
}
