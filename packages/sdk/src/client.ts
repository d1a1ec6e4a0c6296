/**
 * ParleyClient: one signed-in device. Wires the REST transport, the session
 * (token refresh), the realtime connection, the sync engine, the outbox and
 * the content codec together, and emits typed events to the app.
 */
import type { AuthTokens, PresenceStatus } from "@parley/protocol";
import { AuthSession } from "./auth.ts";
import { NOT_STARTED_CODEC, type ContentCodec } from "./codec.ts";
import { Connection, type ConnectionState } from "./connection.ts";
import { isParleyError, ParleyError } from "./errors.ts";
import { createApi, type Api } from "./http.ts";
import { Outbox, type SendResult } from "./outbox.ts";
import { Sender } from "./sender.ts";
import { routeFrame } from "./frames.ts";
import { MemoryStore, type LocalStore, type StoredSession } from "./store.ts";
import { ReconcileLoop } from "./reconcile-loop.ts";
import { HistoryPolicies } from "./history-policies.ts";
import { SyncEngine } from "./sync.ts";
import { RetentionFloors } from "./retention.ts";
import { requireE2ee } from "./client-messages.ts";
import { ClientChannels, type ChannelWiring } from "./client-channels.ts";
import { Delivery } from "./delivery.ts";
import { e2eeHost } from "./e2ee-host.ts";
import { PresenceWatch } from "./presence.ts";
import { CallsApi } from "./calls.ts";
import { CallEventPoster } from "./call-events.ts";
import { E2eeEngine, type E2eeOptions } from "./e2ee/engine.ts";
import { MlsCodec } from "./e2ee/mls-codec.ts";
import { personalStoreOf, type PersonalStore } from "./personal.ts";
import { remindersOf, type Reminders } from "./reminders.ts";
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
import type { ArchiveStatus } from "./e2ee/archive-policy.ts";

/** How long close() waits for sends still being encrypted. */
const CLOSE_SEND_GRACE_MS = 3_000;

/** Resolves after `ms` without keeping a Node process alive. */
function closeGrace(ms: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms) as unknown as { unref?: () => void };
    timer.unref?.();
  });
}

