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
