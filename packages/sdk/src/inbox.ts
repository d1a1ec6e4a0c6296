/**
 * The inbox part of the client API (issue 13): the server's metadata about the user's mentions
 * and followed threads, thread follow/read state, and "mark as unread". The server never has the
 * text: open an item with `client.eventAt(channelId, seq)`, which decrypts it on this device
 * (or says why it cannot).
 */
import type { InboxThread, MentionItem, ThreadState } from "@parley/protocol";
import type { Api } from "./http.ts";

/** One page of a newest-first inbox list; pass `next` back as `cursor` for the following page (null: the end). */
export interface InboxPage<T> {
  items: T[];
  next: string | null;
}

export class Inbox {
  readonly #api: Api;
  constructor(api: Api) {
    this.#api = api;
  }

  /** The user's mentions in channels they are a member of, newest first, each flagged `unread` after the read receipt. */
  async mentions(opts: { cursor?: string; limit?: number; unreadOnly?: boolean } = {}): Promise<InboxPage<MentionItem>> {
    const r = await this.#api.call("listMentions", {
      query: { limit: opts.limit ?? 50, unreadOnly: opts.unreadOnly ? "true" : "false", ...(opts.cursor ? { cursor: opts.cursor } : {}) },
    });
    return { items: r.mentions, next: r.next };
  }

  /** Threads the user follows, latest reply first, with others' unread replies after the user's read position. */
  async threads(opts: { cursor?: string; limit?: number } = {}): Promise<InboxPage<InboxThread>> {
    const r = await this.#api.call("listInboxThreads", { query: { limit: opts.limit ?? 50, ...(opts.cursor ? { cursor: opts.cursor } : {}) } });
    return { items: r.threads, next: r.next };
  }

  /** The user's state in a thread: whether they follow it (replying or a mention follows it too) and their read position. */
  threadState(channelId: string, rootSeq: number): Promise<ThreadState> {
    return this.#api.call("getThreadState", { params: { channelId, rootSeq } });
  }

  /** Follow a thread (it shows in {@link threads}). */
  followThread(channelId: string, rootSeq: number): Promise<ThreadState> {
    return this.#api.call("followThread", { params: { channelId, rootSeq } });
  }

  /** Unfollow a thread; replying or being mentioned in it later does not follow it again. */
  unfollowThread(channelId: string, rootSeq: number): Promise<ThreadState> {
    return this.#api.call("unfollowThread", { params: { channelId, rootSeq } });
  }

  /** The user has read the thread up to reply `seq` (never moves backwards). */
  markThreadRead(channelId: string, rootSeq: number, seq: number): Promise<ThreadState> {
    return this.#api.call("markThreadRead", { params: { channelId, rootSeq }, body: { seq } });
  }

  /** Mark the channel unread from event `seq` on (the read receipt moves back to `seq - 1`); resolves to the new receipt. */
  async markUnread(channelId: string, seq: number): Promise<number> {
    return (await this.#api.call("markUnread", { params: { channelId }, body: { seq } })).readSeq;
  }
}
