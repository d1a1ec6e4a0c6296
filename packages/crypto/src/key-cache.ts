// Bounded caches of prepared signature keys for the MLS crypto providers
// (provider-node.ts, provider-web.ts). Preparing an Ed25519 key (parsing PKCS#8/SPKI
// into an OpenSSL key, or a WebCrypto importKey) costs about as much as the signature
// itself, and ts-mls hands the providers raw bytes on every call.
//
// What is cached, and why that is safe for secrets:
// - Public keys (verification): not secret. A plain LRU keyed by the key bytes.
// - The device's own signing key: secret. It is cached per key *array* (the Uint8Array
//   object ts-mls passes, which lives in the group state), in a WeakMap, so an entry can
//   never outlive the caller's own copy of the secret: once the state holding the array
//   is garbage, so is the prepared key. An entry is also checked against a SHA-256
//   fingerprint of the array's current bytes on every use, so a key array the caller
//   has zeroed (or reused for another key) is never signed with under its old value.
//   The fingerprint is a one-way digest of a 256-bit key, not a copy of it. The number
//   of entries is capped as well (oldest evicted), independent of garbage collection.
// - Nothing keyed by MLS epoch/ratchet secrets (HMAC/HKDF/AEAD keys) is cached at all:
//   those are used once or a few times, and MLS zeroes them when consumed, so a cache
//   would only keep copies of secrets alive. The providers' gain there comes from
//   synchronous calls, not from caching.

/** LRU of prepared public keys, keyed by their bytes. */
export class PublicKeyCache<K> {
  readonly #max: number;
  readonly #idOf: (publicKey: Uint8Array) => string;
  readonly #map = new Map<string, K>();

  /**
   * @param max entries kept; the least recently used is dropped beyond it.
   * @param idOf the map key of a public key's bytes (an encoding: hex, base64).
   */
  constructor(max: number, idOf: (publicKey: Uint8Array) => string) {
    this.#max = max;
    this.#idOf = idOf;
  }

  /** The prepared key for `publicKey`, made by `prepare` (and cached) on a miss. */
  get(publicKey: Uint8Array, prepare: (publicKey: Uint8Array) => K): K {
    const id = this.#idOf(publicKey);
    let k = this.#map.get(id);
    if (k !== undefined) {
      // Re-insert: Map iteration order is insertion order, so the first key is the LRU one.
      this.#map.delete(id);
      this.#map.set(id, k);
      return k;
    }
    k = prepare(publicKey);
    this.#map.set(id, k);
    if (this.#map.size > this.#max) this.#map.delete(this.#map.keys().next().value!);
    return k;
  }

  /** Entries held (tests). */
  get size(): number {
    return this.#map.size;
  }
}

interface SigningEntry<K> {
  fingerprint: string;
  key: K;
}

/** Prepared signing keys per key array (see the file comment for the lifetime rules). */
export class SigningKeyCache<K> {
  readonly #max: number;
  readonly #fingerprint: (secret: Uint8Array) => string;
  #entries = new WeakMap<Uint8Array, SigningEntry<K>>();
  // Insertion order of the arrays in #entries, to cap their number. WeakRefs, so the
  // list keeps no key array alive.
  #order: WeakRef<Uint8Array>[] = [];

  /**
   * @param max arrays with a prepared key at a time.
   * @param fingerprint a one-way digest of the key bytes (SHA-256), computed on each use.
   */
  constructor(max: number, fingerprint: (secret: Uint8Array) => string) {
    this.#max = max;
    this.#fingerprint = fingerprint;
  }

  /** The prepared key for the bytes `secret` holds now, made by `prepare` on a miss. */
  get(secret: Uint8Array, prepare: (secret: Uint8Array) => K): K {
    const fingerprint = this.#fingerprint(secret);
    const hit = this.#entries.get(secret);
    if (hit && hit.fingerprint === fingerprint) return hit.key;
    const key = prepare(secret);
    if (!hit) {
      this.#order.push(new WeakRef(secret));
      if (this.#order.length > this.#max) this.#evictOldest();
    }
    this.#entries.set(secret, { fingerprint, key });
    return key;
  }

  #evictOldest(): void {
    // Drop references already collected first; then the oldest live entry if still over.
    this.#order = this.#order.filter((r) => r.deref() !== undefined);
    while (this.#order.length > this.#max) {
      const oldest = this.#order.shift()!.deref();
      if (oldest) this.#entries.delete(oldest);
    }
  }

  /** Forgets every prepared key (tests; a process that wants no signing key held). */
  clear(): void {
    this.#entries = new WeakMap();
    this.#order = [];
  }

  /** Live arrays with a prepared key (tests). */
  get size(): number {
    return this.#order.filter((r) => r.deref() !== undefined && this.#entries.has(r.deref()!)).length;
  }
}
