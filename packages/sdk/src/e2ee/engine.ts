/**
 * The client E2EE engine of one device: sets the device up (identity,
 * directory registration, KeyPackages), keeps one MLS group per channel,
 * encrypts sends, processes each channel's timeline in order, and reacts to
 * the per-user stream (Welcomes, low KeyPackage supply, leaving a channel).
 * The {@link ParleyClient} drives it; apps use it through the client.
 */
import {
  encrypt, epoch, hasPendingProposals, identityForSuite, isActive, isE2eeError, members, MemoryKeyStore, selfUpdate, type DeviceIdentity, type KeyStore, type LeafPolicy,
  type SuiteName,
} from "@parley/crypto";
import type { Event, UserStreamItem } from "@parley/protocol";
import type { Api } from "../http.ts";
import type { LocalStore } from "../store.ts";
import { DecryptedHistory } from "./history.ts";
import type { DecodedContent, MessageContent } from "../codec.ts";
import { ChannelCrypto } from "./channel-state.ts";
import { deviceIdentity, registerDevice, replenishKeyPackages, type KeyPackageSupply } from "./device.ts";
import { DeviceDirectory } from "./directory.ts";
import {
  addMissingDevices, commitProposals, commitWithRetry, ensureGroup, joinByExternalCommit, joinFromWelcomeItem, requestReset, type GroupContext,
} from "./group-ops.ts";
import { SelfUpdates, type SelfUpdatePolicy } from "./self-update.ts";
import { SaveSchedule, type PersistPolicy } from "./persist.ts";
import { sealPayload, type SealedMeta } from "./payload.ts";
import { E2eeServerApi, type E2eeConfig } from "./server-api.ts";
import { backoffDelay } from "../backoff.ts";
import { parseReset, processEvent, type Step, type UndecryptableReason } from "./timeline.ts";

/** An event that can never be decrypted on this device. */
export interface UndecryptableNotice {
  channelId: string;
  seq: number;
  senderId: string;
  senderDeviceId: string;
  reason: UndecryptableReason;
  message: string;
}

/** Events before `beforeSeq` belong to epochs before this device joined: it never had their keys. */
export interface HistoryUnavailableNotice {
  channelId: string;
  beforeSeq: number;
}

/** E2EE settings of a client. */
export interface E2eeOptions {
  /** Where the device identity, KeyPackages and group states live (default: a new MemoryKeyStore — nothing survives the process). */
  keyStore?: KeyStore;
  /** KeyPackage supply. */
  keyPackages?: KeyPackageSupply;
  /** How long to wait for a Welcome before joining a group by external commit (default 3000 ms). */
  joinWaitMs?: number;
  /** Commit attempts after `stale_epoch` before giving up (default 8). */
  maxCommitAttempts?: number;
  /** When this device rotates its leaf keys in each group (post-compromise security). */
  selfUpdate?: SelfUpdatePolicy;
  /** The clock the schedules read (default Date.now; tests pass a fake one). */
  now?: () => number;
  /** How often group states are saved while messages flow (default: every 256 messages or 1 s; see {@link PersistPolicy}). */
  persist?: PersistPolicy;
}

/** What the engine needs from the client. */
export interface E2eeHost {
  api: Api;
  session: { orgId: string; userId: string; deviceId: string };
  /** Where the sealed decrypted history and own sends' plaintext are kept. */
  store: LocalStore;
  /** Events of a channel with `after` < seq <= `upTo`, in seq order (from the local store, else the server). */
  backfill(channelId: string, after: number, upTo: number): Promise<Event[]>;
  /** Fetch the channel's timeline up to now and wait until it went through {@link E2eeEngine.receive}. */
  catchUp(channelId: string): Promise<void>;
  deliver(e: Event, content: DecodedContent): void;
  undecryptable(n: UndecryptableNotice): void;
  historyUnavailable(n: HistoryUnavailableNotice): void;
  onError(err: unknown): void;
}

const CACHE_MAX = 5000;

function undecryptableContent(step: { reason: string; message: string }): DecodedContent {
  return { decodeError: `${step.reason}: ${step.message}`, decodeReason: step.reason };
}

