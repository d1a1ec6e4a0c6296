/**
 * The org's compliance archive from a device (issue 11, ADR 0008). The device fetches the signed
 * archive policy (at start, on `archive.policy` items, when a channel's kind, labels or
 * membership change) and judges it (archive-policy.ts): it pins the signer key and the highest
 * version in its key store, works out itself which channels the policy covers and compares with
 * the server's list. A channel whose status does not hold up takes no sends (the client asks
 * {@link ComplianceArchive.check}) and the app is told. For every archived channel it seals the
 * history keys it learns to the archive key — one more recipient of the key locker's batches —
 * and, when a channel becomes archived, every key it already holds for it.
 */
import type { KeyStore, LockerEntry, LockerOwner } from "@parley/crypto";
import type { SignedArchivePolicy } from "@parley/protocol";
import { base64ToBytes } from "../codec.ts";
import { ParleyError } from "../errors.ts";
import type { ChannelFacts } from "../history-policies.ts";
import type { Api } from "../http.ts";
import { historyKeysOf } from "./history-keys.ts";
import { appendChunks, sealBatches, type HistoryKeyRecipient } from "./locker.ts";
import {
  channelStatus,
  judgePolicy,
  mismatchedChannels,
  type AcceptedPolicy,
  type ArchivePolicyProblem,
  type ArchiveStatus,
  type ArchiveStatusNotice,
} from "./archive-policy.ts";
import type { ArchiveScope } from "@parley/crypto";

/** The last accepted policy (JSON of {@link AcceptedPolicy}): its signer key and version are the pins. */
const POLICY = "sdk/archive/policy";
/** Channels whose held history keys were sealed to the archive, with the archive key (JSON: channelId -> key). */
const SEALED = "sdk/archive/sealed";
const REFRESH_DELAY_MS = 200;
const CHECK_WAIT_MS = 5000;

interface Judged {
  claimed: Set<string>;
  problem?: (ArchivePolicyProblem & { scope?: ArchiveScope }) | undefined;
  mismatched: Set<string>;
}

interface Target {
  archiveKey: Uint8Array;
  keyText: string;
  version: number;
}

function waitAtMost(p: Promise<unknown>, ms: number): Promise<unknown> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return Promise.race([p, new Promise((r) => (timer = setTimeout(r, ms)))]).finally(() => clearTimeout(timer));
}

const isCode = (err: unknown, code: string) => err instanceof ParleyError && err.code === code;
const json = (v: unknown) => new TextEncoder().encode(JSON.stringify(v));
const parse = <T>(b: Uint8Array | undefined): T | undefined => (b ? (JSON.parse(new TextDecoder().decode(b)) as T) : undefined);

/** The compliance archive as one device sees and feeds it. */
export class ComplianceArchive implements HistoryKeyRecipient {
  readonly #api: Api;
  readonly #keyStore: KeyStore;
  readonly #owner: LockerOwner;
  readonly #facts: (channelId: string, fresh?: boolean) => Promise<ChannelFacts | undefined>;
  readonly #known: () => ChannelFacts[];
  readonly #onStatus: (n: ArchiveStatusNotice) => void;
  readonly #onError: (err: unknown) => void;
  #accepted: AcceptedPolicy | undefined;
  #loaded: Promise<void> | undefined;
  #judged: Judged | undefined;
  #running: Promise<void> | undefined;
  #queued: Promise<void> | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #sealing: Promise<void> = Promise.resolve();
  #sealed: Promise<Record<string, string>> | undefined;
  #sealedWrites: Promise<unknown> = Promise.resolve();
  #lastNotice = "";

  constructor(opts: {
    api: Api;
    keyStore: KeyStore;
    owner: LockerOwner;
    /** A channel's kind, labels and membership (looked up when not known, or when `fresh`). */
    facts: (channelId: string, fresh?: boolean) => Promise<ChannelFacts | undefined>;
    /** Every channel whose facts are known. */
    known: () => ChannelFacts[];
    onStatus: (n: ArchiveStatusNotice) => void;
    onError: (err: unknown) => void;
  }) {
    this.#api = opts.api;
    this.#keyStore = opts.keyStore;
    this.#owner = opts.owner;
    this.#facts = opts.facts;
    this.#known = opts.known;
    this.#onStatus = opts.onStatus;
    this.#onError = opts.onError;
  }

