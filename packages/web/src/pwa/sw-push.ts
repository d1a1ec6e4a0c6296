/**
 * Opening a pushed message in the service worker while no tab runs the client (issue 13). A
 * Web Push names a message (org, channel, seq, sender) and carries no content; the device's
 * keys, session and decrypted history are in IndexedDB (client worker: idb-store.ts,
 * event-cache.ts, the key store). Bundled into /sw.js by vite-plugin.ts as `ParleyPush`.
 *
 * - The device's Web Lock decides who may touch its MLS state (client/device-lock.ts): a tab
 *   that holds it is asked, as before (`busy`). When none does, the worker takes it (and
 *   SW_LOCK, so a tab opening meanwhile waits rather than saying "open in another tab"),
 *   resumes the saved session headless (no WebSocket), catches up the user's stream and the
 *   pushed channel, and reads the message from its decrypted copy — stored in the event cache,
 *   so the tab later shows it without decrypting it again. The client is closed (group states
 *   and the rotated refresh token saved) before the lock is released.
 * - The user's settings are applied on the device as the tab does (level, channel override,
 *   do-not-disturb, keywords opened from the key locker): a message they say not to notify of
 *   (the channel was muted after the push was sent) is `quiet`: nothing is shown.
 * - The answer comes within a budget: past it, or when the message cannot be opened (signed
 *   out, another org's push, a message that never arrives or does not decrypt), `unknown` and
 *   the worker says "New message". The work still finishes (and closes cleanly) after that.
 * - A tab taking the device over meanwhile (steal) makes the worker close at once and say
 *   "released" on the lock's BroadcastChannel, as a tab does.
 */
import { BrowserKeyStore } from "@parley/crypto/browser";
import { shouldNotify } from "@parley/protocol";
import { callEventOf, ParleyClient, type ReceivedEvent } from "@parley/sdk";
import { DEVICE_LOCK, SW_LOCK } from "../client/device-lock.ts";
import { matchKeyword } from "../notify/keywords.ts";
import { messageNotice, type MessageNotice } from "../notify/message-notice.ts";
import { callEventNotifies, callMessageNotice } from "../notify/call-notice.ts";
import { EventCache } from "../worker/event-cache.ts";
import { IdbStore } from "../worker/idb-store.ts";

/** A push's ids (checked by the caller: strings and a safe integer seq). */
export interface PushedMessage {
  orgId: string;
  channelId: string;
  seq: number;
}

/** Show this, stay quiet (the settings say so), cannot open it, or a tab runs the client (ask it). */
export type Opened = { show: MessageNotice } | { quiet: true } | { unknown: true } | { busy: true };

/** How long the worker works on a push before it says "New message". */
export const BUDGET_MS = 8_000;
/** Names looked up for a group DM's title. */
const MAX_NAMES = 6;

const isDirect = (kind: string): boolean => kind === "dm" || kind === "group_dm";

/** What a notification needs of the channel (the stored list's entry, or the server's). */
interface ChannelFacts {
  kind: string;
  name: string;
  dmUserIds?: string[] | undefined;
}

/**
 * Open pushed message `push` on this device: `answer` resolves within `budgetMs`; `settled`
 * once the device's state is saved and its lock released (keep the push event alive until then).
 */
export function openPushed(push: PushedMessage, budgetMs = BUDGET_MS): { answer: Promise<Opened>; settled: Promise<void> } {
  let answer!: (a: Opened) => void;
  const answered = new Promise<Opened>((resolve) => (answer = resolve));
  const timer = setTimeout(() => answer({ unknown: true }), budgetMs);
  const run = new HeadlessRun();
  const settled = (async () => {
    // Without Web Locks nothing says whether a tab runs the client: ask the tabs, as before.
    if (!navigator.locks) return answer({ busy: true });
    await navigator.locks
      .request(DEVICE_LOCK, { ifAvailable: true }, async (lock) => {
        if (!lock) return answer({ busy: true });
        await navigator.locks.request(SW_LOCK, async () => {
          try {
            answer(await run.open(push));
          } finally {
            await run.close();
          }
        });
      })
      .catch(async (err: unknown) => {
        // AbortError: a tab took the device over. Stop first, then tell it to go ahead (device-lock.ts).
        if ((err as Error).name !== "AbortError") throw err;
        await run.close();
        const channel = new BroadcastChannel(DEVICE_LOCK);
        channel.postMessage("released");
        channel.close();
      });
  })()
    .catch(() => answer({ unknown: true }))
    .finally(() => {
      clearTimeout(timer);
      answer({ unknown: true }); // no-op when answered
    });
  return { answer: answered, settled };
}