/** One device's MLS state across channels. */
export class E2eeEngine {
  /** The device's identity (one Ed25519 key for every suite; its `suite` is the one it was first registered with). */
  readonly identity: DeviceIdentity;
  readonly directory: DeviceDirectory;
  readonly server: E2eeServerApi;
  readonly #host: E2eeHost;
  readonly #ctx: GroupContext & { config: E2eeConfig };
  readonly #identityFor = (suite: SuiteName) => this.identityFor(suite);
  readonly #channels = new Map<string, ChannelCrypto>();
  readonly #sent = new Map<string, MessageContent>();
  readonly #decoded = new Map<string, DecodedContent>();
  /** Sealed, persisted copy of what this device decrypted and sent (history across restarts). */
  readonly history: DecryptedHistory;
  readonly #supply: KeyPackageSupply;
  readonly #identities = new Map<SuiteName, DeviceIdentity>();
  #config: E2eeConfig;
  readonly #selfUpdates: SelfUpdates;
  readonly #saves: SaveSchedule;
  #refreshing: Promise<E2eeConfig> | undefined;
  #closed = false;

  /**
   * Set the device up: fetch the org's E2EE config, load or create the identity,
   * register it, upload KeyPackages of the org's current suite. An identity made
   * under another suite is kept (one Ed25519 key serves every suite).
   */
  static async start(host: E2eeHost, opts: E2eeOptions = {}): Promise<E2eeEngine> {
    const server = new E2eeServerApi(host.api);
    const config = await server.config();
    const keyStore = opts.keyStore ?? new MemoryKeyStore();
    const { identity } = await deviceIdentity(keyStore, host.session, config.suite);
    // Keep the supply above the server's low-water mark, or every claim would trigger a warning.
    const supply = { target: Math.max(opts.keyPackages?.target ?? 30, config.keyPackageLowWater + 1) };
    await registerDevice(server, identity, identityForSuite(identity, config.suite), supply);
    return new E2eeEngine(host, server, config, identity, { ...opts, keyPackages: supply });
  }

  /** The org's E2EE config as last fetched: `suite` is the one new groups use (existing channels keep theirs). */
  get config(): E2eeConfig {
    return this.#config;
  }

  /** This device's identity for groups and KeyPackages of `suite` (the same key and binding). */
  identityFor(suite: SuiteName): DeviceIdentity {
    let id = this.#identities.get(suite);
    if (!id) this.#identities.set(suite, (id = identityForSuite(this.identity, suite)));
    return id;
  }

  /**
   * Fetch the org's E2EE config again; when its suite changed, new groups use the
   * new one and this device uploads KeyPackages of it (so it can be added to new
   * groups). Called when the connection goes live and on "keypackages.low".
   * Never touches the identity or existing groups.
   */
  refreshConfig(): Promise<E2eeConfig> {
    this.#refreshing ??= (async () => {
      const next = await this.server.config();
      const changed = next.suite !== this.#config.suite;
      this.#config = next;
      this.#ctx.config = next;
      if (changed) await replenishKeyPackages(this.server, this.identityFor(next.suite), this.#supply);
      return next;
    })().finally(() => { this.#refreshing = undefined; });
    return this.#refreshing;
  }

  private constructor(host: E2eeHost, server: E2eeServerApi, config: E2eeConfig, identity: DeviceIdentity, opts: E2eeOptions) {
    this.#host = host;
    this.server = server;
    this.#config = config;
    this.identity = identity;
    this.#supply = opts.keyPackages ?? {};
    this.directory = new DeviceDirectory(server, identity.orgId, config.directoryKey);
    this.history = new DecryptedHistory(host.store, identity.keyStore);
    this.#saves = new SaveSchedule(opts.persist ?? {}, identity.keyStore, (err) => host.onError(err));
    const policy: LeafPolicy = {
      authorizeLeaf: this.directory.authorizeLeaf,
      authorizeExternalSender: this.directory.authorizeExternalSender(config.externalSender.signaturePublicKey),
    };
    this.#ctx = {
      api: host.api, server, keyStore: identity.keyStore, identity, identityFor: (s) => this.identityFor(s), directory: this.directory, config, policy,
      refreshConfig: () => this.refreshConfig(),
      catchUp: (id) => host.catchUp(id), resume: (ch) => this.#pump(ch),
      maxCommitAttempts: opts.maxCommitAttempts ?? 8, joinWaitMs: opts.joinWaitMs ?? 3000,
      closed: () => this.#closed,
      now: opts.now ?? Date.now,
      renewed: (ch) => this.#selfUpdates.renewed(ch),
    };
    this.#selfUpdates = new SelfUpdates(opts.selfUpdate ?? {}, this.#ctx.now, (ch) => this.#selfUpdate(ch), () => this.#channels.values());
  }

