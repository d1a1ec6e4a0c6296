/**
 * The history keys this device holds (issue 9, ADR 0007): HK(channel, generation, epoch) for every
 * epoch of a channel's group this device was in (derived from the MLS exporter when the group
 * state of that epoch is saved: ChannelCrypto.save, after every commit and join), and those it
 * received (a `keys` event, the key locker). They live in the device's key store (encrypted at
 * rest, like the group states), one record per channel generation — `sdk/hks/<channel>/<generation>`:
 * `version (1) ‖ (u64 epoch ‖ 32-byte key)*` in epoch order — so a device restoring 100 channels ×
 * 1,000 epochs writes 100 records, not 100,000 (a file key store fsyncs every write). Records are
 * read once and cached; writes of one record are serialised. An HK opens that epoch's archive
 * copies and nothing else. A send seals its archive copy with the group's current key (sealArchive).
 */
import { epoch, historyKey, parseChannelGroupId, sealArchiveCopy, type DeviceIdentity, type Group, type KeyStore } from "@parley/crypto";

const RECORD_VERSION = 1;
const ENTRY = 8 + 32;
const PREFIX = "sdk/hks/";
const NAME = (channelId: string, generation: number) => `${PREFIX}${channelId}/${generation}`;
/** Where keys were kept one per entry before records (read once, moved into records). */
const LEGACY_PREFIX = "sdk/hk/";

/** One history key. */
export interface HeldKey {
  generation: number;
  epoch: number;
  key: Uint8Array;
}

/** One history key with its channel. */
export interface ChannelKey extends HeldKey {
  channelId: string;
}

function decode(bytes: Uint8Array): Map<number, Uint8Array> {
  const out = new Map<number, Uint8Array>();
  if (bytes[0] !== RECORD_VERSION || (bytes.length - 1) % ENTRY !== 0) return out;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let o = 1; o < bytes.length; o += ENTRY) out.set(Number(view.getBigUint64(o)), bytes.slice(o + 8, o + ENTRY));
  return out;
}

function encode(keys: Map<number, Uint8Array>): Uint8Array {
  const epochs = [...keys.keys()].sort((a, b) => a - b);
  const out = new Uint8Array(1 + epochs.length * ENTRY);
  out[0] = RECORD_VERSION;
  const view = new DataView(out.buffer);
  epochs.forEach((e, i) => {
    view.setBigUint64(1 + i * ENTRY, BigInt(e));
    out.set(keys.get(e)!, 1 + i * ENTRY + 8);
  });
  return out;
}

/** A device's history keys in its key store (one instance per key store: {@link historyKeysOf}). */
export class HistoryKeys {
  readonly #keyStore: KeyStore;
  readonly #records = new Map<string, Promise<Map<number, Uint8Array>>>();
  readonly #writes = new Map<string, Promise<unknown>>();
  #migrated: Promise<void> | undefined;
  /** Told of every key kept that was not held before (the key locker appends them), unless the add is `quiet`. */
  onAdded: ((channelId: string, generation: number, epochs: number[]) => void) | undefined;

  constructor(keyStore: KeyStore) {
    this.#keyStore = keyStore;
  }