/** One headless run of the device's client, closed once. */
class HeadlessRun {
  #keys: BrowserKeyStore | undefined;
  #cache: EventCache | undefined;
  #store: IdbStore | undefined;
  #client: ParleyClient | undefined;
  /** Set by close(): an open() still under way stops at its next step (and close() runs again after it). */
  #stopped = false;

  async open(push: PushedMessage): Promise<Opened> {
    const keys = (this.#keys = await BrowserKeyStore.open());
    const cache = (this.#cache = await EventCache.open(keys));
    const store = (this.#store = await IdbStore.open(keys, { history: cache }));
    if (this.#stopped) return { unknown: true };
    const session = await store.loadSession();
    // Signed out, or a push for another org's session of this browser (a stale subscription).
    if (!session || session.orgId !== push.orgId || this.#stopped) return { unknown: true };
    const client = (this.#client = await ParleyClient.resume({ store, e2ee: { keyStore: keys } }));
    if (this.#stopped) return { unknown: true };
    let found: ReceivedEvent | undefined;
    client.on("event", (e) => {
      // Every decrypted event goes to the device's history, as the client worker keeps it: the tab reads it from there.
      cache.put(e);
      if (e.channelId === push.channelId && e.seq === push.seq) found = e;
    });
    // The tab may have decrypted it before it closed.
    found = (await cache.before(push.channelId, push.seq + 1, 1)).find((e) => e.seq === push.seq);
    if (!found) await client.catchUpChannel(push.channelId);
    const e = found as ReceivedEvent | undefined;
    if (!e || e.kind !== "message" || e.content.decodeError !== undefined || this.#stopped) return { unknown: true };
    const channel: ChannelFacts =
      (await store.loadChannels()).find((c) => c.id === push.channelId) ?? (await client.api.call("getChannel", { params: { channelId: push.channelId } }));
    if (!(await this.#notifies(client, e, channel))) return { quiet: true };
    // A call's event (sdk call-events.ts): a fresh start rings ("Incoming call"), a missed call says so, the rest stays quiet.
    const call = callEventOf(e.content);
    if (call && !callEventNotifies(call, e.createdAt, Date.now())) return { quiet: true };
    const name = (id: string) =>
      client.api.call("getUser", { params: { id } }).then(
        (u) => u.displayName,
        () => "Unknown user",
      );
    const sender = await name(e.senderId);
    let title = channel.name;
    if (channel.kind === "group_dm") {
      const others = (channel.dmUserIds ?? []).filter((id) => id !== session.userId).slice(0, MAX_NAMES);
      title = (await Promise.all(others.map(name))).join(", ");
    }
    const caller = call ? await name(call.startedBy ?? e.senderId) : sender;
    return { show: callMessageNotice(e, () => caller, { kind: channel.kind, title }) ?? messageNotice(e, sender, { kind: channel.kind, title }) };
  }

  /** Whether the user's settings say to notify of `e` (the rule the tab applies: notify/notifier.ts). */
  async #notifies(client: ParleyClient, e: ReceivedEvent, channel: ChannelFacts): Promise<boolean> {
    if (e.own) return false;
    const settings = await client.api.call("getNotificationSettings");
    const keywords = (await client.e2ee?.locker.openKeywords(settings.keywordsSealed).catch(() => undefined)) ?? [];
    const me = client.userId;
    const keyword = e.text !== undefined && matchKeyword(e.text, keywords) !== undefined;
    const facts = { senderId: e.senderId, mentions: keyword ? [...e.mentions, me] : e.mentions, direct: isDirect(channel.kind) };
    const override = settings.channels.find((c) => c.channelId === e.channelId)?.level;
    return shouldNotify(me, facts, settings, override, Date.now());
  }

  /** Close the client (its group states and session saved), then the stores: whatever is open now. */
  async close(): Promise<void> {
    this.#stopped = true;
    const [client, cache, store, keys] = [this.#client, this.#cache, this.#store, this.#keys];
    this.#client = this.#cache = this.#store = this.#keys = undefined;
    await client?.close().catch(() => undefined);
    await cache?.flush().catch(() => undefined);
    cache?.close();
    await store?.close().catch(() => undefined);
    keys?.close();
  }
}
