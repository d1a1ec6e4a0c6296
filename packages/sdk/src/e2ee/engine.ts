/**
 * The client E2EE engine of one device: sets the device up (identity,
 * directory registration, KeyPackages), keeps one MLS group per channel,
 * encrypts sends, processes each channel's timeline in order, and reacts to
 * the per-user stream (Welcomes, low KeyPackage supply, leaving a channel).
 * The {@link ParleyClient} drives it; apps use it through the client. The
 * timeline processing itself is pipeline.ts; what is shown again without keys,
 * content-cache.ts.
 */
import {
  callKeys,
  encrypt,
  epoch,
  hasPendingProposals,
  identityForSuite,
  isActive,
  members,
  MemoryKeyStore,
  selfUpdate,
  type CallKeys,
  type DeviceIdentity,
  type LeafPolicy,
  type SuiteName,
} from "@parley/crypto";
import type { Event, UserStreamItem } from "@parley/protocol";
import { DecryptedHistory } from "./history.ts";
import type { DecodedContent, MessageContent } from "../codec.ts";
import { ChannelCrypto } from "./channel-state.ts";
import { ContentCache } from "./content-cache.ts";
import { deviceIdentity, registerDevice, replenishKeyPackages, type KeyPackageSupply } from "./device.ts";
import { DeviceDirectory } from "./directory.ts";
import { DirectoryPins } from "./directory-trust.ts";
import { addMissingDevices, commitProposals, commitWithRetry, ensureGroup, joinByExternalCommit, joinFromWelcomeItem, type GroupContext } from "./group-ops.ts";
import type { E2eeHost, E2eeOptions, HistoryUnavailableNotice } from "./engine-types.ts";
import { SelfUpdates } from "./self-update.ts";
import { SaveSchedule } from "./persist.ts";
import { sealPayload, type SealedMeta } from "./payload.ts";
import { sealArchive } from "./history-keys.ts";
import { E2eeServerApi, type E2eeConfig } from "./server-api.ts";
import { parseReset } from "./timeline.ts";
import { TimelinePipeline, undecryptableContent } from "./pipeline.ts";
import type { ArchiveReader } from "./archive.ts";
import { hasContent, heldKeysBefore, sharedKeysContents } from "./share-keys.ts";
import type { KeyLocker } from "./locker.ts";
import type { DeviceApprovals } from "./approval.ts";
import type { ComplianceArchive } from "./compliance-archive.ts";
import { keyServices } from "./key-services.ts";

