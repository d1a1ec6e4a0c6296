/**
 * Desktop notifications and the app badge for a signed-in tab (issue 13). Message text is read
 * on this device only, from what it decrypted:
 *
 * - In-tab: a message the user's notification settings say to notify of (by default a direct
 *   message or a mention; protocol's shouldNotify, the rule the server's pushes follow) arriving
 *   while the tab is in the background (hidden, or its window not focused) is shown through the
 *   service worker's registration, tagged by channel and seq. A message containing one of the
 *   user's keywords (keywords.ts; the list is sealed to their key locker and opened in the worker)
 *   counts as a mention. The settings are read at start and
 *   again whenever the tab loses the user's attention (a change made here is then in force).
 * - Push: a Web Push names a message (org, channel, seq, sender; no content). While a tab runs the
 *   client (holds the device lock) the service worker (pwa/sw-template.js) asks the open tabs (with
 *   none, it opens the message itself: pwa/sw-push.ts); this answers from the tab's decrypted history,
 *   waiting a few seconds for a message still on its way over the socket, or says to stay quiet
 *   when the user is looking at that channel. The same tag makes the in-tab notification and
 *   the push's one the same notification.
 * - A click on a notification: the service worker focuses a tab and posts the message's path.
 * - Badge: unread direct messages plus unread mentions, on the installed app's icon.
 * - Calls: a ring in the background and a missed call (call-notifier.ts); a call's event messages
 *   notify through that, not as messages.
 */
import { DEFAULT_NOTIFY_SETTINGS, shouldNotify, type NotificationSettings } from "@parley/protocol";
import { callEventOf, type ReceivedEvent } from "@parley/sdk";
import type { ChatStore } from "../client/chat-store.ts";
import { onChannelEvent } from "../client/extras.ts";
import { navigate } from "../router.ts";
import { messageNotice, messagePath, type MessageNotice } from "./message-notice.ts";
import { matchKeyword } from "./keywords.ts";
import { watchCallNotices } from "./call-notifier.ts";

/** How long a push's lookup waits for its message to arrive on this tab's socket. */
const ARRIVAL_WAIT_MS = 5_000;
/** Older messages (a catch-up after the tab was offline) do not pop up one by one: the unread counts show them. */
const FRESH_MS = 2 * 60_000;

/** The service worker's question about a push (see sw-template.js). */
interface PushLookup {
  type: "PARLEY_PUSH";
  push: { orgId?: unknown; channelId?: unknown; seq?: unknown; senderId?: unknown };
}

/** The answer: show this, stay quiet (the user is looking at it), or this tab cannot open it. */
export type PushAnswer = { show: MessageNotice } | { quiet: true } | { unknown: true };

const isDirect = (kind: string | undefined): boolean => kind === "dm" || kind === "group_dm";

/** Whether this tab is out of the user's sight (another tab, another window, minimised). */
function inBackground(): boolean {
  return document.visibilityState !== "visible" || !document.hasFocus();
}

/** The signed-in tab's notifier (none: signed out, or another tab has the device). */
let active: Notifier | undefined;
const activate = (n: Notifier | undefined): void => {
  active = n;
};

/**
 * Answer the service worker from the moment the page loads: a tab that is not running the app
 * (signed out, or showing "in use in another tab") says at once that it cannot open a pushed
 * message, so the worker does not wait for it. Called once, at startup.
 */