  #channel(channelId: string): ChannelCrypto {
    let ch = this.#channels.get(channelId);
    // The local store holds the sealed history: flushed before every save of a group state.
    if (!ch) this.#channels.set(channelId, (ch = new ChannelCrypto(channelId, { beforeSave: () => this.#host.store.flush() })));
    return ch;
  }

  /** Encrypt content for a channel (creating or joining its group first if needed). */
  async encrypt(channelId: string, content: MessageContent, meta: SealedMeta & { clientId: string }): Promise<{ bytes: Uint8Array; epoch: number }> {
    const ch = this.#channel(channelId);
    // MLS cannot decrypt one's own messages: keep the plaintext for the echo, persisted
    // (sealed) first so an echo processed after a restart still shows the message.
    this.#sent.set(meta.clientId, content);
    await this.history.putSent(channelId, meta.clientId, content);
    for (;;) {
      await ensureGroup(this.#ctx, ch);
      const out = await ch.exclusive(async () => {
        const g = ch.group;
        if (!g) return undefined;
        if (hasPendingProposals(g)) return "proposals" as const; // MLS forbids sending before they are committed
        // The state is saved per batch, so the generation this send uses must be reserved
        // durably before its ciphertext exists (never reused after a crash; send-journal.ts).
        await ch.sendJournal.beforeSend(g, this.identity.keyStore);
        const bytes = await encrypt(g, sealPayload(content, meta));
        ch.messagesSinceUpdate++;
        await this.#saves.changed(ch);
        return { bytes, epoch: Number(epoch(g)) };
      });
      if (out === "proposals") await commitProposals(this.#ctx, ch);
      else if (out) {
        this.#selfUpdates.check(ch);
        return out;
      }
    }
  }

  /** The content of this device's own send `clientId` (kept sealed until its echo is processed), to encrypt it again after a reset. */
  async sentContent(channelId: string, clientId: string): Promise<MessageContent | undefined> {
    return this.#sent.get(clientId) ?? await this.history.getSent(channelId, clientId);
  }

  /** Timeline events of a channel, in seq order (from the sync engine). */
  async receive(channelId: string, events: Event[]): Promise<void> {
    const ch = this.#channel(channelId);
    await ch.load(this.identity.keyStore, this.#identityFor, this.#ctx.policy);
    for (const e of events) {
      if (e.seq <= ch.lastSeq) continue;
      ch.lastSeq = e.seq;
      ch.queue.push(e);
    }
    if (!ch.hasSavedPosition && ch.queue.length > 0) {
      // Record where this device starts, so events still waiting (for a Welcome) when the
      // process exits are queued again on restart (resumeBacklog) although the sync cursor passed them.
      const first = ch.queue[0]!.seq - 1;
      await ch.exclusive(async () => {
        if (ch.hasSavedPosition) return;
        ch.processedSeq = Math.max(ch.processedSeq, first);
        ch.hasSavedPosition = true;
        await ch.save(this.identity.keyStore);
      });
    }
    this.#pump(ch);
  }

  /**
   * After a restart: events the sync cursor already passed but this device had
   * not processed (waiting for a Welcome or commit when the process exited) are
   * queued again, before anything newer. Call before the first {@link receive}.
   */
  async resumeBacklog(channelId: string, cursor: number): Promise<void> {
    const ch = this.#channel(channelId);
    await ch.load(this.identity.keyStore, this.#identityFor, this.#ctx.policy);
    // Without a saved position this device never processed the channel: the normal replay covers it.
    if (!ch.hasSavedPosition || ch.processedSeq >= cursor || ch.lastSeq > ch.processedSeq) return;
    const events = await this.#host.backfill(channelId, ch.processedSeq, cursor);
    await this.receive(channelId, events);
  }

  /** Per-user stream items (Welcomes, KeyPackage supply, leaving channels). */
  async onUserItems(items: UserStreamItem[]): Promise<void> {
    for (const item of items) {
      const kind: string = item.kind;
      const data = item.data as Record<string, unknown>;
      try {
        if (kind === "mls.welcome" && item.channelId && typeof data.welcomeId === "string") {
          await joinFromWelcomeItem(this.#ctx, this.#channel(item.channelId), data.welcomeId);
        } else if (kind === "keypackages.low" && (data.deviceId === undefined || data.deviceId === this.identity.deviceId)) {
          // The warning is for the org's current suite, which may just have changed (data.suite): look first.
          await this.refreshConfig();
          await replenishKeyPackages(this.server, this.identityFor(this.#config.suite), this.#supply);
        } else if (kind === "channel.left" && item.channelId) {
          const ch = this.#channel(item.channelId);
          await ch.exclusive(() => ch.drop(this.identity.keyStore));
        }
      } catch (err) {
        this.#host.onError(err);
      }
    }
  }

  /** Add the devices of `userIds` (just added to the channel over HTTP) to the channel's group. */
  async addMembers(channelId: string, userIds: string[]): Promise<void> {
    const ch = this.#channel(channelId);
    await ensureGroup(this.#ctx, ch);
    await addMissingDevices(this.#ctx, ch, userIds);
  }

  /** Make sure this device is in the channel's group (creating it for a new channel, adding every member's devices). */
  async ensureGroup(channelId: string): Promise<void> {
    await ensureGroup(this.#ctx, this.#channel(channelId));
  }

  /** Join a channel's existing group right away by external commit (a public channel just joined), or create it. */
  async join(channelId: string): Promise<void> {
    const ch = this.#channel(channelId);
    await ch.load(this.identity.keyStore, this.#identityFor, this.#ctx.policy);
    if (ch.group) return;
    if (await this.server.groupInfo(channelId)) await joinByExternalCommit(this.#ctx, ch);
    else await ensureGroup(this.#ctx, ch);
  }

  /** Join every listed channel whose group exists but lacks this device (a new device, a lost state). */
  async reconcile(channelIds: string[]): Promise<void> {
    await Promise.all(channelIds.map(async (id) => {
      const ch = this.#channel(id);
      await ch.load(this.identity.keyStore, this.#identityFor, this.#ctx.policy);
      if (ch.group || ch.removed || ch.joining) return;
      try {
        if (!(await this.server.groupInfo(id))) return;
      } catch (err) {
        this.#host.onError(err); // the next time the connection goes live tries again
        return;
      }
      this.#rejoin(ch);
      await ch.rejoining;
    }));
  }

  /** The current epoch of a channel's group on this device, or undefined. */
  epochOf(channelId: string): number | undefined {
    const g = this.#channels.get(channelId)?.group;
    return g ? Number(epoch(g)) : undefined;
  }

  /** Device leaves of a channel's group as this device sees them, or undefined without a group. */
  members(channelId: string): { userId: string; deviceId: string }[] | undefined {
    const g = this.#channels.get(channelId)?.group;
    return g ? members(g).map((m) => ({ userId: m.userId, deviceId: m.deviceId })) : undefined;
  }

  /**
   * Content decrypted earlier for an event (MLS keys are single-use, so history
   * is served from here: memory, then the sealed history in the local store).
   * Events from before this device joined get `decodeReason: "history_unavailable"`.
   */
  async decoded(e: Event): Promise<DecodedContent> {
    // MLS handshakes carry no app content (and are public messages): nothing to show, nothing missing.
    if (e.kind === "commit" || e.kind === "proposal") return {};
    if (e.kind === "reset") {
      const info = parseReset(e);
      return info ? { reset: info } : { decodeError: "a reset event without a readable generation", decodeReason: "malformed" };
    }
    const hit = this.#decoded.get(e.id) ?? await this.history.get(e);
    if (hit) return hit;
    const ch = this.#channel(e.channelId);
    await ch.load(this.identity.keyStore, this.#identityFor, this.#ctx.policy);
    if ((ch.group || ch.hasSavedPosition) && ch.isBefore(e)) {
      return { decodeError: "sent before this device joined the channel's encryption group", decodeReason: "history_unavailable" };
    }
    return { decodeError: "not decrypted on this device (not yet received in order, or dropped from its history cache)", decodeReason: "not_decrypted" };
  }

  /** Resolves once no channel queue is being processed (queues waiting for a Welcome or commit stay queued). */
  async idle(): Promise<void> {
    for (;;) {
      const busy = [...this.#channels.values()].map((c) => c.pumping).filter(Boolean);
      if (busy.length === 0) return;
      await Promise.all(busy);
    }
  }

  /**
   * Rotate this device's leaf keys in a channel's group now (an MLS commit with an
   * UpdatePath; any pending removals go with it). The schedule does this on its own.
   */
  async selfUpdate(channelId: string): Promise<void> {
    const ch = this.#channel(channelId);
    await ensureGroup(this.#ctx, ch);
    await this.#selfUpdate(ch);
  }

  #selfUpdate(ch: ChannelCrypto): Promise<void> {
    return commitWithRetry(this.#ctx, ch, (g) => ch.exclusive(() => (ch.group === g && isActive(g) ? selfUpdate(g) : undefined))).then(() => undefined);
  }

  /** Stop timers and processing, and save every group state with unsaved changes. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#selfUpdates.stop();
    for (const ch of this.#channels.values()) ch.close();
    await this.idle(); // a running drain stops after its current event
    await this.#saves.close(this.#channels.values());
  }

  #pump(ch: ChannelCrypto): void {
    if (ch.pumping) {
      ch.rerun = true;
      return;
    }
    ch.pumping = (async () => {
      do {
        ch.rerun = false;
        await this.#drain(ch).catch((err: unknown) => {
          // A local failure (the key store, the history store): the event stays at the head of the queue.
          this.#host.onError(err);
          this.#retryLater(ch);
        });
      } while (ch.rerun && !this.#closed);
      this.#flushHistory(ch);
    })().finally(() => { ch.pumping = undefined; });
  }

  async #drain(ch: ChannelCrypto): Promise<void> {
    const ks = this.identity.keyStore;
    while (ch.queue.length > 0 && !this.#closed) {
      const e = ch.queue[0]!;
      const step = await ch.exclusive(async () => {
        // A retry after a failed write reuses the outcome (processing spent the message key); it was shown already.
        const again = ch.head?.seq === e.seq;
        const s = again ? ch.head!.step : await this.#process(ch, e);
        if (s.t === "wait" || s.t === "retry") return s;
        if (!again) {
          ch.head = { seq: e.seq, step: s };
          // Shown, then sealed: whatever the history holds was shown, so after a crash what is found
          // there is not shown again (#process). A crash in between shows it twice, never zero times.
          this.#emit(ch, e, s);
        }
        // The message key is gone once the group state is saved: keep the plaintext first.
        if (s.t === "content") await this.history.put(e, s.content);
        else if (s.t === "undecryptable") await this.history.put(e, undecryptableContent(s));
        ch.processedSeq = e.seq;
        if (s.t === "handshake" && s.removedSelf) await ch.drop(ks);
        else if (s.t === "reset") await ch.resetTo(s.info.generation, ks);
        else if (s.t === "joined") {
          ch.adopt(s.group, s.epoch, this.#ctx.now());
          ch.pendingJoin = undefined;
          await ch.save(ks);
        }
        // Handshakes change the epoch or membership (and are rare): saved at once. Messages per batch.
        else if (s.t === "handshake") await ch.save(ks);
        else await this.#saves.changed(ch);
        return s;
      });
      if (step.t === "wait") {
        this.#blocked(ch, e.seq);
        return;
      }
      if (step.t === "retry") {
        this.#retryLater(ch);
        return;
      }
      ch.retryAttempt = 0;
      ch.head = undefined;
      ch.queue.shift();
      if (step.t === "content" && e.senderDeviceId === this.identity.deviceId) await this.history.removeSent(e.clientId);
    }
  }

  /**
   * Process one event. After a crash, events after the last saved position come again
   * and are processed from the older state; those already sealed in the history were
   * shown before (#drain shows an event before sealing it): processing them again only
   * advances the group (it consumes their keys as the lost state had), and they are not
   * reported a second time.
   */
  async #process(ch: ChannelCrypto, e: Event): Promise<Step> {
    const kind: string = e.kind;
    const known = kind !== "commit" && kind !== "proposal" && await this.history.has(e);
    const own = e.senderDeviceId === this.identity.deviceId;
    if (known && own) {
      await this.history.removeSent(e.clientId); // the echo was processed: its plaintext copy may still be kept
      return { t: "skip" }; // own messages never touch the group state
    }
    const s = await processEvent({ deviceId: this.identity.deviceId, takeSent: (id) => this.#takeSent(ch.id, id) }, ch, e);
    return known && s.t !== "wait" && s.t !== "retry" ? { t: "skip" } : s;
  }

  #emit(ch: ChannelCrypto, e: Event, step: Step): void {
    if (step.t === "history") {
      ch.historyUntil = e.seq;
      return;
    }
    if (step.t === "reset") {
      this.#flushHistory(ch);
      this.#host.deliver(e, { reset: step.info });
      // Every member's device races to create the new group (the first init wins, the others get its
      // Welcome); a moment of jitter spreads the race.
      const t = setTimeout(() => { if (!this.#closed && !ch.group) this.#rejoin(ch); }, Math.floor(Math.random() * 300));
      t.unref?.();
      return;
    }
    this.#flushHistory(ch);
    if (step.t === "content") {
      this.#remember(e.id, step.content);
      this.#host.deliver(e, step.content);
      if (e.senderDeviceId !== this.identity.deviceId) this.#selfUpdates.counted(ch);
    } else if (step.t === "undecryptable") {
      const content = undecryptableContent(step);
      this.#remember(e.id, content);
      this.#host.deliver(e, content);
      this.#host.undecryptable({ channelId: e.channelId, seq: e.seq, senderId: e.senderId, senderDeviceId: e.senderDeviceId, reason: step.reason, message: step.message });
    } else if (step.t === "handshake" && step.hasProposals) {
      this.#scheduleProposalCommit(ch);
    }
  }

  #flushHistory(ch: ChannelCrypto): void {
    if (!ch.historyUntil) return;
    this.#host.historyUnavailable({ channelId: ch.id, beforeSeq: ch.historyUntil + 1 });
    ch.historyUntil = 0;
  }

  #remember(eventId: string, content: DecodedContent): void {
    this.#decoded.set(eventId, content);
    if (this.#decoded.size > CACHE_MAX) this.#decoded.delete(this.#decoded.keys().next().value!);
  }

  async #takeSent(channelId: string, clientId: string): Promise<DecodedContent | undefined> {
    const c = this.#sent.get(clientId) ?? await this.history.getSent(channelId, clientId);
    this.#sent.delete(clientId);
    return c;
  }

  // A queue that stays blocked means the Welcome never came (no KeyPackage was left for this
  // device, or its adder crashed) or a commit could not be applied: join by external commit.
  #blocked(ch: ChannelCrypto, seq: number): void {
    ch.blockedOn = seq;
    if (ch.joinTimer || this.#closed) return;
    ch.joinTimer = setTimeout(() => {
      ch.joinTimer = undefined;
      if (ch.blockedOn !== seq || ch.queue[0]?.seq !== seq || this.#closed) return;
      // A join, a rejoin or the Welcome is on its way: look again later.
      if (ch.joining || ch.rejoining || ch.welcomesInFlight > 0) return this.#blocked(ch, seq);
      this.#rejoin(ch, seq);
    }, this.#ctx.joinWaitMs);
    ch.joinTimer.unref?.();
  }

  // This device has no usable group for the channel's current generation: create it (after a
  // reset) or join it; with a group it cannot follow, rejoin by external commit. A group that
  // is cryptographically broken — its GroupInfo or tree does not verify, or another MLS engine
  // made it — can be neither followed nor rejoined: ask the server for a new one.
  #rejoin(ch: ChannelCrypto, blockedSeq?: number): void {
    if (ch.rejoining || this.#closed) return;
    ch.rejoining = (async () => {
      try {
        if (ch.group) await joinByExternalCommit(this.#ctx, ch);
        else await ensureGroup(this.#ctx, ch);
      } catch (err) {
        this.#host.onError(err);
        const broken = isE2eeError(err, "invalid_message") || isE2eeError(err, "engine_mismatch");
        if (broken && !ch.removed) await requestReset(this.#ctx, ch, isE2eeError(err, "engine_mismatch") ? "engine_upgrade" : "unrecoverable").catch((e: unknown) => this.#host.onError(e));
        if (blockedSeq !== undefined) this.#blocked(ch, blockedSeq); // still blocked: try again later
      }
    })().finally(() => { ch.rejoining = undefined; });
  }

  // A check the event needs could not be made (the directory did not answer): it is neither
  // readable nor tampered yet. Try the same event again, backing off up to 30 s, for as long
  // as it takes; the rest of the channel waits behind it, as it must (order is the epoch chain).
  #retryLater(ch: ChannelCrypto): void {
    if (ch.retryTimer || this.#closed) return;
    ch.retryTimer = setTimeout(() => {
      ch.retryTimer = undefined;
      this.#pump(ch);
    }, backoffDelay(ch.retryAttempt++, { initialMs: 200, maxMs: 30_000 }));
    ch.retryTimer.unref?.();
  }

  #scheduleProposalCommit(ch: ChannelCrypto): void {
    if (ch.proposalTimer || this.#closed) return;
    // Every member races to commit the server's proposals; a small random delay keeps most from trying at once.
    ch.proposalTimer = setTimeout(() => {
      ch.proposalTimer = undefined;
      commitProposals(this.#ctx, ch).catch((err: unknown) => this.#host.onError(err));
    }, 20 + Math.floor(Math.random() * 150));
    ch.proposalTimer.unref?.();
  }
}