  /** A channel's status as last checked (not archived, with no problem, before the first check). */
  status(channelId: string): ArchiveStatus {
    return channelStatus(channelId, this.#knownFacts().get(channelId), this.#accepted, this.#judged);
  }

  /** Every known channel's status. */
  statuses(): Record<string, ArchiveStatus> {
    const out: Record<string, ArchiveStatus> = {};
    const known = this.#knownFacts();
    for (const id of new Set([...known.keys(), ...(this.#judged?.claimed ?? [])])) out[id] = channelStatus(id, known.get(id), this.#accepted, this.#judged);
    return out;
  }

  /**
   * Refuse a send in a channel whose archive status does not hold up: ParleyError
   * `archive_mismatch` saying why. Waits (at most 5 s) for a check in progress; without any
   * (offline at start) tries once, and lets the send go when the server cannot be asked.
   */
  async check(channelId: string): Promise<void> {
    const pending = !this.#judged || this.#timer ? this.refresh() : (this.#queued ?? this.#running);
    // A send waits a little for a check under way (a channel just joined), never for a server that does not answer.
    if (pending)
      await waitAtMost(
        pending.catch(() => undefined),
        CHECK_WAIT_MS,
      );
    const st = channelStatus(channelId, await this.#facts(channelId), this.#accepted, this.#judged);
    if (st.problem) {
      throw new ParleyError({
        code: "archive_mismatch",
        message: `sending is blocked in this channel: ${st.problem.message}`,
        details: { channelId, problem: st.problem.code },
      });
    }
  }

  /** Fetch and check the policy now (one check at a time; a request during one runs after it). */
  refresh(): Promise<void> {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#running) {
      this.#queued ??= this.#running
        .catch(() => undefined)
        .then(() => {
          this.#queued = undefined;
          return this.refresh();
        });
      return this.#queued;
    }
    this.#running = this.#run().finally(() => {
      this.#running = undefined;
    });
    return this.#running;
  }

  /** Channels' kinds, labels or membership changed (or were first seen): check again shortly. */
  channelsChanged(): void {
    this.#notify();
    if (!this.#judged) return; // the first check is still to come
    this.#timer ??= setTimeout(() => {
      this.#timer = undefined;
      this.refresh().catch((err: unknown) => this.#onError(err));
    }, REFRESH_DELAY_MS);
    this.#timer.unref?.();
  }

  /** Stop the delayed check. */
  close(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  async #run(): Promise<void> {
    await this.#load();
    let judged = await this.#judge(await this.#api.call("getArchivePolicy"));
    if (judged.mismatched.size > 0) {
      // What this device knows of those channels may be stale (labels changed, a channel joined
      // or left since): read them and the server's answer again before calling it a mismatch.
      await Promise.all([...judged.mismatched].map((id) => this.#facts(id, true)));
      judged = await this.#judge(await this.#api.call("getArchivePolicy"));
    }
    this.#judged = judged;
    this.#notify();
    this.#sealing = this.#sealing.then(() => this.#sealHeld()).catch((err: unknown) => this.#onError(err));
  }

  async #judge(answer: { current: SignedArchivePolicy | null; storedAt: number | null; archivedChannelIds: string[] }): Promise<Judged> {
    const claimed = new Set(answer.archivedChannelIds);
    const verdict = judgePolicy(this.#owner.orgId, answer.current, this.#accepted);
    if (!verdict.accept) return { claimed, problem: verdict.problem, mismatched: new Set() };
    if (answer.current) {
      const next: AcceptedPolicy = { signed: answer.current, storedAt: answer.storedAt };
      if (JSON.stringify(next) !== JSON.stringify(this.#accepted)) {
        await this.#keyStore.put(POLICY, json(next));
        this.#accepted = next;
      }
    }
    const known = this.#knownFacts();
    // Channels the server claims that this device has not seen yet are looked up to be compared.
    for (const id of claimed) {
      if (known.has(id)) continue;
      const f = await this.#facts(id);
      if (f) known.set(id, f);
    }
    return { claimed, mismatched: mismatchedChannels(known.values(), this.#accepted, claimed) };
  }

  /** Seal and append the keys of archived channels (the key locker's flush calls this with every batch it seals). */
  async append(keys: LockerEntry[]): Promise<void> {
    if (!this.#judged) await this.refresh(); // a failure keeps the keys for the next flush
    const byChannel = new Map<string, LockerEntry[]>();
    for (const k of keys) {
      let run = byChannel.get(k.channelId);
      if (!run) byChannel.set(k.channelId, (run = []));
      run.push(k);
    }
    for (const [channelId, entries] of byChannel) {
      const target = await this.#target(channelId);
      if (target) await this.#upload(channelId, entries, target);
      // Not sealed (not archived, or its status does not hold up): once it is archived again, every held key goes.
      else await this.#forgetSealed(channelId);
    }
  }

  /** Where a channel's keys are sealed to: the accepted policy's archive key, if it covers the channel and nothing is wrong. */
  async #target(channelId: string): Promise<Target | undefined> {
    const accepted = this.#accepted;
    if (!accepted || !this.#judged) return undefined;
    const facts = await this.#facts(channelId);
    if (!facts?.member) return undefined;
    const st = channelStatus(channelId, facts, accepted, this.#judged);
    if (!st.archived || st.problem) return undefined;
    const p = accepted.signed.policy;
    return { archiveKey: base64ToBytes(p.archiveKey), keyText: p.archiveKey, version: p.version };
  }

  // Returns whether the server took the keys. A policy changed meanwhile (`stale_version`): check
  // it again and seal to what it names now.
  async #upload(channelId: string, entries: LockerEntry[], target: Target, retried = false): Promise<boolean> {
    const batches = await sealBatches(target.archiveKey, this.#owner, entries);
    for (const chunk of appendChunks(batches)) {
      try {
        await this.#api.call("appendArchiveKeys", {
          params: { channelId },
          body: { policyVersion: target.version, entries: chunk.map(({ channelId: _c, ...e }) => e) },
        });
      } catch (err) {
        const reason = err instanceof ParleyError ? (err.details as { reason?: string } | undefined)?.reason : undefined;
        if (isCode(err, "archive_policy_invalid") && reason === "stale_version" && !retried) {
          await this.refresh();
          const next = await this.#target(channelId);
          return next ? this.#upload(channelId, entries, next, true) : false;
        }
        // The server does not hold the channel archived: the next check compares its list with the policy.
        if (isCode(err, "not_archived")) {
          this.channelsChanged();
          return false;
        }
        if (isCode(err, "forbidden") || isCode(err, "not_found")) return false; // no longer the user's channel
        throw err;
      }
    }
    return true;
  }

  // Every history key this device holds for a channel that became archived (or whose archive key
  // changed) goes to the archive once; keys learned later go with the locker's flushes.
  async #sealHeld(): Promise<void> {
    const scope = this.#accepted?.signed.policy.scope;
    if (!scope) return;
    const sealed = await this.#sealedRecord();
    const hks = historyKeysOf(this.#keyStore);
    for (const channelId of await hks.channels()) {
      // A scope of ids alone needs no look-up of the others' kinds and labels.
      const maybe = scope.kinds.length > 0 || scope.labels.length > 0 || scope.channelIds.includes(channelId);
      const target = maybe ? await this.#target(channelId) : undefined;
      if (!target) {
        await this.#forgetSealed(channelId);
        continue;
      }
      if (sealed[channelId] === target.keyText) continue;
      const entries = (await hks.ofChannel(channelId)).map((k) => ({ channelId, generation: k.generation, epoch: BigInt(k.epoch), hk: k.key }));
      if (entries.length && !(await this.#upload(channelId, entries, target))) continue;
      sealed[channelId] = target.keyText;
      await this.#saveSealed();
    }
  }

  async #forgetSealed(channelId: string): Promise<void> {
    const sealed = await this.#sealedRecord();
    if (sealed[channelId] === undefined) return;
    delete sealed[channelId];
    await this.#saveSealed();
  }

  #sealedRecord(): Promise<Record<string, string>> {
    this.#sealed ??= this.#keyStore.get(SEALED).then((b) => parse<Record<string, string>>(b) ?? {});
    return this.#sealed;
  }

  // Writes in order, each of the record as it is then.
  #saveSealed(): Promise<void> {
    const write = this.#sealedWrites.then(async () => this.#keyStore.put(SEALED, json(await this.#sealedRecord())));
    this.#sealedWrites = write.catch(() => undefined);
    return write;
  }

  #load(): Promise<void> {
    this.#loaded ??= this.#keyStore.get(POLICY).then((b) => {
      this.#accepted ??= parse<AcceptedPolicy>(b);
    });
    return this.#loaded;
  }

  #knownFacts(): Map<string, ChannelFacts> {
    return new Map(this.#known().map((f) => [f.id, f]));
  }

  #notify(): void {
    if (!this.#judged) return;
    const notice = { statuses: this.statuses() };
    const text = JSON.stringify(notice);
    if (text === this.#lastNotice) return;
    this.#lastNotice = text;
    this.#onStatus(notice);
  }
}