export type { E2eeHost, E2eeOptions, HistoryKeysNotice, HistoryUnavailableNotice, UndecryptableNotice } from "./engine-types.ts";

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
  readonly #shown: ContentCache;
  /** The user's key locker (history keys for every device of the user; the recovery key). */
  readonly locker: KeyLocker;
  /** Device approval (cross-signing): approve this device from another, or others from this one; which devices are trusted. */
  readonly approvals: DeviceApprovals;
  /** The org's compliance archive: the signed policy as this device checks it, and the history keys it seals to it (ADR 0008). */
  readonly archive: ComplianceArchive;
  /** Sealed, persisted copy of what this device decrypted and sent (history across restarts). */
  readonly history: DecryptedHistory;
  readonly #supply: KeyPackageSupply;
  readonly #identities = new Map<SuiteName, DeviceIdentity>();
  #config: E2eeConfig;
  readonly #selfUpdates: SelfUpdates;
  readonly #saves: SaveSchedule;
  readonly #pipeline: TimelinePipeline;
  readonly #archive: ArchiveReader;
  #refreshing: Promise<E2eeConfig> | undefined;
  #closed = false;
  /** The pinned directory key and the keys bindings verify with (directory-trust.ts). */
  readonly #pins: DirectoryPins;

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
    const engine = new E2eeEngine(host, server, config, identity, { ...opts, keyPackages: supply });
    await engine.#trustDirectory(config);
    // Before the first send: which channels the org archives, checked against its signature (offline: at the first send).
    await engine.archive.refresh().catch((err: unknown) => host.onError(err));
    return engine;
  }

  /** Apply the directory keys of a config just fetched (directory-trust.ts); a refused key is reported once. */
  async #trustDirectory(config: E2eeConfig): Promise<void> {
    const problem = await this.#pins.apply(config.directoryKeys, config.directoryKey, this.#ctx.now());
    if (problem) this.#host.onError(problem);
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
      await this.#trustDirectory(next);
      const changed = next.suite !== this.#config.suite;
      this.#config = next;
      this.#ctx.config = next;
      if (changed) await replenishKeyPackages(this.server, this.identityFor(next.suite), this.#supply);
      return next;
    })().finally(() => {
      this.#refreshing = undefined;
    });
    return this.#refreshing;
  }

  private constructor(host: E2eeHost, server: E2eeServerApi, config: E2eeConfig, identity: DeviceIdentity, opts: E2eeOptions) {
    this.#host = host;
    this.server = server;
    this.#config = config;
    this.identity = identity;
    this.#supply = opts.keyPackages ?? {};
    this.#pins = new DirectoryPins(identity.keyStore);
    this.directory = new DeviceDirectory(server, identity.orgId, {
      current: () => this.#pins.verifiers,
      refresh: () => this.refreshConfig(),
    });
    this.history = new DecryptedHistory(host.store, identity.keyStore);
    this.#shown = new ContentCache(this.history);
    this.#saves = new SaveSchedule(opts.persist ?? {}, identity.keyStore, (err) => host.onError(err));
    const policy: LeafPolicy = {
      authorizeLeaf: this.directory.authorizeLeaf,
      authorizeExternalSender: this.directory.authorizeExternalSender(config.externalSender.signaturePublicKey),
    };
    this.#ctx = {
      api: host.api,
      server,
      keyStore: identity.keyStore,
      identity,
      identityFor: (s) => this.identityFor(s),
      directory: this.directory,
      config,
      policy,
      refreshConfig: () => this.refreshConfig(),
      catchUp: (id) => host.catchUp(id),
      resume: (ch) => this.#pipeline.pump(ch),
      maxCommitAttempts: opts.maxCommitAttempts ?? 8,
      joinWaitMs: opts.joinWaitMs ?? 3000,
      closed: () => this.#closed,
      now: opts.now ?? Date.now,
      renewed: (ch) => this.#selfUpdates.renewed(ch),
      shareKeys: (ch, how) => this.#shareKeys(ch, how),
    };
    this.#selfUpdates = new SelfUpdates(
      opts.selfUpdate ?? {},
      this.#ctx.now,
      (ch) => this.#selfUpdate(ch),
      () => this.#channels.values(),
    );
    const keys = keyServices(host, identity, this.directory, opts);
    this.locker = keys.locker;
    this.approvals = keys.approvals;
    this.archive = keys.archive;
    this.#archive = keys.archiveReader;
    // History this device has no key for may be in the user's locker by now: look again.
    const pipelineHost = Object.assign(Object.create(host) as E2eeHost, {
      historyUnavailable: (n: HistoryUnavailableNotice) => {
        host.historyUnavailable(n);
        this.locker.catchUp();
      },
    });
    this.#pipeline = new TimelinePipeline(this.#ctx, pipelineHost, {
      history: this.history,
      shown: this.#shown,
      saves: this.#saves,
      selfUpdates: this.#selfUpdates,
      archive: this.#archive,
      shareKeys: (ch, how) => this.#shareKeys(ch, how),
    });
  }

  // Hand a `shared` channel's past history keys to the users a commit just brought in: every key
  // this device holds for earlier epochs, in `keys` events of the current epoch (share-keys.ts).
  // Users added by this device's own commit (a person chose to add them) get them; a user who joined
  // by themselves only in a public channel (a private one takes no self-joins: an external join of
  // a new user there is not answered with the channel's past).
  #shareKeys(ch: ChannelCrypto, how: "added" | "joined"): void {
    void (async () => {
      if ((await this.#host.historyPolicy(ch.id)) !== "shared") return;
      if (how === "joined" && !this.#host.isPublicChannel(ch.id)) return;
      const g = ch.group;
      if (!g || this.#closed || !(await hasContent(this.#host.api, ch.id))) return;
      const keys = await heldKeysBefore(this.identity.keyStore, ch.id, ch.generation, Number(epoch(g)));
      for (const content of sharedKeysContents(keys)) await this.#host.sendKeys(ch.id, content);
    })().catch((err: unknown) => this.#host.onError(err));
  }

  #channel(channelId: string): ChannelCrypto {
    let ch = this.#channels.get(channelId);
    // The local store holds the sealed history: flushed before every save of a group state.
    if (!ch) {
      ch = new ChannelCrypto(channelId, {
        beforeSave: () => this.#host.store.flush(),
        forgetSent: async (clientIds) => {
          for (const id of clientIds) await this.history.removeSent(id);
        },
      });
      this.#channels.set(channelId, ch);
    }
    return ch;
  }

  /** Encrypt content for a channel (creating or joining its group first if needed). */
  async encrypt(
    channelId: string,
    content: MessageContent,
    meta: SealedMeta & { clientId: string; archive?: boolean | undefined },
  ): Promise<{ bytes: Uint8Array; epoch: number; archive?: Uint8Array }> {
    const ch = this.#channel(channelId);
    await this.#shown.keepSent(channelId, meta.clientId, content);
    for (;;) {
      await ensureGroup(this.#ctx, ch);
      const out = await ch.exclusive(async () => {
        const g = ch.group;
        if (!g) return undefined;
        if (hasPendingProposals(g)) return "proposals" as const; // MLS forbids sending before they are committed
        // The state is saved per batch, so the generation this send uses must be reserved
        // durably before its ciphertext exists (never reused after a crash; send-journal.ts).
        await ch.sendJournal.beforeSend(g, this.identity.keyStore);
        const payload = sealPayload(content, meta);
        const bytes = await encrypt(g, payload);
        // The archive copy carries the very payload the MLS message does (receivers compare them).
        const archive = meta.archive ? await sealArchive(g, this.identityFor(g.suite), channelId, meta.clientId, payload) : undefined;
        ch.messagesSinceUpdate++;
        await this.#saves.changed(ch);
        return { bytes, epoch: Number(epoch(g)), ...(archive ? { archive } : {}) };
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
    return this.#shown.sent(channelId, clientId);
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
    this.#pipeline.pump(ch);
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
        } else if (kind === "archive.policy") {
          await this.archive.refresh();
        } else if ((kind === "channel.left" || kind === "channel.deleted") && item.channelId) {
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
    await Promise.all(
      channelIds.map(async (id) => {
        const ch = this.#channel(id);
        await ch.load(this.identity.keyStore, this.#identityFor, this.#ctx.policy);
        if (ch.group || ch.removed || ch.joining) return;
        try {
          if (!(await this.server.groupInfo(id))) return;
        } catch (err) {
          this.#host.onError(err); // the next time the connection goes live tries again
          return;
        }
        this.#pipeline.rejoin(ch);
        await ch.rejoining;
      }),
    );
  }

  /** The current epoch of a channel's group on this device, or undefined. */
  epochOf(channelId: string): number | undefined {
    const g = this.#channels.get(channelId)?.group;
    return g ? Number(epoch(g)) : undefined;
  }

  /** SFrame call keys of a channel's current epoch here (ADR 0010); undefined without an active group (not joined, removed). */
  async callKeys(channelId: string): Promise<CallKeys | undefined> {
    const g = this.#channels.get(channelId)?.group;
    return g && isActive(g) ? callKeys(g, channelId) : undefined;
  }

  /** Device leaves of a channel's group as this device sees them, or undefined without a group. */
  members(channelId: string): { userId: string; deviceId: string }[] | undefined {
    const g = this.#channels.get(channelId)?.group;
    return g ? members(g).map((m) => ({ userId: m.userId, deviceId: m.deviceId })) : undefined;
  }

  /**
   * Content decrypted earlier for an event (MLS keys are single-use, so history
   * is served from here: memory, then the sealed history in the local store),
   * else read from its archive copy when this device holds its epoch's key.
   * Events from before this device joined that it holds no key for get
   * `decodeReason: "history_unavailable"`.
   */
  async decoded(e: Event): Promise<DecodedContent> {
    // MLS handshakes carry no app content (and are public messages): nothing to show, nothing missing.
    if (e.kind === "commit" || e.kind === "proposal") return {};
    if (e.kind === "reset") {
      const info = parseReset(e);
      return info ? { reset: info } : { decodeError: "a reset event without a readable generation", decodeReason: "malformed" };
    }
    const hit = await this.#shown.decoded(e);
    if (hit) return hit;
    const ch = this.#channel(e.channelId);
    await ch.load(this.identity.keyStore, this.#identityFor, this.#ctx.policy);
    const archived = await this.#archive.read(ch, e).catch((err: unknown) => void this.#host.onError(err));
    if (archived?.t === "content" || archived?.t === "undecryptable") {
      const content = archived.t === "content" ? archived.content : undecryptableContent(archived);
      this.#shown.remember(e, content);
      return content;
    }
    if ((ch.group || ch.hasSavedPosition) && ch.isBefore(e)) {
      return { decodeError: "sent before this device joined the channel's encryption group", decodeReason: "history_unavailable" };
    }
    // Not reached by this device's group yet (a backlog it is still decrypting in order): the user's
    // other devices may have put that epoch's key in the locker — then the page reads the copy.
    if (e.archive) this.locker.catchUp();
    return { decodeError: "not decrypted on this device (not yet received in order, or dropped from its history cache)", decodeReason: "not_decrypted" };
  }

  /** Forget the decrypted content kept in memory of a channel's events below `seq` (retention removed them). */
  forgetBelow(channelId: string, seq: number): void {
    this.#shown.forgetBelow(channelId, seq);
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
    this.locker.close();
    this.archive.close();
    // Keys noted in the last half second go to the locker now; a server that does not answer does not hold the close up.
    const flushed = this.locker.flush().catch((err: unknown) => this.#host.onError(err));
    await Promise.race([flushed, new Promise<void>((r) => setTimeout(r, 2000).unref?.())]);
    await this.#saves.close(this.#channels.values());
  }
}
