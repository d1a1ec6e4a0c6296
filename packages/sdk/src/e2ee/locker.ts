/**
 * The user's key locker from a device (issue 9, ADR 0007). The first device of a user sets it up:
 * a locker key pair, a user identity key pair, and a recovery key shown once — the server keeps
 * the two public keys and the recovery blob (both private keys under the recovery key). Every
 * device appends the history keys it learns, HPKE-sealed in per-channel batches to the locker
 * public key (writing needs no secret). A device holding the locker private key — the first one,
 * one restored with the recovery key, or one approved from another device (approval.ts) — reads the
 * whole locker and so every channel's past. Keys are read from the device's key store when a
 * batch is sealed; the private keys live there too (encrypted at rest like the group states).
 */
import {
  generateLockerKeyPair,
  generateRecoveryKey,
  generateUserIdentity,
  isE2eeError,
  lockerBatchMeta,
  openLockerBatches,
  openKeywords,
  openRecoveryBlob,
  parseRecoveryKey,
  sealKeywords,
  sealLockerBatch,
  sealRecoveryBlob,
  type KeyStore,
  type LockerEntry,
  type LockerOwner,
  type UserSecrets,
} from "@parley/crypto";
import { DEFAULT_LIMITS, LOCKER_LIMITS, type Locker } from "@parley/protocol";
import { base64ToBytes, bytesToBase64 } from "../codec.ts";
import { ParleyError } from "../errors.ts";
import type { Api } from "../http.ts";
import { historyKeysOf } from "./history-keys.ts";

const PRIVATE = "sdk/locker/private";
const IDENTITY = "sdk/locker/identity";
/** History keys per sealed batch (32 bytes each: well under the server's 64 KiB per entry). */
const KEYS_PER_BATCH = 1000;
const FLUSH_DELAY_MS = 500;
/** Base64 bytes per append request (the server's default body limit is 1 MiB). */
const APPEND_BODY_BYTES = Math.floor(DEFAULT_LIMITS.bodyBytes / 2);
/** How long "this user has no locker" is believed before asking again (another device may set one up). */
const NO_LOCKER_RECHECK_MS = 60_000;

/** A history key this device learned, waiting for a flush. */
interface KeyRef {
  channelId: string;
  generation: number;
  epoch: number;
}

/** One more public key the history keys a device learns are sealed to (the compliance archive, ADR 0008). */
export interface HistoryKeyRecipient {
  /** Seal and append the keys it takes (of any channels); a throw keeps them for the next flush. */
  append(keys: LockerEntry[]): Promise<void>;
}

/** What this device can do with its user's locker. */
export interface LockerStatus {
  /** The user has set up a locker (on some device). */
  exists: boolean;
  /** This device holds the locker private key: it reads the locker (every channel's past keys). */
  canRead: boolean;
}

/** Least time between two reads of the whole locker prompted by the timeline (catchUp). */
const CATCH_UP_MS = 10_000;

/** A user's key locker as seen from one device. */
export class KeyLocker {
  readonly #api: Api;
  readonly #keyStore: KeyStore;
  readonly #owner: LockerOwner;
  readonly #onError: (err: unknown) => void;
  readonly #onKeys: (channelId: string, added: number) => void;
  readonly #approveSelf: () => Promise<unknown>;
  /** The locker public key, once known (undefined: not looked up yet; null: no locker). */
  #publicKey: Uint8Array | null | undefined;
  #lookup: Promise<Uint8Array | null> | undefined;
  #noLockerSince = 0;
  /** Per recipient (this locker first, then e.g. the compliance archive): history keys to append, by "channel/generation/epoch". */
  readonly #pending = new Map<HistoryKeyRecipient, Map<string, KeyRef>>([[{ append: (keys) => this.#appendToLocker(keys) }, new Map()]]);
  #timer: ReturnType<typeof setTimeout> | undefined;
  #flushing: Promise<void> | undefined;
  #catchingUp: Promise<unknown> | undefined;
  #caughtUpAt = 0;

  constructor(opts: {
    api: Api;
    keyStore: KeyStore;
    owner: LockerOwner;
    onError: (err: unknown) => void;
    /** History keys arrived from the locker for a channel (earlier events may now be readable). */
    onKeys: (channelId: string, added: number) => void;
    /** This device came to hold the identity key by itself (setup, recovery key): sign and post its approval. */
    approveSelf?: () => Promise<unknown>;
  }) {
    this.#api = opts.api;
    this.#keyStore = opts.keyStore;
    this.#owner = opts.owner;
    this.#onError = opts.onError;
    this.#onKeys = opts.onKeys;
    this.#approveSelf = opts.approveSelf ?? (() => Promise.resolve());
  }

