/**
 * ParleyClient: one signed-in device. Wires the REST transport, the session
 * (token refresh), the realtime connection, the sync engine, the outbox and
 * the content codec together, and emits typed events to the app.
 */
import { DEFAULT_LIMITS, type AuthTokens, type Event, type MyChannel, type PresenceStatus, type UserStreamItem } from "@parley/protocol";
import { AuthSession } from "./auth.ts";
import { decodeContent, NOT_STARTED_CODEC, type ContentCodec, type DecodedContent } from "./codec.ts";
import { Connection, type ConnectionState } from "./connection.ts";
import { Emitter } from "./emitter.ts";
import { ParleyError } from "./errors.ts";
import { createApi, type Api, type CallInput } from "./http.ts";
import { Outbox, type SendResult } from "./outbox.ts";
import { Sender } from "./sender.ts";
import { routeFrame } from "./frames.ts";
import { MemoryStore, type LocalStore, type StoredSession } from "./store.ts";
import { eventsBetween } from "./backfill.ts";
import { ReconcileLoop } from "./reconcile-loop.ts";
import { HistoryPolicies } from "./history-policies.ts";
import { SyncEngine } from "./sync.ts";
import { RetentionFloors } from "./retention.ts";
import { MEMBERSHIP_KINDS, toReceivedEvent, type ClientEvents, type ReceivedEvent } from "./client-events.ts";
import { E2eeEngine, type E2eeOptions } from "./e2ee/engine.ts";
import { MlsCodec } from "./e2ee/mls-codec.ts";
import type { ClientOptions, SendInput } from "./client-options.ts";
import {
  acceptInviteTokens,
  apiKeyTokens,
  loginTokens,
  saveSignIn,
  setupTokens,
  ssoTokens,
  type AcceptInviteOptions,
  type ApiKeyLoginOptions,
  type LoginOptions,
  type SetupOptions,
  type SsoSignInOptions,
} from "./sign-in.ts";

export type { ClientOptions, SendInput } from "./client-options.ts";
import { downloadFile, sendFileMessage, type FileDescriptor, type SendFileOptions } from "./e2ee/files.ts";
import { combineFingerprints, userFingerprint } from "./e2ee/safety-number.ts";
import type { ArchiveStatus } from "./e2ee/archive-policy.ts";

/** A signed-in Parley device. */
/** How long close() waits for sends still being encrypted. */
const CLOSE_SEND_GRACE_MS = 3_000;

/** Resolves after `ms` without keeping a Node process alive. */
function closeGrace(ms: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms) as unknown as { unref?: () => void };
    timer.unref?.();
  });
}

export class ParleyClient extends Emitter<ClientEvents> {
  /** Typed REST client, authenticated as this device. */
  readonly api: Api;
  /** Content codec in use (MLS unless a test codec was named); when `codec.encrypted` is false, show an "unencrypted" warning. */
  get codec(): ContentCodec {
    return this.#codec;
  }
  #codec: ContentCodec;
  #e2ee: E2eeEngine | undefined;
  #reconciled = false;
  /** Stops the reconcile loop's waits (close). */
  readonly #closing = new AbortController();
  readonly #reconciler: ReconcileLoop;
  readonly #policies = new HistoryPolicies((channelId) => this.api.call("getChannel", { params: { channelId } }));
  /** Local persistence. */
  readonly store: LocalStore;
  readonly #auth: AuthSession;
  readonly #conn: Connection;
  /** Users whose presence this client watches (re-sent on every connection). */
  #watching: string[] = [];
  readonly #sync: SyncEngine;
  readonly #outbox: Outbox;
  readonly #sender: Sender;
  readonly #retention: RetentionFloors;
  #chain: Promise<void> = Promise.resolve();

  /** Sign in with org, username and password. Reuses the device stored for this account unless `deviceId` says otherwise. */
  static async login(opts: LoginOptions): Promise<ParleyClient> {
    return ParleyClient.#signIn(opts, (store) => loginTokens(opts, store));
  }