  /** The key of one epoch, if held. */
  async get(channelId: string, generation: number, epochNo: number): Promise<Uint8Array | undefined> {
    return (await this.#record(channelId, generation)).get(epochNo);
  }

  /** The epochs of a channel generation whose keys are held, in order. */
  async epochs(channelId: string, generation: number): Promise<number[]> {
    return [...(await this.#record(channelId, generation)).keys()].sort((a, b) => a - b);
  }

  /** Every key held for a channel (all generations), oldest first. */
  async ofChannel(channelId: string): Promise<HeldKey[]> {
    await this.#migrate();
    const prefix = `${PREFIX}${channelId}/`;
    const out: HeldKey[] = [];
    for (const name of await this.#keyStore.list(prefix)) {
      const generation = Number(name.slice(prefix.length));
      if (!Number.isSafeInteger(generation)) continue;
      for (const [e, key] of await this.#record(channelId, generation)) out.push({ generation, epoch: e, key });
    }
    return out.sort((a, b) => a.generation - b.generation || a.epoch - b.epoch);
  }

  /** The channels this device holds keys for. */
  async channels(): Promise<string[]> {
    await this.#migrate();
    const ids = new Set<string>();
    for (const name of await this.#keyStore.list(PREFIX)) ids.add(name.slice(PREFIX.length).split("/")[0]!);
    return [...ids];
  }

  /**
   * Keep keys of any channels not held yet, one write per channel generation; returns those that
   * were new. `quiet`: keys read back from the locker (not reported to {@link onAdded}).
   */
  async addMany(keys: ReadonlyArray<ChannelKey>, opts: { quiet?: boolean } = {}): Promise<ChannelKey[]> {
    const runs = new Map<string, ChannelKey[]>();
    for (const k of keys) {
      const id = `${k.channelId}/${k.generation}`;
      let run = runs.get(id);
      if (!run) runs.set(id, (run = []));
      run.push(k);
    }
    const added: ChannelKey[] = [];
    for (const run of runs.values()) {
      const { channelId, generation } = run[0]!;
      const epochs = new Set(await this.add(channelId, generation, run, opts));
      for (const k of run) if (epochs.delete(k.epoch)) added.push(k);
    }
    return added;
  }

  /** Keep the keys of a channel generation not held yet (one write); returns the epochs that were new. */
  add(channelId: string, generation: number, keys: ReadonlyArray<{ epoch: number; key: Uint8Array }>, opts: { quiet?: boolean } = {}): Promise<number[]> {
    const name = NAME(channelId, generation);
    const run = (this.#writes.get(name) ?? Promise.resolve()).then(async () => {
      const record = await this.#record(channelId, generation);
      const added: number[] = [];
      for (const { epoch: e, key } of keys) {
        if (record.has(e) || key.length !== 32) continue;
        record.set(e, key.slice());
        added.push(e);
      }
      if (added.length === 0) return added;
      try {
        await this.#keyStore.put(name, encode(record));
      } catch (err) {
        for (const e of added) record.delete(e); // not kept: the cache says what the store holds
        throw err;
      }
      if (!opts.quiet) this.onAdded?.(channelId, generation, added);
      return added;
    });
    this.#writes.set(
      name,
      run.catch(() => undefined),
    );
    return run;
  }

  /** Derive and keep the key of `group`'s current epoch unless held; returns whether it was new. */
  async record(channelId: string, generation: number, epochNo: number, group: Group): Promise<boolean> {
    if (await this.get(channelId, generation, epochNo)) return false;
    const hk = await historyKey(group, channelId, generation);
    const added = await this.add(channelId, generation, [{ epoch: epochNo, key: hk }]);
    hk.fill(0);
    return added.length > 0;
  }

  #record(channelId: string, generation: number): Promise<Map<number, Uint8Array>> {
    const name = NAME(channelId, generation);
    let r = this.#records.get(name);
    if (!r) {
      r = this.#migrate()
        .then(() => this.#keyStore.get(name))
        .then((bytes) => (bytes ? decode(bytes) : new Map<number, Uint8Array>()));
      r.catch(() => this.#records.delete(name)); // a failed read is tried again
      this.#records.set(name, r);
    }
    return r;
  }

  // Keys a device kept one per entry (before records) move into records, once.
  #migrate(): Promise<void> {
    this.#migrated ??= (async () => {
      const legacy = await this.#keyStore.list(LEGACY_PREFIX);
      if (legacy.length === 0) return;
      const groups = new Map<string, Map<number, Uint8Array>>();
      for (const name of legacy) {
        const [channelId, g, e] = name.slice(LEGACY_PREFIX.length).split("/");
        const key = await this.#keyStore.get(name);
        if (!channelId || !key || !Number.isSafeInteger(Number(g)) || !Number.isSafeInteger(Number(e))) continue;
        const target = NAME(channelId, Number(g));
        if (!groups.has(target)) groups.set(target, decode((await this.#keyStore.get(target)) ?? new Uint8Array([RECORD_VERSION])));
        groups.get(target)!.set(Number(e), key);
      }
      for (const [target, keys] of groups) await this.#keyStore.put(target, encode(keys));
      for (const name of legacy) await this.#keyStore.delete(name);
    })();
    return this.#migrated;
  }
}

const instances = new WeakMap<KeyStore, HistoryKeys>();

/** The history keys kept in `keyStore` (one shared instance per key store, so its cache and write order hold). */
export function historyKeysOf(keyStore: KeyStore): HistoryKeys {
  let h = instances.get(keyStore);
  if (!h) instances.set(keyStore, (h = new HistoryKeys(keyStore)));
  return h;
}

/** Derive and keep the history key of `group`'s current epoch, unless it is kept already; returns whether it was new. */
export function recordHistoryKey(keyStore: KeyStore, channelId: string, generation: number, epochNo: number, group: Group): Promise<boolean> {
  return historyKeysOf(keyStore).record(channelId, generation, epochNo, group);
}

/** The history key of one epoch, if this device holds it. */
export function heldHistoryKey(keyStore: KeyStore, channelId: string, generation: number, epochNo: number): Promise<Uint8Array | undefined> {
  return historyKeysOf(keyStore).get(channelId, generation, epochNo);
}

/** The epochs of a channel's generation whose history keys this device holds, in order. */
export function heldHistoryEpochs(keyStore: KeyStore, channelId: string, generation: number): Promise<number[]> {
  return historyKeysOf(keyStore).epochs(channelId, generation);
}

/**
 * The archive copy of a content payload this device sends in `group`'s current epoch: sealed under
 * that epoch's history key and signed by the device (ADR 0007). The group's generation comes from
 * its id, as the server reads it from the MLS message.
 */
export async function sealArchive(group: Group, signer: DeviceIdentity, channelId: string, clientId: string, payload: Uint8Array): Promise<Uint8Array> {
  const generation = parseChannelGroupId(group.groupId)?.generation ?? 0;
  const hk = await historyKey(group, channelId, generation);
  try {
    return await sealArchiveCopy({ hk, channelId, generation, epoch: epoch(group), clientId, payload, signer });
  } finally {
    hk.fill(0);
  }
}
