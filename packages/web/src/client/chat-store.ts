/**
 * The app's view of one signed-in device: wraps the ParleyClient that runs in
 * the client worker (RemoteClient: REST, realtime, sync and MLS off the main
 * thread), keeps the channel list,
 * users, per-channel histories and ephemeral state, and notifies React
 * through subscribe()/version (useSyncExternalStore).
 */
import type { ChannelKind, HistoryPolicy, MyChannel, Org, OrgPermission, User } from "@parley/protocol";
import {
  isParleyError,
  parsePollCommand,
  parseReminder,
  pollContent,
  slashCommandContent,
  type ArchiveStatus,
  type ConnectionChange,
  type ReceivedEvent,
} from "@parley/sdk";
import { ChannelHistory } from "./channel-history.ts";
import { EphemeralState } from "./ephemeral.ts";
import { PresenceWatch } from "./presence-watch.ts";
import type { RemoteClient } from "./remote-client.ts";
import { mentionedUserIds } from "../chat/mentions.ts";
import { ChatKeys } from "./chat-keys.ts";

/** Permissions admins do not hold by their built-in role (a custom role may still grant them). */
const OWNER_ONLY: ReadonlySet<OrgPermission> = new Set(["org.manage_admins", "org.manage_compliance"]);

/** History page size when scrolling back. */
const PAGE = 100;