  /**
   * Sign in with an API key (a bot, a script, a CI job): a session on a device limited to the
   * key's scopes. Reuses the device stored for the key's account unless `deviceId` says otherwise.
   */
  static async loginWithApiKey(opts: ApiKeyLoginOptions): Promise<ParleyClient> {
    return ParleyClient.#signIn(opts, (store) => apiKeyTokens(opts, store));
  }

  /**
   * Finish a single sign-on (OIDC): exchange the one-time code of the web app's `/sso#code=` for
   * a session, in the browser that started the sign-in.
   */
  static async completeSso(opts: SsoSignInOptions): Promise<ParleyClient> {
    return ParleyClient.#signIn(opts, (store) => ssoTokens(opts, store));
  }

  /** First-run setup: create the first org and its owner with the server's one-time setup token. */
  static async setup(opts: SetupOptions): Promise<ParleyClient> {
    return ParleyClient.#signIn(opts, () => setupTokens(opts));
  }

  /** Create an account from an invite token and sign in. */
  static async acceptInvite(opts: AcceptInviteOptions): Promise<ParleyClient> {
    return ParleyClient.#signIn(opts, () => acceptInviteTokens(opts));
  }

  /** Continue the session saved in `store` (throws `unauthorized` if there is none). */
  static async resume(opts: ClientOptions & { store: LocalStore }): Promise<ParleyClient> {
    const session = await opts.store.loadSession();
    if (!session) throw new ParleyError({ code: "unauthorized", status: 401, message: "no stored session: sign in first" });
    return ParleyClient.#create(session, opts);
  }