/** A signed-in Parley device. */
export class ParleyClient extends ClientChannels {
  /** Typed REST client, authenticated as this device. */
  override readonly api: Api;
  /** Content codec in use (MLS unless a test codec was named); when `codec.encrypted` is false, show an "unencrypted" warning. */
  override get codec(): ContentCodec {
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
  override readonly store: LocalStore;
  readonly #auth: AuthSession;
  readonly #conn: Connection;
  readonly #presence = new PresenceWatch((frame) => this.#conn.send(frame));
  /** Call signalling (issue 14): start, answer, join, leave calls, media state, WebRTC signalling; its own events (docs/calls.md). */
  readonly calls: CallsApi = new CallsApi({
    request: (frame) => this.#conn.callRequest(frame),
    post: (channelId, content, clientId) => this.send(channelId, { kind: "message", ...content, clientId }),
    list: async (all) => (await this.api.call("listCalls", { query: { all: all ? "true" : "false" } })).calls,
  });
  /** Posts this device's share of call events (call-events.ts). */
  readonly #callEvents: CallEventPoster | undefined;
  readonly #sync: SyncEngine;
  readonly #outbox: Outbox;
  readonly #sender: Sender;
  readonly #retention: RetentionFloors;
  readonly #delivery: Delivery;
  protected override readonly channelWiring: ChannelWiring;

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
      client.#delivery.enqueue(async () => {
        for (const [channelId, seq] of Object.entries(cursors.channels)) {
          await client.#e2ee!.resumeBacklog(channelId, seq).catch((err: unknown) => client.emit("error", err));
        }
      });
    }
    return client;
  }

  async #startE2ee(session: StoredSession, opts: E2eeOptions | undefined): Promise<void> {
    const parts = { session, store: this.store, policies: this.#policies, delivery: this.#delivery, catchUp: (id: string) => this.#catchUpChannel(id) };
    this.#e2ee = await E2eeEngine.start(e2eeHost(this, parts), opts);
    this.#codec = new MlsCodec(this.#e2ee);
    this.#policies.onFactsChanged = () => this.#e2ee?.archive.channelsChanged();
  }

  /** The E2EE engine of this device (undefined only with an explicit test codec). */
  override get e2ee(): E2eeEngine | undefined {
    return this.#e2ee;
  }

  #personal: PersonalStore | undefined;
  /** The user's saved messages, drafts and synced settings, sealed under the key locker (ADR 0009); created on first use. */
  get personal(): PersonalStore {
    return (this.#personal ??= personalStoreOf(this));
  }

  #reminders: Reminders | undefined;
  /** The user's reminders (`/remind`): times on the server, text sealed in the personal store; created on first use. */
  get reminders(): Reminders {
    return (this.#reminders ??= remindersOf(this, this.personal));
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
      onEvents: (channelId, events) => this.#delivery.events(channelId, events),
      onUserItems: (items) => this.#delivery.userItems(items),
      onError: (err) => this.emit("error", err),
      onChannelGone: (channelId) => this.#delivery.enqueue(() => this.store.removeChannel(channelId)),
    });
    this.#retention = new RetentionFloors({
      store: this.store,
      floorKnown: (channelId, floor) => this.#sync.setFloor(channelId, floor),
      forget: (channelId, floor) => this.#e2ee?.forgetBelow(channelId, floor),
      purged: (n) => this.emit("channel.purged", n),
      idle: () => this.idle(),
      onError: (err) => this.emit("error", err),
    });
    this.channelWiring = { policies: this.#policies, retention: this.#retention, sync: this.#sync };
    this.#delivery = new Delivery({
      store: this.store,
      emitter: this,
      codec: () => this.#codec,
      e2ee: () => this.#e2ee,
      sync: this.#sync,
      retention: this.#retention,
      policies: this.#policies,
      userId: () => this.userId,
    });
    this.#conn = new Connection({
      baseUrl: session.baseUrl,
      accessToken: () => this.#auth.accessToken(),
      onUnauthorized: (t) => this.#auth.onUnauthorized(t),
      cursors: () => this.#sync.cursors(),
      onFrame: (f) => {
        if (!this.calls.receive(f)) routeFrame(f, this.#sync, (name, payload) => this.emit(name, payload));
      },
      onState: (change) => {
        this.#sync.setLive(change.state === "live");
        if (change.state === "live") {
          this.#outbox.wake();
          this.#presence.renew(); // each connection starts watching nobody
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
      e2ee: () => requireE2ee(this.#e2ee),
      catchUp: (channelId) => this.#catchUpChannel(channelId),
      archiveCheck: (channelId) => this.#e2ee?.archive.check(channelId),
    });
    if (opts.callEvents !== false)
      this.#callEvents = new CallEventPoster(
        {
          calls: this.calls,
          deviceId: () => this.session?.deviceId,
          post: (channelId, content, clientId) => this.send(channelId, { kind: "message", ...content, clientId }),
          exists: (channelId, clientId) =>
            this.api.call("getEventByClientId", { params: { channelId, clientId } }).then(
              () => true,
              (err: unknown) => {
                if (isParleyError(err, "not_found")) return false;
                throw err;
              },
            ),
          onError: (err) => this.emit("error", err),
        },
        opts.callEvents,
      );
  }

  /** The signed-in session (ids, tokens), or undefined after logout or when the server ended it. */
  get session(): StoredSession | undefined {
    return this.#auth.session;
  }

  /** The signed-in user's id. */
  override get userId(): string {
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
  override async idle(): Promise<void> {
    await this.#sync.idle();
    await this.#delivery.drained;
    await this.#e2ee?.idle();
    await this.#delivery.drained;
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
      await this.#delivery.drained; // Welcomes from the user stream replay first
      const channels = await this.channels();
      await this.#e2ee?.reconcile(channels.map((c) => c.id));
      return true;
    } catch (err) {
      this.emit("error", err);
      return false;
    }
  }

  /**
   * Without the realtime connection, fetch and process what the server has for the user's stream
   * (Welcomes, commits) and then for one channel, and wait until it is delivered: a short-lived
   * run that opens one message (the web app's service worker opening a pushed message while no
   * tab runs the client). Listeners get the events as usual; {@link close} saves the state.
   */
  async catchUpChannel(channelId: string): Promise<void> {
    await this.#sync.catchUpUser();
    await this.idle();
    await this.#catchUpChannel(channelId);
  }

  /** Send an event: encoded by the codec, persisted in the outbox, retried with the same clientId until acknowledged. */
  override send(channelId: string, input: SendInput): Promise<SendResult> {
    return this.#sender.send(channelId, input);
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
    this.#presence.watch(userIds);
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
    this.#callEvents?.stop();
    this.#conn.stop();
    // Sends still being encrypted (e.g. held by the compliance archive check) reach the outbox before it
    // closes — for a while only: one waiting on the group (a commit it can no longer receive) would never.
    await Promise.race([this.#sender.idle(), closeGrace(CLOSE_SEND_GRACE_MS)]);
    await this.#e2ee?.close(); // saves the group states changed since their last save
    this.#outbox.close();
    this.#sync.close();
    this.#auth.close();
    await this.#delivery.drained;
    await this.store.flush();
  }

  // Everything the server has for the channel, fetched and processed.
  async #catchUpChannel(channelId: string): Promise<void> {
    await this.#sync.catchUp(channelId, Number.MAX_SAFE_INTEGER);
    await this.idle();
  }
}
