// Where a device keeps its private MLS material (identity key, KeyPackage private keys,
// group states). The browser IndexedDB store is in browser-key-store.ts (`@parley/crypto/browser`); the encrypted file
// store lives in node.ts.

/** A small async byte store keyed by strings. Implementations must make `put` durable before resolving. */
export interface KeyStore {
  /** The bytes under `key`, or undefined. */
  get(key: string): Promise<Uint8Array | undefined>;
  /** Stores (replaces) the bytes under `key`. */
  put(key: string, value: Uint8Array): Promise<void>;
  /** Deletes `key` (no error if absent). */
  delete(key: string): Promise<void>;
  /** Every key starting with `prefix`, sorted. */
  list(prefix: string): Promise<string[]>;
}

/** In-memory {@link KeyStore} (tests, ephemeral clients). Deleted values are zeroed. */
export class MemoryKeyStore implements KeyStore {
  readonly #map = new Map<string, Uint8Array>();

  /** {@inheritDoc KeyStore.get} */
  async get(key: string): Promise<Uint8Array | undefined> {
    const v = this.#map.get(key);
    return v ? v.slice() : undefined;
  }

  /** {@inheritDoc KeyStore.put} */
  async put(key: string, value: Uint8Array): Promise<void> {
    this.#map.get(key)?.fill(0);
    this.#map.set(key, value.slice());
  }

  /** {@inheritDoc KeyStore.delete} */
  async delete(key: string): Promise<void> {
    this.#map.get(key)?.fill(0);
    this.#map.delete(key);
  }

  /** {@inheritDoc KeyStore.list} */
  async list(prefix: string): Promise<string[]> {
    return [...this.#map.keys()].filter((k) => k.startsWith(prefix)).sort();
  }
}