  /** Get tokens one way or another (with the store the session goes to), save the sign-in, start. */
  static async #signIn(opts: ClientOptions & { baseUrl: string }, tokensFor: (store: LocalStore) => Promise<AuthTokens>): Promise<ParleyClient> {
    const store = opts.store ?? new MemoryStore();
    const tokens = await tokensFor(store);
    return ParleyClient.#create(await saveSignIn(opts.baseUrl, tokens, store, opts.onSessionChange), { ...opts, store });
  }

  static async #create(session: StoredSession, opts: ClientOptions & { store: LocalStore }): Promise<ParleyClient> {
    const cursors = await opts.store.loadCursors();
    const client = new ParleyClient(session, opts, cursors);
    await client.#retention.load();
    if (!opts.codec) {
      try {
        await client.#startE2ee(session, opts.e2ee);
      } catch (err) {
        await client.close();
        throw err;
      }
      // Before any delivery: requeue events that waited for a Welcome/commit when the last run ended.
      client.#enqueue(async () => {
        for (const [channelId, seq] of Object.entries(cursors.channels)) {
          await client.#e2ee!.resumeBacklog(channelId, seq).catch((err: unknown) => client.emit("error", err));
        }
      });
    }
    return client;
  }

  async #startE2ee(session: StoredSession, opts: E2eeOptions | undefined): Promise<void> {
    this.#e2ee = await E2eeEngine.start(
      {
        api: this.api,
        session: { orgId: session.orgId, userId: session.userId, deviceId: session.deviceId },
        store: this.store,
        backfill: (channelId, after, upTo) => eventsBetween(this.store, this.api, channelId, after, upTo),
        catchUp: (channelId) => this.#catchUpChannel(channelId),
        deliver: (e, content) => this.#emitEvent(e, content),
        undecryptable: (n) => this.emit("undecryptable", n),
        historyUnavailable: (n) => this.emit("historyUnavailable", n),
        historyKeys: (n) => this.emit("historyKeys", n),
        historyPolicy: (channelId) => this.#policies.policy(channelId),
        isPublicChannel: (channelId) => this.#policies.isPublic(channelId),
        channelFacts: (channelId, fresh) => this.#policies.facts(channelId, fresh),
        knownChannels: () => this.#policies.allFacts(),
        archiveStatus: (n) => this.emit("archive.status", n),
        sendKeys: async (channelId, content) => {
          await this.send(channelId, { ...content, kind: "keys" });
        },
        onError: (err) => this.emit("error", err),
      },
      opts,
    );
    this.#codec = new MlsCodec(this.#e2ee);
    this.#policies.onFactsChanged = () => this.#e2ee?.archive.channelsChanged();
  }

  /** The E2EE engine of this device (undefined only with an explicit test codec). */
  get e2ee(): E2eeEngine | undefined {
    return this.#e2ee;
  }

  private constructor(session: StoredSession, opts: ClientOptions & { store: LocalStore }, cursors: Awaited<ReturnType<LocalStore["loadCursors"]>>) {
    super();
    this.onListenerError = (err) => {
      if (this.listenerCount("error")) this.emit("error", err);
    };
    this.store = opts.store;
    this.#codec = opts.codec ?? NOT_STARTED_CODEC; // the MLS codec replaces it in #create
    this.#auth = new AuthSession({
      store: this.store,
      session,
      ...(opts.fetch ? { fetch: opts.fetch } : {}),
      ...(opts.onSessionChange ? { onChange: opts.onSessionChange } : {}),
      // A revoked connection keeps saying so; stopping it would turn the state into "closed".
      onEnded: (err) => {
        if (this.#conn.state !== "revoked") this.#conn.stop();
        this.emit("sessionEnded", err);
      },
    });
    this.api = createApi({ baseUrl: session.baseUrl, tokens: this.#auth, ...(opts.fetch ? { fetch: opts.fetch } : {}) });
    this.#sync = new SyncEngine({
      cursors,
      ...(opts.gapFillDelayMs !== undefined ? { gapFillDelayMs: opts.gapFillDelayMs } : {}),
      fetchChannelEvents: (channelId, after) => this.api.call("listEvents", { params: { channelId }, query: { after, limit: 200 } }),
      fetchUserItems: (after) => this.api.call("userStream", { query: { after, limit: 200 } }),
      onEvents: (channelId, events) => this.#enqueue(() => this.#deliverEvents(channelId, events)),
      onUserItems: (items) => this.#enqueue(() => this.#deliverUserItems(items)),
      onError: (err) => this.emit("error", err),
      onChannelGone: (channelId) => this.#enqueue(() => this.store.removeChannel(channelId)),
    });
    this.#retention = new RetentionFloors({
      store: this.store,
      floorKnown: (channelId, floor) => this.#sync.setFloor(channelId, floor),
      forget: (channelId, floor) => this.#e2ee?.forgetBelow(channelId, floor),
      purged: (n) => this.emit("channel.purged", n),
      idle: () => this.idle(),
      onError: (err) => this.emit("error", err),
    });
    this.#conn = new Connection({
      baseUrl: session.baseUrl,
      accessToken: () => this.#auth.accessToken(),
      onUnauthorized: (t) => this.#auth.onUnauthorized(t),
      cursors: () => this.#sync.cursors(),
      onFrame: (f) => routeFrame(f, this.#sync, (name, payload) => this.emit(name, payload)),
      onState: (change) => {
        this.#sync.setLive(change.state === "live");
        if (change.state === "live") {
          this.#outbox.wake();
          // Each connection starts watching nobody: name the users again.
          if (this.#watching.length > 0) this.#conn.send({ t: "presence.watch", userIds: this.#watching });
          if (this.#e2ee) {
            // Back online: the org may have switched MLS suites meanwhile (start() looked at the first connect).
            if (this.#reconciled) this.#e2ee.refreshConfig().catch((err: unknown) => this.emit("error", err));
            this.#reconciled = true;
            // Every time: a join that an outage interrupted is picked up again (channels with a group are skipped).
            this.#reconciler.request();
          }
        }
        this.emit("connection", change);
      },
      ...(opts.backoff ? { backoff: opts.backoff } : {}),
      ...(opts.validateFrames !== undefined ? { validateFrames: opts.validateFrames } : {}),
      ...(opts.WebSocket ? { WebSocket: opts.WebSocket } : {}),
    });
    this.#reconciler = new ReconcileLoop({
      run: () => this.#reconcile(),
      live: () => this.#conn.state === "live",
      backoff: opts.backoff,
      signal: this.#closing.signal,
    });
    this.#outbox = new Outbox({
      store: this.store,
      api: this.api,
      connection: this.#conn,
      ...(opts.backoff ? { backoff: opts.backoff } : {}),
      onAcked: (channelId, r) => this.#sync.receiveEvents(channelId, [r.event]),
      onFailed: (entry, error) => this.emit("sendFailed", { entry, error }),
      reencode: (entry, why) => this.#sender.reencode(entry, why?.history),
    });
    this.#sender = new Sender({
      codec: () => this.#codec,
      policies: this.#policies,
      outbox: () => this.#outbox,
      e2ee: () => this.#requireE2ee(),
      catchUp: (channelId) => this.#catchUpChannel(channelId),
      archiveCheck: (channelId) => this.#e2ee?.archive.check(channelId),
    });
  }

  /** The signed-in session (ids, tokens), or undefined after logout or when the server ended it. */
  get session(): StoredSession | undefined {
    return this.#auth.session;
  }

  /** The signed-in user's id. */
  get userId(): string {
    return this.#auth.session?.userId ?? "";
  }

  /** Sends of this process not yet acknowledged (the outbox may hold more from earlier runs until resumed). */
  get pendingSends(): number {
    return this.#outbox.pending;
  }

  /** Connection state. */
  get state(): ConnectionState {
    return this.#conn.state;
  }

  /** Connect the realtime link (replay, then live) and resend anything left in the outbox. */
  connect(): void {
    this.#conn.start();
    void this.#outbox.resume();
  }

  /** Wait until the connection is live (replay done). */
  async waitUntilLive(timeoutMs = 30_000): Promise<void> {
    if (this.#conn.state === "live") return;
    const c = await this.next("connection", (c) => c.state === "live" || c.state === "revoked" || c.state === "closed", timeoutMs);
    if (c.state !== "live")
      throw new ParleyError({ code: c.state === "closed" ? "closed" : "unauthorized", message: `connection ${c.state}: ${c.reason ?? ""}` });
  }

  /** Wait until every received event has been processed and delivered to listeners and every hole filled (events waiting for a Welcome or commit stay queued). */
  async idle(): Promise<void> {
    await this.#sync.idle();
    await this.#chain;
    await this.#e2ee?.idle();
    await this.#chain;
  }

  /**
   * Wait until the device's groups are settled after going live: the channels it
   * is in but whose group it lacks (a new device, a lost state) were joined by
   * external commit, and everything received was processed ({@link idle}).
   * One-shot tools (the CLI) call this after {@link waitUntilLive}.
   */
  async settled(): Promise<void> {
    await this.idle();
    await this.#reconciler.running;
    await this.idle();
  }

  // A device that is new (or lost its state) joins the groups of its channels by external commit.
  async #reconcile(): Promise<boolean> {
    try {
      await this.#chain; // Welcomes from the user stream replay first
      const channels = await this.channels();
      await this.#e2ee?.reconcile(channels.map((c) => c.id));
      return true;
    } catch (err) {
      this.emit("error", err);
      return false;
    }
  }

  /** Send an event: encoded by the codec, persisted in the outbox, retried with the same clientId until acknowledged. */
  send(channelId: string, input: SendInput): Promise<SendResult> {
    return this.#sender.send(channelId, input);
  }

  /** Send a text message. */
  sendMessage(channelId: string, text: string, opts: { mentions?: string[] } = {}): Promise<SendResult> {
    return this.send(channelId, { kind: "message", text, ...opts });
  }

  /** Reply in the thread rooted at `rootSeq`. */
  reply(channelId: string, rootSeq: number, text: string, opts: { mentions?: string[] } = {}): Promise<SendResult> {
    return this.send(channelId, { kind: "message", text, threadRoot: rootSeq, ...opts });
  }

  /** React to event `targetSeq` with `emoji` (remove it later with {@link delete} on the reaction's seq). */
  react(channelId: string, targetSeq: number, emoji: string): Promise<SendResult> {
    return this.send(channelId, { kind: "reaction", emoji, target: targetSeq });
  }

  /** Replace the text of own message `targetSeq`. */
  edit(channelId: string, targetSeq: number, text: string): Promise<SendResult> {
    return this.send(channelId, { kind: "edit", text, target: targetSeq });
  }

  /** Delete event `targetSeq` (a message, or a reaction to retract it). */
  delete(channelId: string, targetSeq: number): Promise<SendResult> {
    return this.send(channelId, { kind: "delete", target: targetSeq });
  }

  /** Tell the channel the user is typing (ephemeral; dropped when offline). */
  typing(channelId: string, threadRoot: number | null = null): void {
    this.#conn.send({ t: "typing", channelId, threadRoot });
  }

  /**
   * Watch the presence of these users (replacing the previous set; at most
   * DEFAULT_LIMITS.presenceWatch, extra ids are dropped): the users the app shows —
   * DM partners, the open channel's members, a profile card. Their current status
   * arrives as `presence` events, then their changes; kept across reconnects.
   */
  watchPresence(userIds: Iterable<string>): void {
    const next = [...new Set(userIds)].slice(0, DEFAULT_LIMITS.presenceWatch);
    if (next.length === this.#watching.length && next.every((id, i) => id === this.#watching[i])) return;
    this.#watching = next;
    this.#conn.send({ t: "presence.watch", userIds: next });
  }

  /** Set this device's presence (online/away). */
  setPresence(status: Exclude<PresenceStatus, "offline">): void {
    this.#conn.send({ t: "presence", status });
  }

  /** Move the read receipt to `seq` (over the socket when live, else HTTP). */
  async markRead(channelId: string, seq: number): Promise<void> {
    if (this.#conn.send({ t: "read", channelId, seq })) return;
    await this.api.call("markRead", { params: { channelId }, body: { seq } });
  }

  /** The retention floor of a channel as this device applied it: its events below it were removed by the org's retention policy (0: none). */
  retentionFloor(channelId: string): number {
    return this.#retention.floor(channelId);
  }

  /** Every channel whose retention floor is above 0, as applied on this device. */
  retentionFloors(): ReadonlyMap<string, number> {
    return this.#retention.all();
  }

  /**
   * A channel's compliance archive status as this device checked it (ADR 0008): whether the org's
   * signed policy archives it, which policy, and a `problem` when the server's account does not
   * hold up (sends there are refused with `archive_mismatch`). Changes come as `archive.status`.
   */
  archiveStatus(channelId: string): ArchiveStatus | undefined {
    return this.#e2ee?.archive.status(channelId);
  }

  /** Every known channel's compliance archive status (see {@link archiveStatus}). */
  archiveStatuses(): Record<string, ArchiveStatus> {
    return this.#e2ee?.archive.statuses() ?? {};
  }

  /** Fetch the channel list from the server and store it. */
  async channels(): Promise<MyChannel[]> {
    const { channels } = await this.api.call("listChannels");
    this.#policies.note(channels);
    // Purged before the list (with its floors) is saved: a stored floor is one already applied.
    await this.#retention.note(channels);
    await this.store.saveChannels(channels);
    for (const c of channels) this.#sync.track(c.id, this.#sync.channelCursor(c.id));
    return channels;
  }

  /** Create a public or private channel and its MLS group (every member's devices are added). */
  async createChannel(input: CallInput<"createChannel">["body"]): Promise<MyChannel> {
    const channel = await this.api.call("createChannel", { body: input });
    this.#policies.note([channel]);
    await this.#e2ee?.ensureGroup(channel.id);
    return channel;
  }

  /** Open the DM / group DM with these users (creating its MLS group if it has none). */
  async openDm(userIds: string[]): Promise<MyChannel> {
    const channel = await this.api.call("openDm", { body: { userIds } });
    this.#policies.note([channel]);
    await this.#e2ee?.ensureGroup(channel.id);
    return channel;
  }

  /** Add users to a channel, then add their devices to its MLS group (they read from now on, not before). */
  async addMembers(channelId: string, userIds: string[]): Promise<string[]> {
    const { added } = await this.api.call("addMembers", { params: { channelId }, body: { userIds } });
    await this.#e2ee?.addMembers(channelId, userIds);
    return added;
  }

  /** Join a public channel and its MLS group (external commit). */
  async joinChannel(channelId: string): Promise<MyChannel> {
    const channel = await this.api.call("joinChannel", { params: { channelId } });
    this.#policies.note([channel]);
    await this.#retention.note([channel]);
    this.#sync.track(channelId, this.#sync.channelCursor(channelId));
    await this.#e2ee?.join(channelId);
    return channel;
  }

  /**
   * Reset the channel's encryption (channel admins): the server opens a new MLS group
   * generation with a visible "reset" event; members' devices create the new group and
   * add every member's current devices. Messages already read stay readable on the devices
   * that read them. Use when a channel's group is broken.
   */
  async resetEncryption(channelId: string): Promise<number> {
    const { generation } = await this.#requireE2ee().server.resetEncryption(channelId, "admin");
    await this.#sync.catchUp(channelId, Number.MAX_SAFE_INTEGER);
    await this.idle();
    return generation;
  }

  /** Remove a member (the server proposes their removal from the MLS group; a member's client commits it). */
  async removeMember(channelId: string, userId: string): Promise<void> {
    await this.api.call("removeMember", { params: { channelId, userId } });
  }

  /**
   * Send a file: encrypted on this device (fresh key), uploaded as ciphertext,
   * and announced by an MLS-encrypted message whose content carries
   * `files: [FileDescriptor]` (key, nonce base, digest never reach the server).
   */
  async sendFile(channelId: string, data: Uint8Array | ReadableStream<Uint8Array>, opts: SendFileOptions): Promise<SendResult & { file: FileDescriptor }> {
    await this.#e2ee?.archive.check(channelId); // refused before the upload, like the message would be
    return sendFileMessage(this.#requireE2ee().server, (id, input) => this.send(id, input), channelId, data, opts);
  }

  /** Download and decrypt a file from a message's `content.files`; the stream errors (E2eeError `attachment_*`) on tampering, truncation or a digest mismatch. */
  downloadFile(file: FileDescriptor): Promise<ReadableStream<Uint8Array>> {
    return downloadFile(this.#requireE2ee().server, file);
  }

  /**
   * Fingerprint (30 digits) of a user's active devices, or of one device when
   * `deviceId` is given, from the signature keys the directory vouches for
   * (each binding verified against the server's directory key).
   */
  async fingerprint(userId: string, deviceId?: string): Promise<string> {
    return userFingerprint(this.#requireE2ee().directory, userId, deviceId);
  }

  /** Safety number of two users (60 digits, the same on both sides): compare it out of band. */
  async safetyNumber(userA: string, userB: string): Promise<string> {
    return combineFingerprints(await this.fingerprint(userA), await this.fingerprint(userB));
  }

  #requireE2ee(): E2eeEngine {
    if (!this.#e2ee) throw new ParleyError({ code: "bad_request", message: "end-to-end encryption is off (a test codec was named)" });
    return this.#e2ee;
  }

  /** Decode server events (e.g. a history page from `api.call("listEvents")`) without touching the sync state. */
  async decode(events: Event[]): Promise<ReceivedEvent[]> {
    return Promise.all(events.map(async (e) => toReceivedEvent(e, await decodeContent(this.#codec, e), this.userId)));
  }

  /**
   * A page of a channel's history from the server, decoded: content this device
   * decrypted earlier comes from its sealed history cache (also across restarts);
   * events from before it joined carry `content.decodeReason === "history_unavailable"`.
   * Oldest first; feed it to a {@link Timeline}.
   */
  async history(channelId: string, opts: { before?: number; limit?: number } = {}): Promise<{ events: ReceivedEvent[]; hasMore: boolean }> {
    const r = await this.api.call("listEvents", {
      params: { channelId },
      query: { limit: opts.limit ?? 100, ...(opts.before !== undefined ? { before: opts.before } : {}) },
    });
    const events = [...r.events].sort((a, b) => a.seq - b.seq);
    return { events: await this.decode(events), hasMore: r.hasMore };
  }

  /** Sign out: end the session on the server and forget it locally. */
  async logout(): Promise<void> {
    try {
      await this.api.call("logout");
    } finally {
      await this.#auth.clear();
      await this.close();
    }
  }

  /** Disconnect and stop background work; unsent messages stay in the outbox for the next run. */
  async close(): Promise<void> {
    this.#closing.abort();
    this.#conn.stop();
    // Sends still being encrypted (e.g. held by the compliance archive check) reach the outbox before it
    // closes — for a while only: one waiting on the group (a commit it can no longer receive) would never.
    await Promise.race([this.#sender.idle(), closeGrace(CLOSE_SEND_GRACE_MS)]);
    await this.#e2ee?.close(); // saves the group states changed since their last save
    this.#outbox.close();
    this.#sync.close();
    this.#auth.close();
    await this.#chain;
    await this.store.flush();
  }

  // Everything the server has for the channel, fetched and processed.
  async #catchUpChannel(channelId: string): Promise<void> {
    await this.#sync.catchUp(channelId, Number.MAX_SAFE_INTEGER);
    await this.idle();
  }

  #enqueue(job: () => Promise<void>): void {
    // One chain for all deliveries: persistence and listeners see events in the order the engine released them.
    this.#chain = this.#chain.then(job).catch((err: unknown) => this.emit("error", err));
  }

  async #deliverEvents(channelId: string, events: Event[]): Promise<void> {
    await this.store.appendEvents(channelId, events);
    await this.store.setChannelCursor(channelId, events[events.length - 1]!.seq);
    // With E2EE the engine decrypts in order (possibly waiting for a Welcome or commit) and emits through #emitEvent.
    if (this.#e2ee) return this.#e2ee.receive(channelId, events);
    for (const e of events) this.#emitEvent(e, await decodeContent(this.#codec, e));
  }

  #emitEvent(e: Event, content: DecodedContent): void {
    if (this.#retention.removed(e)) return;
    const r = toReceivedEvent(e, content, this.userId);
    this.emit("event", r);
    this.emit(r.kind, r);
  }

  async #deliverUserItems(items: UserStreamItem[]): Promise<void> {
    await this.store.setUserCursor(items[items.length - 1]!.seq);
    await this.#e2ee?.onUserItems(items);
    for (const item of items) {
      this.#policies.noteItem(item);
      await this.#retention.noteItem(item);
      if (item.kind === "channel.joined" && item.channelId) this.#sync.track(item.channelId, this.#sync.channelCursor(item.channelId));
      if (item.kind === "channel.left" && item.channelId) {
        this.#sync.forget(item.channelId);
        await this.store.removeChannel(item.channelId);
      }
      this.emit("user", item);
      if (MEMBERSHIP_KINDS.has(item.kind)) this.emit("membership", item);
    }
  }
}
