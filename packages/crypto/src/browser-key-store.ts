// The browser's KeyStore: IndexedDB, every value AES-256-GCM encrypted under a
// non-extractable WebCrypto key that lives in the same database.
//
// What this protects against, honestly:
// - Page script (an XSS payload, an extension's content script, a devtools dump of the
//   object store) can read the stored records but never the key's bytes: `exportKey`
//   refuses a non-extractable key. Such code CAN still ask WebCrypto to decrypt while it
//   runs in the origin, so this is no defence against live code in the origin.
// - Records cannot be swapped, moved or altered unnoticed: the record's name is the
//   GCM associated data, so a value copied under another name fails to decrypt.
// - Sign-out deletes the database with the key: anything sealed under it (also the web
//   app's history cache) becomes unreadable even if a copy of it survives (crypto-shredding).
// - It does NOT protect a copied browser profile: browsers serialise a CryptoKey into the
//   origin's IndexedDB backing files, so whoever copies those files whole (disk theft,
//   a backup of the profile, malware running as the user) gets the key with the data.
//   Against that, use OS disk encryption; a passphrase- or passkey-wrapped key is a
//   later option. What it does protect is a partial copy: the records without the
//   browser's serialised key (an exported store, a single leaked blob) stay sealed.
// Writes are atomic per key: one readwrite transaction each, committed with
// durability "strict" so `put` resolves only once the record is on disk.
import type { KeyStore } from "./key-store.ts";

/** Options of {@link BrowserKeyStore.open}. */
export interface BrowserKeyStoreOptions {
  /** IndexedDB database name (default "parley-keys"); one per browser profile and origin. */
  name?: string;
  /** The IndexedDB factory (default the global `indexedDB`, also in workers). */
  indexedDB?: IDBFactory;
}

const DEFAULT_DB = "parley-keys";
const KEYS = "keys";
const META = "meta";
const MASTER = "at-rest-key";
const IV_BYTES = 12;
// Associated-data domains: a key-store record can never be opened as sealed app data, or the reverse.
const KEY_AAD = "parley/key-store/v1\u0000";
const DATA_AAD = "parley/sealed-data/v1\u0000";

/** A stored record: GCM nonce and ciphertext (tag appended). */
interface SealedRecord {
  v: 1;
  iv: Uint8Array;
  data: Uint8Array;
}

const utf8 = new TextEncoder();

/**
 * {@link KeyStore} in IndexedDB, encrypted at rest with AES-256-GCM under a
 * non-extractable key kept in the database itself (see the file comment for
 * what that does and does not protect). Works in pages and Web Workers.
 * The same key seals other app data through {@link seal}/{@link unseal}.
 */
export class BrowserKeyStore implements KeyStore {
  readonly #db: IDBDatabase;
  readonly #key: CryptoKey;

  private constructor(db: IDBDatabase, key: CryptoKey) {
    this.#db = db;
    this.#key = key;
  }

  /** Opens (creating on first use) the store and its at-rest key. */
  static async open(opts: BrowserKeyStoreOptions = {}): Promise<BrowserKeyStore> {
    const factory = opts.indexedDB ?? indexedDB;
    const db = await openDb(factory, opts.name ?? DEFAULT_DB);
    try {
      return new BrowserKeyStore(db, await atRestKey(db));
    } catch (err) {
      db.close();
      throw err;
    }
  }

  /** Deletes the whole database, at-rest key included (sign-out): everything sealed under it is gone. */
  static wipe(opts: BrowserKeyStoreOptions = {}): Promise<void> {
    const factory = opts.indexedDB ?? indexedDB;
    return new Promise((resolve, reject) => {
      const r = factory.deleteDatabase(opts.name ?? DEFAULT_DB);
      r.onsuccess = () => resolve();
      r.onerror = () => reject(r.error ?? new Error("cannot delete the key store"));
      // Another connection is still open (another tab): the delete completes once it closes.
      r.onblocked = () => resolve();
    });
  }