  /** Whether the user has a locker and whether this device reads it. */
  async status(): Promise<LockerStatus> {
    this.#publicKey = this.#publicKey === null ? undefined : this.#publicKey; // ask again
    const exists = (await this.#locker()) !== null;
    return { exists, canRead: exists && (await this.#keyStore.get(PRIVATE)) !== undefined };
  }

  /**
   * Set the locker up (the user's first device): returns the recovery key, to show the user once.
   * Every history key this device holds is appended. Errors: `already_exists` when the user has one.
   */
  async setUp(): Promise<string> {
    if ((await this.#locker()) !== null) throw new ParleyError({ code: "already_exists", status: 409, message: "this user's key locker is set up already" });
    const locker = generateLockerKeyPair();
    const identity = generateUserIdentity();
    const recovery = generateRecoveryKey();
    const blob = await sealRecoveryBlob(recovery.key, { lockerPrivateKey: locker.privateKey, identityPrivateKey: identity.privateKey }, this.#owner);
    try {
      await this.#api.call("putLocker", {
        body: { publicKey: bytesToBase64(locker.publicKey), identityKey: bytesToBase64(identity.publicKey), recoveryBlob: bytesToBase64(blob) },
      });
    } catch (err) {
      // Another device of the user set one up first: this device appends to that one (and needs approval or the recovery key to read).
      if (err instanceof ParleyError && err.code === "locker_key_conflict") this.#publicKey = undefined;
      throw err;
    }
    await this.#keyStore.put(PRIVATE, locker.privateKey);
    await this.#keyStore.put(IDENTITY, identity.privateKey);
    this.#publicKey = locker.publicKey;
    await this.#selfApproved();
    await this.#appendAllHeld();
    return recovery.display;
  }

  /**
   * Restore on this device with the recovery key: the locker private key from the recovery blob,
   * then every history key in the locker. Returns how many keys were new here.
   * Errors (nothing is written on any): E2eeError `recovery_key_invalid` (a typo: the checksum),
   * `recovery_key_wrong` (another key); ParleyError `not_found` (no locker).
   */
  async restore(recoveryKeyText: string): Promise<number> {
    const key = parseRecoveryKey(recoveryKeyText);
    const locker = await this.#api.call("getLocker");
    const secrets = await openRecoveryBlob(key, base64ToBytes(locker.recoveryBlob), this.#owner);
    key.fill(0);
    const added = await this.#keep(secrets, base64ToBytes(locker.publicKey));
    await this.#selfApproved();
    return added;
  }

  /**
   * Keep the user's private keys handed over by another device (device approval), then read every
   * history key in the locker. Returns how many keys were new here.
   */
  async adopt(secrets: UserSecrets): Promise<number> {
    const locker = await this.#api.call("getLocker");
    return this.#keep(secrets, base64ToBytes(locker.publicKey));
  }

  /** The user's private keys, when this device holds them (copies: the caller wipes them). */
  async secrets(): Promise<UserSecrets | undefined> {
    const lockerPrivateKey = await this.#keyStore.get(PRIVATE);
    const identityPrivateKey = await this.#keyStore.get(IDENTITY);
    return lockerPrivateKey && identityPrivateKey ? { lockerPrivateKey: lockerPrivateKey.slice(), identityPrivateKey: identityPrivateKey.slice() } : undefined;
  }

  async #keep(secrets: UserSecrets, publicKey: Uint8Array): Promise<number> {
    await this.#keyStore.put(PRIVATE, secrets.lockerPrivateKey);
    await this.#keyStore.put(IDENTITY, secrets.identityPrivateKey);
    this.#publicKey = publicKey;
    const before = await this.#held(); // what this device knew before, for the user's other devices
    const added = await this.readAll();
    await this.#append(publicKey, before);
    return added;
  }

  // A failed self-approval is reported, not thrown: the keys are kept, and the device approves
  // itself again before it approves another.
  async #selfApproved(): Promise<void> {
    await this.#approveSelf().catch((err: unknown) => this.#onError(err));
  }

  /**
   * Replace the recovery key (the old one stops working): needs the locker private key on this
   * device. Returns the new recovery key, to show once.
   */
  async changeRecoveryKey(): Promise<string> {
    const secrets = await this.secrets();
    if (!secrets)
      throw new ParleyError({ code: "forbidden", status: 403, message: "this device cannot read the key locker: restore it with the recovery key first" });
    const locker = await this.#api.call("getLocker");
    const recovery = generateRecoveryKey();
    const blob = await sealRecoveryBlob(recovery.key, secrets, this.#owner);
    await this.#api.call("putLocker", { body: { publicKey: locker.publicKey, identityKey: locker.identityKey, recoveryBlob: bytesToBase64(blob) } });
    return recovery.display;
  }

  /** Read every locker entry and keep the history keys this device lacks; returns how many were new. */
  async readAll(): Promise<number> {
    const privateKey = await this.#keyStore.get(PRIVATE);
    if (!privateKey) return 0;
    const perChannel = new Map<string, number>();
    let after = 0;
    for (;;) {
      const page = await this.#api.call("listLockerEntries", { query: { after, limit: LOCKER_LIMITS.pageSize } });
      const batches = page.entries.map((e) => ({
        sealed: base64ToBytes(e.sealed),
        meta: { channelId: e.channelId, generation: e.generation, fromEpoch: BigInt(e.fromEpoch), toEpoch: BigInt(e.toEpoch) },
      }));
      const opened = (await openLockerBatches(privateKey, this.#owner, batches)).map((x) => ({
        channelId: x.channelId,
        generation: x.generation,
        epoch: Number(x.epoch),
        key: x.hk,
      }));
      // Quiet: these are in the locker already.
      for (const k of await historyKeysOf(this.#keyStore).addMany(opened, { quiet: true })) perChannel.set(k.channelId, (perChannel.get(k.channelId) ?? 0) + 1);
      if (page.nextCursor === null) break;
      after = page.nextCursor;
    }
    let added = 0;
    for (const [channelId, n] of perChannel) {
      added += n;
      this.#onKeys(channelId, n);
    }
    return added;
  }

  /**
   * The timeline met events this device has no key for: when it reads the locker, look there again
   * (the user's other devices append the keys of epochs this one was not in — e.g. it restored, then
   * joined a channel's group epochs later). One read at a time, at most one every 10 s.
   */
  catchUp(): void {
    if (this.#catchingUp || Date.now() - this.#caughtUpAt < CATCH_UP_MS) return;
    this.#catchingUp = this.readAll()
      .catch((err: unknown) => this.#onError(err))
      .finally(() => {
        this.#catchingUp = undefined;
        this.#caughtUpAt = Date.now();
      });
  }

  /**
   * One more public key the keys this device learns are sealed to, in the same batches and
   * flushes (ADR 0007: "a second recipient is one more seal of the same batch").
   */
  addRecipient(recipient: HistoryKeyRecipient): void {
    if (!this.#pending.has(recipient)) this.#pending.set(recipient, new Map());
  }

  /** This device learned the history key of (channel, generation, epoch): append it (batched) to the locker and every other recipient. */
  noteKey(channelId: string, generation: number, epoch: number): void {
    for (const pending of this.#pending.values()) pending.set(`${channelId}/${generation}/${epoch}`, { channelId, generation, epoch });
    this.#timer ??= setTimeout(() => {
      this.#timer = undefined;
      void this.flush().catch((err: unknown) => this.#onError(err));
    }, FLUSH_DELAY_MS);
    this.#timer.unref?.();
  }

  /** Append the keys noted so far (nothing without a locker: its setup appends what the device holds then). */
  flush(): Promise<void> {
    this.#flushing ??= this.#flush().finally(() => {
      this.#flushing = undefined;
    });
    return this.#flushing;
  }

  /** Stop the flush timer (pending keys are appended by the next run's full append, if any). */
  close(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  // Each recipient gets the keys noted for it; one that fails keeps its keys for the next flush
  // (the others are not sent theirs twice).
  async #flush(): Promise<void> {
    const hks = historyKeysOf(this.#keyStore);
    const errors: unknown[] = [];
    for (const [recipient, pending] of this.#pending) {
      const refs = [...pending];
      if (refs.length === 0) continue;
      pending.clear();
      try {
        const entries: LockerEntry[] = [];
        for (const [, { channelId, generation, epoch }] of refs) {
          const hk = await hks.get(channelId, generation, epoch);
          if (hk) entries.push({ channelId, generation, epoch: BigInt(epoch), hk });
        }
        await recipient.append(entries);
      } catch (err) {
        for (const [name, ref] of refs) if (!pending.has(name)) pending.set(name, ref); // tried again with the next key
        errors.push(err);
      }
    }
    if (errors.length) throw errors[0];
  }

  // Nothing without a locker: its setup appends what the device holds then.
  async #appendToLocker(entries: LockerEntry[]): Promise<void> {
    const publicKey = await this.#locker();
    if (publicKey && entries.length) await this.#append(publicKey, entries);
  }

  async #appendAllHeld(): Promise<void> {
    const publicKey = await this.#locker();
    if (publicKey) await this.#append(publicKey, await this.#held());
  }

  /** Every history key this device holds, as locker entries. */
  async #held(): Promise<LockerEntry[]> {
    const hks = historyKeysOf(this.#keyStore);
    const entries: LockerEntry[] = [];
    for (const channelId of await hks.channels()) {
      for (const k of await hks.ofChannel(channelId)) entries.push({ channelId, generation: k.generation, epoch: BigInt(k.epoch), hk: k.key });
    }
    return entries;
  }

  // Seal the keys in per-channel-generation batches and append them, in requests the server takes.
  // A channel the user has left is refused by the server (forbidden): its batch is dropped.
  async #append(publicKey: Uint8Array, keys: LockerEntry[]): Promise<void> {
    for (const chunk of appendChunks(await sealBatches(publicKey, this.#owner, keys))) {
      try {
        await this.#api.call("appendLockerEntries", { body: { entries: chunk } });
      } catch (err) {
        if (!(err instanceof ParleyError && err.code === "forbidden")) throw err;
        // One of the chunk's channels is no longer the user's: append the others one by one.
        for (const entry of chunk) await this.#api.call("appendLockerEntries", { body: { entries: [entry] } }).catch(() => undefined);
      }
    }
  }

  /**
   * The user's notification keywords sealed to this locker (base64, for `keywordsSealed` in the
   * notification settings); null for an empty list. Throws `bad_request` when the user has no
   * locker yet: keywords are never stored in the clear.
   */
  async sealKeywords(keywords: readonly string[]): Promise<string | null> {
    if (!keywords.length) return null;
    const publicKey = await this.#locker();
    if (!publicKey)
      throw new ParleyError({
        code: "bad_request",
        message: "set up your key locker (Security) before saving keywords: they are stored sealed to it, never in the clear",
      });
    return bytesToBase64(await sealKeywords(publicKey, this.#owner, keywords));
  }

  /** Open `keywordsSealed` of the settings; undefined when this device cannot (it does not hold the locker key, or the value is not this user's). */
  async openKeywords(sealed: string | null): Promise<string[] | undefined> {
    if (sealed === null) return [];
    const privateKey = await this.#keyStore.get(PRIVATE);
    if (!privateKey) return undefined;
    return openKeywords(privateKey, this.#owner, base64ToBytes(sealed));
  }

  #locker(): Promise<Uint8Array | null> {
    if (this.#publicKey === null && Date.now() - this.#noLockerSince > NO_LOCKER_RECHECK_MS) this.#publicKey = undefined;
    if (this.#publicKey !== undefined) return Promise.resolve(this.#publicKey);
    this.#lookup ??= this.#api
      .call("getLocker")
      .then(
        (l: Locker) => base64ToBytes(l.publicKey),
        (err: unknown) => {
          if (err instanceof ParleyError && err.code === "not_found") return null;
          throw err;
        },
      )
      .then((pk) => {
        if (pk === null) this.#noLockerSince = Date.now();
        return (this.#publicKey = pk);
      })
      .finally(() => {
        this.#lookup = undefined;
      });
    return this.#lookup;
  }
}

/** One sealed batch as the locker and archive routes take it. */
interface SealedBatch {
  channelId: string;
  generation: number;
  fromEpoch: number;
  toEpoch: number;
  sealed: string;
}

/**
 * History keys sealed to `publicKey` (the user's locker, or the org's archive key) in batches of
 * one channel generation each, at most 1,000 keys a batch.
 */
export async function sealBatches(publicKey: Uint8Array, owner: LockerOwner, keys: readonly LockerEntry[]): Promise<SealedBatch[]> {
  const runs = new Map<string, LockerEntry[]>();
  for (const entry of keys) {
    const k = `${entry.channelId}/${entry.generation}`;
    let run = runs.get(k);
    if (!run) runs.set(k, (run = []));
    run.push(entry);
  }
  const batches: LockerEntry[][] = [];
  for (const run of runs.values()) for (let i = 0; i < run.length; i += KEYS_PER_BATCH) batches.push(run.slice(i, i + KEYS_PER_BATCH));
  return Promise.all(
    batches.map(async (entries) => {
      const meta = lockerBatchMeta(entries);
      return {
        channelId: meta.channelId!,
        generation: meta.generation!,
        fromEpoch: Number(meta.fromEpoch),
        toEpoch: Number(meta.toEpoch),
        sealed: bytesToBase64(await sealLockerBatch(publicKey, owner, entries, meta)),
      };
    }),
  );
}

/** Entries in appends the server takes: at most 500 each, and bodies well under the request size limit. */
export function appendChunks<T extends { sealed: string }>(entries: T[]): T[][] {
  const chunks: T[][] = [];
  let current: T[] = [];
  let bytes = 0;
  for (const e of entries) {
    if (current.length && (current.length >= LOCKER_LIMITS.entriesPerAppend || bytes + e.sealed.length > APPEND_BODY_BYTES)) {
      chunks.push(current);
      current = [];
      bytes = 0;
    }
    current.push(e);
    bytes += e.sealed.length + 200;
  }
  if (current.length) chunks.push(current);
  return chunks;
}

/** Whether `err` says a recovery key was mistyped or is not this user's. */
export function isRecoveryKeyError(err: unknown): boolean {
  return isE2eeError(err, "recovery_key_invalid") || isE2eeError(err, "recovery_key_wrong");
}