export function answerServiceWorker(): void {
  if (!("serviceWorker" in navigator)) return;
  navigator.serviceWorker.addEventListener("message", (ev: MessageEvent) => {
    const m = ev.data as { type?: unknown; path?: unknown; push?: PushLookup["push"] } | null;
    if (m?.type === "PARLEY_OPEN") {
      // Only the app's own message paths: the worker builds them from the notification's data.
      if (active && typeof m.path === "string" && /^\/c\/[^/?#]+(\?[a-z0-9=&]*)?$/i.test(m.path)) navigate(m.path);
      return;
    }
    const port = ev.ports[0];
    if (m?.type !== "PARLEY_PUSH" || !port) return;
    const asked = active ? active.answer(m.push ?? {}) : Promise.resolve<PushAnswer>({ unknown: true });
    void asked.catch((): PushAnswer => ({ unknown: true })).then((a) => port.postMessage(a));
  });
  // Messages posted before the listener existed are held until this.
  navigator.serviceWorker.startMessages();
}

export class Notifier {
  readonly #chat: ChatStore;
  readonly #off: Array<() => void> = [];
  /** Lookups waiting for a message to arrive: key channel/seq. */
  readonly #waiting = new Map<string, Array<(e: ReceivedEvent) => void>>();
  #badge = -1;
  /** The user's keywords, opened from the settings (empty when this device cannot open them). */
  #keywords: string[] = [];
  #settings: NotificationSettings = {
    ...DEFAULT_NOTIFY_SETTINGS,
    dndSchedule: [],
    channels: [],
    email: { enabled: false, delayMinutes: 15 },
    keywordsSealed: null,
  };

  constructor(chat: ChatStore) {
    this.#chat = chat;
  }

  /** Listen to the client, the service worker and the store (the badge). */
  start(): void {
    this.#off.push(onChannelEvent(this.#chat, (e) => this.#onEvent(e)));
    this.#off.push(this.#chat.subscribe(() => this.#updateBadge()));
    this.#off.push(watchCallNotices({ chat: this.#chat, background: inBackground, show: (n) => this.#show(n) }));
    activate(this);
    this.#updateBadge();
    const reload = () => void this.#loadSettings();
    addEventListener("blur", reload);
    document.addEventListener("visibilitychange", reload);
    this.#off.push(() => {
      removeEventListener("blur", reload);
      document.removeEventListener("visibilitychange", reload);
    });
    reload();
  }

  stop(): void {
    for (const off of this.#off.splice(0)) off();
    if (active === this) activate(undefined);
    this.#waiting.clear();
    if (this.#badge > 0) void navigator.clearAppBadge?.().catch(() => undefined);
  }

  /** Answer the service worker's question about pushed message `push`. */
  async answer(push: PushLookup["push"]): Promise<PushAnswer> {
    const { channelId, seq } = push;
    if (push.orgId !== this.#chat.org.id || typeof channelId !== "string" || typeof seq !== "number") return { unknown: true };
    const channel = this.#chat.channel(channelId);
    if (!channel) return { unknown: true };
    if (channelId === this.#chat.activeChannelId && !inBackground()) return { quiet: true };
    const e = this.#chat.history(channelId).event(seq) ?? (await this.#arrival(channelId, seq));
    if (!e || e.content.decodeError !== undefined || e.kind !== "message") return { unknown: true };
    // Rings and missed calls are this tab's to show (call-notifier.ts).
    if (callEventOf(e.content)) return { quiet: true };
    return { show: this.#notice(e) };
  }

  async #loadSettings(): Promise<void> {
    try {
      this.#settings = await this.#chat.client.api.call("getNotificationSettings");
      this.#keywords = (await this.#chat.client.openKeywords(this.#settings.keywordsSealed).catch(() => undefined)) ?? [];
    } catch {
      // Offline: the last settings read stay in force.
    }
  }

  #notice(e: ReceivedEvent): MessageNotice {
    const channel = this.#chat.channel(e.channelId);
    return messageNotice(e, this.#chat.userName(e.senderId), {
      kind: channel?.kind ?? "public",
      title: channel ? this.#chat.channelTitle(channel) : "",
    });
  }

  /** The message once it arrives on the socket (undefined after ARRIVAL_WAIT_MS). */
  #arrival(channelId: string, seq: number): Promise<ReceivedEvent | undefined> {
    const key = `${channelId}/${seq}`;
    return new Promise((resolve) => {
      const list = this.#waiting.get(key) ?? [];
      const timer = setTimeout(() => {
        const rest = (this.#waiting.get(key) ?? []).filter((f) => f !== done);
        if (rest.length) this.#waiting.set(key, rest);
        else this.#waiting.delete(key);
        resolve(undefined);
      }, ARRIVAL_WAIT_MS);
      const done = (e: ReceivedEvent) => {
        clearTimeout(timer);
        resolve(e);
      };
      list.push(done);
      this.#waiting.set(key, list);
    });
  }

  #onEvent(e: ReceivedEvent): void {
    const key = `${e.channelId}/${e.seq}`;
    const waiters = this.#waiting.get(key);
    if (waiters) {
      this.#waiting.delete(key);
      for (const f of waiters) f(e);
    }
    if (!this.#forMe(e) || !inBackground()) return;
    void this.#show(this.#notice(e));
  }

  /** A new message of someone else's, decrypted and not yet read, that the user's settings say to notify of. */
  #forMe(e: ReceivedEvent): boolean {
    if (e.kind !== "message" || e.own || e.content.decodeError !== undefined || callEventOf(e.content)) return false;
    const channel = this.#chat.channel(e.channelId);
    if (!channel || e.seq <= channel.readSeq || Date.now() - e.createdAt > FRESH_MS) return false;
    const override = this.#settings.channels.find((c) => c.channelId === e.channelId)?.level;
    // A keyword in the decrypted text notifies like a mention of the user.
    const keyword = e.text !== undefined && matchKeyword(e.text, this.#keywords) !== undefined;
    const facts = { senderId: e.senderId, mentions: keyword ? [...e.mentions, this.#chat.me.id] : e.mentions, direct: isDirect(channel.kind) };
    return shouldNotify(this.#chat.me.id, facts, this.#settings, override, Date.now());
  }

  async #show(n: MessageNotice & { requireInteraction?: boolean }): Promise<void> {
    if (!("Notification" in window) || Notification.permission !== "granted") return;
    const options: NotificationOptions = {
      body: n.body,
      tag: n.tag,
      data: n.data,
      icon: "/icons/icon-192.png",
      ...(n.requireInteraction ? { requireInteraction: true } : {}),
    };
    try {
      // Through the service worker when there is one: its notifications survive the tab and open the message on click.
      const reg = "serviceWorker" in navigator ? await navigator.serviceWorker.getRegistration() : undefined;
      if (reg) return await reg.showNotification(n.title, options);
      const shown = new Notification(n.title, options);
      shown.onclick = () => {
        window.focus();
        this.#open(n.data);
      };
    } catch {
      // Notifications blocked at the OS level: the unread counts still show it.
    }
  }

  #open(d: MessageNotice["data"]): void {
    navigate(messagePath(d.channelId, d.seq, d.threadRoot));
  }

  /** Unread direct messages plus unread mentions elsewhere, on the app icon (installed app; Chromium). */
  #updateBadge(): void {
    let n = 0;
    for (const c of this.#chat.channels) n += isDirect(c.kind) ? c.unread : c.mentions;
    if (n === this.#badge || !("setAppBadge" in navigator)) return;
    this.#badge = n;
    void (n ? navigator.setAppBadge(n) : navigator.clearAppBadge()).catch(() => undefined);
  }
}