  /** {@inheritDoc KeyStore.get} */
  async get(key: string): Promise<Uint8Array | undefined> {
    const rec = (await request(this.#db.transaction(KEYS).objectStore(KEYS).get(key))) as SealedRecord | undefined;
    if (!rec) return undefined;
    return this.#open(KEY_AAD + key, rec, `key ${key}`);
  }

  /** {@inheritDoc KeyStore.put} */
  async put(key: string, value: Uint8Array): Promise<void> {
    // Encrypt first: an IndexedDB transaction cannot stay open across a WebCrypto await.
    const rec = await this.#seal(KEY_AAD + key, value);
    const tx = this.#db.transaction(KEYS, "readwrite", { durability: "strict" });
    tx.objectStore(KEYS).put(rec, key);
    await committed(tx);
  }

  /** {@inheritDoc KeyStore.delete} */
  async delete(key: string): Promise<void> {
    const tx = this.#db.transaction(KEYS, "readwrite", { durability: "strict" });
    tx.objectStore(KEYS).delete(key);
    await committed(tx);
  }

  /** {@inheritDoc KeyStore.list} */
  async list(prefix: string): Promise<string[]> {
    const range = IDBKeyRange.bound(prefix, `${prefix}\uffff`);
    const keys = await request(this.#db.transaction(KEYS).objectStore(KEYS).getAllKeys(range));
    return (keys as string[]).filter((k) => k.startsWith(prefix)).sort();
  }

  /**
   * Encrypts app data under the store's at-rest key, bound to `name` (use a
   * name that says where the record lives, e.g. "events/<channel>/<seq>").
   * The result is opaque bytes for the caller to store anywhere.
   */
  async seal(name: string, plaintext: Uint8Array): Promise<Uint8Array> {
    const rec = await this.#seal(DATA_AAD + name, plaintext);
    const out = new Uint8Array(IV_BYTES + rec.data.length);
    out.set(rec.iv, 0);
    out.set(rec.data, IV_BYTES);
    return out;
  }

  /** Decrypts what {@link seal} returned for the same `name`; throws if it was altered or sealed under another name or key. */
  async unseal(name: string, sealed: Uint8Array): Promise<Uint8Array> {
    if (sealed.length < IV_BYTES + 16) throw new Error(`sealed record ${name} is too short`);
    return this.#open(DATA_AAD + name, { v: 1, iv: sealed.subarray(0, IV_BYTES), data: sealed.subarray(IV_BYTES) }, `record ${name}`);
  }

  /** Closes the database connection. */
  close(): void {
    this.#db.close();
  }

  async #seal(aad: string, value: Uint8Array): Promise<SealedRecord> {
    const iv = crypto.getRandomValues(new Uint8Array(IV_BYTES));
    const ct = await crypto.subtle.encrypt({ name: "AES-GCM", iv, additionalData: utf8.encode(aad) }, this.#key, value as Uint8Array<ArrayBuffer>);
    return { v: 1, iv, data: new Uint8Array(ct) };
  }

  async #open(aad: string, rec: SealedRecord, what: string): Promise<Uint8Array> {
    try {
      const pt = await crypto.subtle.decrypt(
        { name: "AES-GCM", iv: rec.iv as Uint8Array<ArrayBuffer>, additionalData: utf8.encode(aad) },
        this.#key,
        rec.data as Uint8Array<ArrayBuffer>,
      );
      return new Uint8Array(pt);
    } catch {
      throw new Error(`${what} failed authentication (altered, moved, or sealed under another key)`);
    }
  }
}

function openDb(factory: IDBFactory, name: string): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const r = factory.open(name, 2);
    r.onupgradeneeded = (ev) => {
      const db = r.result;
      // Version 1 (the web app's first store) held unsealed values: drop them rather than keep plaintext keys.
      if (ev.oldVersion < 2 && db.objectStoreNames.contains(KEYS)) db.deleteObjectStore(KEYS);
      if (!db.objectStoreNames.contains(KEYS)) db.createObjectStore(KEYS);
      if (!db.objectStoreNames.contains(META)) db.createObjectStore(META);
    };
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error ?? new Error(`cannot open IndexedDB ${name}`));
    r.onblocked = () => reject(new Error(`IndexedDB ${name} is blocked by an older version open elsewhere`));
  });
}

// The at-rest key: read it, or store a fresh one. The candidate is generated before the
// transaction (WebCrypto cannot run inside one); the get-or-put runs in ONE readwrite
// transaction, so two concurrent first opens agree on a single key.
async function atRestKey(db: IDBDatabase): Promise<CryptoKey> {
  const candidate = await crypto.subtle.generateKey({ name: "AES-GCM", length: 256 }, false, ["encrypt", "decrypt"]);
  const tx = db.transaction(META, "readwrite", { durability: "strict" });
  const store = tx.objectStore(META);
  let key: CryptoKey | undefined;
  const got = store.get(MASTER);
  got.onsuccess = () => {
    key = got.result as CryptoKey | undefined;
    if (!key) {
      key = candidate;
      store.put(candidate, MASTER);
    }
  };
  await committed(tx);
  if (!key || key.extractable) throw new Error("the key store's at-rest key is missing or extractable");
  return key;
}

function request<T>(r: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error ?? new Error("IndexedDB request failed"));
  });
}

function committed(tx: IDBTransaction): Promise<void> {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onerror = tx.onabort = () => reject(tx.error ?? new Error("IndexedDB transaction failed"));
  });
}
