/**
 * What the inbox shows, fetched through the client worker: the server's metadata (mentions,
 * followed threads, unread channels' events) and each item's text decrypted on this device from
 * its own history — or null when this device cannot read it.
 */
import type { InboxThread, MentionItem, MyChannel } from "@parley/protocol";
import type { ReceivedEvent } from "@parley/sdk";
import type { ChatStore } from "../client/chat-store.ts";

/** An item's text as this device reads it; null: not available on this device. */
export type ItemText = string | null;

/** Where an inbox item opens: its channel at the message, or its thread with the reply marked. */
export function itemPath(i: { channelId: string; seq: number; threadRoot: number | null }): string {
  return i.threadRoot ? `/c/${i.channelId}?thread=${i.threadRoot}&at=${i.seq}` : `/c/${i.channelId}?at=${i.seq}`;
}

function textOf(e: ReceivedEvent | undefined): ItemText {
  return e && !e.content.decodeError && typeof e.text === "string" ? e.text : null;
}

/** Event `seq`'s text on this device (null when it cannot be read here, or the server has no such event). */
async function readText(chat: ChatStore, channelId: string, seq: number): Promise<ItemText> {
  try {
    return textOf(await chat.client.eventAt(channelId, seq));
  } catch {
    return null;
  }
}

export interface MentionRow extends MentionItem {
  text: ItemText;
}
export interface ThreadRow extends InboxThread {
  text: ItemText;
}
/** An unread message of a channel, decrypted here (null text: not readable on this device). */
export interface UnreadRow {
  channelId: string;
  seq: number;
  senderId: string;
  threadRoot: number | null;
  createdAt: number;
  text: ItemText;
}

export async function loadMentions(chat: ChatStore, cursor?: string): Promise<{ rows: MentionRow[]; next: string | null }> {
  const r = await chat.client.api.call("listMentions", { query: { limit: 30, unreadOnly: "false", ...(cursor ? { cursor } : {}) } });
  const rows = await Promise.all(r.mentions.map(async (m) => ({ ...m, text: await readText(chat, m.channelId, m.seq) })));
  return { rows, next: r.next };
}

export async function loadThreads(chat: ChatStore, cursor?: string): Promise<{ rows: ThreadRow[]; next: string | null }> {
  const r = await chat.client.api.call("listInboxThreads", { query: { limit: 30, ...(cursor ? { cursor } : {}) } });
  const rows = await Promise.all(r.threads.map(async (t) => ({ ...t, text: await readText(chat, t.channelId, t.rootSeq) })));
  return { rows, next: r.next };
}

/** What changed in the inbox: a list's first page should be fetched again. */
export type InboxChange = "mentions" | "threads";

/**
 * Call `changed` (debounced, at most every `delayMs`) when a list of the inbox may have changed:
 * a message mentioning the user or deleting one (Mentions), a thread reply arriving, or the user's
 * follow or read state in a thread changing on any of their devices (`thread` frame; Threads).
 * Replying and being mentioned follow a thread on the server without a frame, hence the replies.
 * Returns the unsubscribe.
 */
export function watchInbox(chat: ChatStore, changed: (what: InboxChange) => void, delayMs = 250): () => void {
  const pending = new Set<InboxChange>();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const mark = (what: InboxChange) => {
    pending.add(what);
    timer ??= setTimeout(() => {
      timer = undefined;
      const all = [...pending];
      pending.clear();
      for (const w of all) changed(w);
    }, delayMs);
  };
  const offs = [
    chat.client.on("event", (e) => {
      if (e.kind === "message" && e.mentions.includes(chat.me.id)) mark("mentions");
      if (e.kind === "delete") mark("mentions");
      if (e.kind === "message" && e.threadRoot !== null) mark("threads");
    }),
    chat.client.on("thread", () => mark("threads")),
  ];
  return () => {
    for (const off of offs) off();
    if (timer) clearTimeout(timer);
  };
}

/** Others' unread replies across the threads the user follows (the first page's; each capped at THREAD_UNREAD_CAP). */
export async function threadUnread(chat: ChatStore): Promise<number> {
  const r = await chat.client.api.call("listInboxThreads", { query: { limit: 50 } });
  return r.threads.reduce((n, t) => n + t.unread, 0);
}

/** Up to `perChannel` unread messages (others', after the read receipt) of each channel with unreads. */
export async function loadUnreads(chat: ChatStore, channels: MyChannel[], perChannel = 20): Promise<Array<{ channel: MyChannel; rows: UnreadRow[] }>> {
  return Promise.all(
    channels
      .filter((c) => c.unread > 0)
      .map(async (channel) => {
        const page = await chat.client.api.call("listEvents", { params: { channelId: channel.id }, query: { after: channel.readSeq, limit: 100 } });
        const events = (await chat.client.decode(page.events)).filter((e) => e.kind === "message" && !e.own).slice(0, perChannel);
        return {
          channel,
          rows: events.map((e) => ({
            channelId: e.channelId,
            seq: e.seq,
            senderId: e.senderId,
            threadRoot: e.threadRoot,
            createdAt: e.createdAt,
            text: textOf(e),
          })),
        };
      }),
  );
}