/** Signed-in state shown by the app shell. */
export class ChatStore extends ChatKeys {
  readonly client: RemoteClient;
  readonly org: Org;
  me: User;
  readonly ephemeral: EphemeralState;
  /** The users whose presence is on screen (presence dots add theirs): the server sends presence only for them. */
  readonly presenceWatch: PresenceWatch;
  users = new Map<string, User>();
  channels: MyChannel[] = [];
  connection: ConnectionChange = { state: "connecting", previous: "offline" };
  /** Why the session ended (deactivated, revoked): the app shows sign-in with this message. */
  ended: string | undefined;
  /**
   * The server refused this session until the user sets up two-factor authentication (an API call or
   * the socket's hello answered mfa_enrollment_required): the app shows the enrolment screen.
   */
  enrolmentRequired = false;
  activeChannelId: string | undefined;
  /** Each channel's compliance archive status as this device checked it (ADR 0008); a `problem` blocks sending there. */
  archive: Record<string, ArchiveStatus> = {};
  #archiveHeard = false;
  /** The org permissions the user's built-in and custom roles grant (GET /me), once loaded: they decide which admin pages show. */
  permissions: ReadonlySet<OrgPermission> = new Set();
  version = 0;
  /** Per channel, the first unread seq when the user opened it or marked it unread (the "Jump to first unread" bar). */
  readonly firstUnread = new Map<string, number>();
  readonly #histories = new Map<string, ChannelHistory>();
  readonly #listeners = new Set<() => void>();
  readonly #off: Array<() => void> = [];
  readonly #askedUsers = new Set<string>();
  #notifyPending = false;
  #refreshTimer: ReturnType<typeof setTimeout> | undefined;
  /** Channel list requests sent, and the newest whose answer is shown: an older answer arriving later (without a channel just created) is dropped. */
  #channelList = { asked: 0, shown: 0 };
  #readTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(client: RemoteClient, me: User, org: Org) {
    super();
    this.client = client;
    this.me = me;
    this.org = org;
    this.ephemeral = new EphemeralState(() => this.#changed());
    this.presenceWatch = new PresenceWatch((ids) => client.watchPresence(ids));
    const c = client;
    this.#off.push(
      c.on("event", (e) => this.#onEvent(e)),
      c.on("typing", (n) => {
        if (n.userId !== this.me.id) this.ephemeral.onTyping(n);
      }),
      c.on("presence", (n) => this.ephemeral.onPresence(n)),
      c.on("read", (n) => {
        this.ephemeral.onRead(n);
        if (n.userId === this.me.id) this.#ownReadMovedBack(n.channelId, n.seq);
      }),
      c.on("membership", () => this.#scheduleRefresh()),
      // Another user's new name, status or avatar shows at once (the frame leaves out the email, which admins keep).
      c.on("profile", (u) => {
        const known = this.users.get(u.id);
        this.users.set(u.id, { ...u, ...(known?.email !== undefined ? { email: known.email } : {}) });
        this.#changed();
      }),
      c.on("user", (item) => {
        if (item.kind === "user.updated" || item.kind === "member.joined") this.#scheduleRefresh();
        if (item.kind === "approval.requested" || item.kind === "approval.updated") void this.refreshApprovals().catch(() => undefined);
      }),
      c.on("connection", (ch) => this.#onConnection(ch)),
      c.on("sessionEnded", (err) => this.#end(err.message)),
      c.on("error", (err) => {
        if (isParleyError(err, "mfa_enrollment_required") && !this.enrolmentRequired) {
          this.enrolmentRequired = true;
          this.#changed();
        }
      }),
      c.on("historyUnavailable", (n) => {
        this.history(n.channelId).unavailableBefore(n.beforeSeq);
        this.#changed();
      }),
      c.on("historyKeys", (n) => void this.#reread(n.channelId).catch(() => undefined)),
      // The org's retention policy removed old events: the device deleted its copies, the view drops them.
      c.on("channel.purged", (n) => {
        const ch = this.channel(n.channelId);
        if (ch) ch.retentionFloor = Math.max(ch.retentionFloor ?? 0, n.floor);
        this.history(n.channelId).purgeBelow(n.floor);
        this.#changed();
      }),
      c.on("archive.status", (n) => {
        this.#archiveHeard = true;
        this.archive = n.statuses;
        this.#changed();
      }),
      c.onStateChange(() => this.#changed()),
    );
  }

  /** Load users and channels, then connect (and look at the key locker, for the recovery banner). */
  async start(): Promise<void> {
    await Promise.all([this.refreshUsers(), this.refreshChannels()]);
    this.client.connect();
    void this.client
      .archiveStatuses()
      .then((s) => {
        if (this.#archiveHeard || !s) return; // a pushed change is newer
        this.archive = s;
        this.#changed();
      })
      .catch(() => undefined);
    void this.refreshPermissions().catch(() => undefined);
    void this.refreshLocker()
      .then(() => this.refreshApprovals())
      .catch(() => undefined);
  }

  subscribe = (fn: () => void): (() => void) => {
    this.#listeners.add(fn);
    return () => this.#listeners.delete(fn);
  };

  getVersion = (): number => this.version;

  /** Whether the signed-in user administers the org. */
  get isAdmin(): boolean {
    return this.me.role === "owner" || this.me.role === "admin";
  }

  /** Whether the user may do `p` by their roles: the built-in role, or a custom role (loaded at start). */
  can(p: OrgPermission): boolean {
    return this.permissions.has(p) || (OWNER_ONLY.has(p) ? this.me.role === "owner" : this.isAdmin);
  }

  /** Load the permissions the user's roles grant (custom roles change what the admin console shows). */
  async refreshPermissions(): Promise<void> {
    const me = await this.client.api.call("me");
    this.permissions = new Set(me.permissions);
    this.#changed();
  }

  history(channelId: string): ChannelHistory {
    let h = this.#histories.get(channelId);
    if (!h) {
      this.#histories.set(channelId, (h = new ChannelHistory(channelId)));
      h.purgeBelow(this.channel(channelId)?.retentionFloor ?? 0);
    }
    return h;
  }

  channel(channelId: string | undefined): MyChannel | undefined {
    return this.channels.find((c) => c.id === channelId);
  }

  userName(userId: string): string {
    const u = this.users.get(userId);
    // A new member: fetch the user list once for this id (not on every render).
    if (!u && !this.#askedUsers.has(userId)) {
      this.#askedUsers.add(userId);
      this.#scheduleRefresh();
    }
    return u?.displayName ?? "Unknown user";
  }

  /** A channel's display name: its name, or the other members' names for DMs. */
  channelTitle(c: MyChannel): string {
    if (c.kind !== "dm" && c.kind !== "group_dm") return c.name;
    const others = (c.dmUserIds ?? []).filter((id) => id !== this.me.id);
    return others.length ? others.map((id) => this.userName(id)).join(", ") : this.me.displayName;
  }

  async refreshUsers(): Promise<void> {
    const { users } = await this.client.api.call("listUsers", { query: { includeDeactivated: "true" } });
    this.users = new Map(users.map((u) => [u.id, u]));
    const me = this.users.get(this.me.id);
    if (me) this.me = me;
    this.#changed();
  }

  async refreshChannels(): Promise<void> {
    const ask = ++this.#channelList.asked;
    const channels = await this.client.channels();
    if (ask < this.#channelList.shown) return;
    this.#channelList.shown = ask;
    this.channels = channels;
    for (const c of this.channels) this.#histories.get(c.id)?.purgeBelow(c.retentionFloor ?? 0);
    this.#changed();
  }

  /** Show a channel: load its latest page and mark it read. */
  async openChannel(channelId: string | undefined): Promise<void> {
    this.activeChannelId = channelId;
    this.#changed();
    if (!channelId) return;
    const h = this.history(channelId);
    const opened = this.channel(channelId);
    if (opened && opened.unread > 0) this.firstUnread.set(channelId, opened.readSeq + 1);
    void this.#checkAccess(channelId).catch(() => undefined);
    if (h.size < 30 && h.hasOlder) await this.loadOlder(channelId);
    this.#markActiveRead();
  }

  /**
   * Ask the server about a channel being opened: an org policy may have stopped this user reading it since
   * (its live frames stop silently; the channel then says why), and its labels may have changed.
   */
  async #checkAccess(channelId: string): Promise<void> {
    const h = this.history(channelId);
    try {
      const fresh = await this.client.api.call("getChannel", { params: { channelId } });
      const c = this.channel(channelId);
      if (c && c.labels?.join() !== fresh.labels.join()) c.labels = fresh.labels;
      h.denied = undefined;
    } catch (err) {
      if (!isParleyError(err, "forbidden")) return;
      h.denied = err.message || "You may not read this channel.";
    }
    this.#changed();
  }

  /** Page in older history of a channel (no-op while a page is loading or when there is none). */
  async loadOlder(channelId: string): Promise<void> {
    const h = this.history(channelId);
    const c = this.channel(channelId);
    if (h.loadingOlder || !h.hasOlder) return;
    // Asked even when the channel looks empty: its last seq may be stale (an org policy stops the live
    // frames), and the server's refusal is what tells the channel view to say why it shows nothing.
    h.loadingOlder = true;
    this.#changed();
    try {
      const before = Number.isFinite(h.minSeq) ? h.minSeq : Math.max(c?.lastSeq ?? 0, h.maxSeq) + 1;
      // The worker serves this device's own decrypted copy first (MLS ciphertext cannot be opened twice), else decodes the server's page.
      const page = await this.client.olderPage(channelId, before, PAGE);
      h.addOlder(page.events, page.hasMore);
      h.denied = undefined;
    } catch (err) {
      // An org policy can forbid reading a channel one is a member of: say so instead of a blank channel.
      if (!isParleyError(err, "forbidden")) throw err;
      h.denied = err.message || "You may not read this channel.";
      h.hasOlder = false;
    } finally {
      h.loadingOlder = false;
      this.#changed();
    }
  }

  /**
   * Page in older history until message `seq` is loaded (or the channel's readable history ends):
   * a link to a message (a search result) shows it in place. At most `maxPages` pages.
   */
  async loadUntil(channelId: string, seq: number, maxPages = 500): Promise<boolean> {
    const h = this.history(channelId);
    for (let i = 0; i < maxPages && h.minSeq > seq && h.hasOlder;) {
      if (h.loadingOlder) await new Promise((r) => setTimeout(r, 30));
      else {
        await this.loadOlder(channelId);
        i++;
      }
    }
    return h.minSeq <= seq;
  }

  // Past history keys arrived for a channel: decode the pages held again (what could not be read before
  // this device joined now opens from archive copies), newest first.
  async #reread(channelId: string): Promise<void> {
    const h = this.history(channelId);
    h.keysArrived();
    this.#changed();
    let before = h.maxSeq + 1;
    for (let i = 0; i < 100 && Number.isFinite(h.minSeq) && before > h.minSeq; i++) {
      const page = await this.client.olderPage(channelId, before, PAGE);
      if (!page.events.length) break;
      h.addOlder(page.events, page.hasMore);
      before = Math.min(...page.events.map((e) => e.seq));
    }
    this.#changed();
  }

  /**
   * Send what the composer holds: `/poll …` as a poll (sdk polls.ts; a malformed one rejects with
   * what to fix); `/remind …` sets a reminder and sends nothing (the time read in the user's zone,
   * the text sealed in the worker; an unreadable time rejects with what to fix); with `command`, the text runs a slash command (its content says so, encrypted
   * like any message; `bot`: who answers); anything else as a message.
   */
  async send(channelId: string, text: string, threadRoot: number | null = null, command?: { bot?: string }): Promise<void> {
    const poll = /^\/poll(?:\s+([\s\S]*))?$/.exec(text);
    if (poll) {
      await this.client.send(channelId, { kind: "message", ...pollContent(parsePollCommand(poll[1] ?? "")), threadRoot });
      return;
    }
    const remind = /^\/remind(?:\s+([\s\S]*))?$/i.exec(text);
    if (remind) {
      await this.client.reminders("create", parseReminder(remind[1] ?? "", { now: Date.now(), timeZone: this.timeZone }));
      return;
    }
    const mentions = mentionedUserIds(text, [...this.users.values()]);
    const content = (command && slashCommandContent(text, command.bot)) || { text };
    await this.client.send(channelId, { kind: "message", ...content, threadRoot, mentions });
  }

  /** The user's time zone (their profile's, else this device's): `/remind` reads times in it. */
  get timeZone(): string {
    return this.me.timeZone ?? Intl.DateTimeFormat().resolvedOptions().timeZone;
  }

  /** Add a reaction, or retract it when the user already reacted with this emoji. */
  async toggleReaction(channelId: string, target: number, emoji: string): Promise<void> {
    const own = this.history(channelId).ownReaction(target, emoji);
    if (own !== undefined) await this.client.delete(channelId, own);
    else await this.client.react(channelId, target, emoji);
  }

  async edit(channelId: string, seq: number, text: string): Promise<void> {
    await this.client.edit(channelId, seq, text);
  }

  async remove(channelId: string, seq: number): Promise<void> {
    await this.client.delete(channelId, seq);
  }

  async createChannel(name: string, kind: Extract<ChannelKind, "public" | "private">, topic: string, history: HistoryPolicy = "shared"): Promise<MyChannel> {
    const ch = await this.client.createChannel({ name, kind, topic, members: [], history });
    await this.refreshChannels();
    return ch;
  }

  /** Change a channel's history policy (channel admins; any member of a DM). */
  async setHistoryPolicy(channelId: string, history: HistoryPolicy): Promise<void> {
    await this.client.api.call("updateChannel", { params: { channelId }, body: { history } });
    await this.refreshChannels();
  }

  async joinChannel(channelId: string): Promise<void> {
    await this.client.joinChannel(channelId);
    await this.refreshChannels();
  }

  async leaveChannel(channelId: string): Promise<void> {
    await this.client.api.call("leaveChannel", { params: { channelId } });
    await this.refreshChannels();
  }

  async openDm(userIds: string[]): Promise<MyChannel> {
    const ch = await this.client.openDm(userIds);
    await this.refreshChannels();
    return ch;
  }

  async addMembers(channelId: string, userIds: string[]): Promise<void> {
    await this.client.addMembers(channelId, userIds);
  }

  /** The user is typing (throttled by the caller). */
  typing(channelId: string, threadRoot: number | null): void {
    this.client.typing(channelId, threadRoot);
  }

  /** Stop listening and close the client (not a sign-out). */
  async close(): Promise<void> {
    this.#detach();
    await this.client.close();
  }

  /** Sign out: end the session on the server (unless it already ended) and wipe this device's local data. */
  async signOut(): Promise<void> {
    this.#detach();
    await this.client.signOut(!this.ended);
  }

  #detach(): void {
    for (const off of this.#off) off();
    this.#off.length = 0;
    this.ephemeral.close();
    this.presenceWatch.stop();
    if (this.#refreshTimer) clearTimeout(this.#refreshTimer);
    if (this.#readTimer) clearTimeout(this.#readTimer);
  }

  #onEvent(e: ReceivedEvent): void {
    const h = this.history(e.channelId);
    if (!h.add(e)) return;
    if (e.kind === "message") this.ephemeral.stopTyping(e.channelId, e.senderId);
    const c = this.channel(e.channelId);
    if (!c) return this.#scheduleRefresh();
    c.lastSeq = Math.max(c.lastSeq, e.seq);
    if (e.kind !== "message" || e.own) return this.#changed();
    if (e.channelId === this.activeChannelId && document.visibilityState === "visible") {
      this.#markActiveRead();
    } else if (e.seq > c.readSeq) {
      c.unread++;
      if (e.mentions.includes(this.me.id)) c.mentions++;
    }
    this.#changed();
  }

  /** "Mark as unread": the read receipt moves back to just before `seq`; the counts come from the server. */
  async markUnread(channelId: string, seq: number): Promise<void> {
    // A read of this channel still waiting for its debounce would undo the mark as soon as it went out.
    if (this.#readTimer && channelId === this.activeChannelId) {
      clearTimeout(this.#readTimer);
      this.#readTimer = undefined;
    }
    const { readSeq } = await this.client.api.call("markUnread", { params: { channelId }, body: { seq } });
    this.#ownReadMovedBack(channelId, readSeq);
  }

  // Mark-as-unread on this or another device: counts are recomputed by the server, fetched with the list.
  #ownReadMovedBack(channelId: string, seq: number): void {
    const c = this.channel(channelId);
    if (!c || seq >= c.readSeq) return;
    c.readSeq = seq;
    this.firstUnread.set(channelId, seq + 1);
    this.#changed();
    this.#scheduleRefresh();
  }

  #markActiveRead(): void {
    // Debounced: a burst of incoming messages moves the receipt once.
    if (this.#readTimer) return;
    this.#readTimer = setTimeout(() => {
      this.#readTimer = undefined;
      const c = this.channel(this.activeChannelId);
      if (!c) return;
      const seq = Math.max(c.lastSeq, this.history(c.id).maxSeq);
      if (seq <= c.readSeq && c.unread === 0) return;
      c.readSeq = seq;
      c.unread = 0;
      c.mentions = 0;
      this.#changed();
      this.client.markRead(c.id, seq).catch(() => {
        /* the next read moves it; receipts are best effort */
      });
    }, 150);
  }

  #onConnection(ch: ConnectionChange): void {
    this.connection = ch;
    if (ch.state === "revoked") this.#end(ch.reason ?? "this session was revoked");
    if (ch.state === "live" && ch.previous !== "live") this.#scheduleRefresh();
    this.#changed();
  }

  #end(reason: string): void {
    if (this.ended) return;
    this.ended = reason;
    this.#changed();
  }

  #scheduleRefresh(): void {
    if (this.#refreshTimer || this.ended) return;
    this.#refreshTimer = setTimeout(() => {
      this.#refreshTimer = undefined;
      Promise.all([this.refreshChannels(), this.refreshUsers()]).catch(() => {
        /* retried on the next membership item or reconnect */
      });
    }, 300);
  }

  protected changed(): void {
    this.#changed();
  }

  #changed(): void {
    this.version++;
    // One render per frame however many events arrive (a replay delivers thousands back to back).
    if (this.#notifyPending) return;
    this.#notifyPending = true;
    setTimeout(() => {
      this.#notifyPending = false;
      for (const fn of this.#listeners) fn();
    }, 16);
  }
}
