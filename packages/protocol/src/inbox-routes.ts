/**
 * The inbox routes of API v1 (issue 13): the caller's mentions across their channels, the
 * threads they follow with unread reply counts, follow / unfollow / mark a thread read, and
 * mark a channel unread from a message. Metadata only: the device decrypts each item from its
 * own history. Part of the route table in routes.ts.
 */
import { z } from "zod";
import { route } from "./route.ts";
import { EventKind, Id, Seq, Timestamp } from "./models.ts";
import { DEFAULT_LIMITS } from "./limits.ts";

const Limit = z.coerce.number().int().min(1).max(DEFAULT_LIMITS.pageSize).default(50);
/** An opaque page cursor handed back by the server (`next`); at most 200 characters. */
export const InboxCursor = z
  .string()
  .max(200)
  .regex(/^[A-Za-z0-9_-]+$/, "not a cursor returned by the server");
const ThreadParams = z.object({ channelId: Id, rootSeq: z.coerce.number().int().min(1) });

/** One mention of the caller: where, who and when; the text is decrypted on the device. */
export const MentionItem = z.object({
  channelId: Id,
  seq: Seq,
  kind: EventKind,
  senderId: Id,
  /** The thread the mentioning event belongs to, or null for the channel's main timeline. */
  threadRoot: Seq.nullable(),
  createdAt: Timestamp,
  /** After the caller's read receipt in that channel. */
  unread: z.boolean(),
});
export type MentionItem = z.infer<typeof MentionItem>;

/** A thread the caller follows (took part in, was mentioned in, or followed explicitly). */
export const InboxThread = z.object({
  channelId: Id,
  rootSeq: Seq,
  rootSenderId: Id,
  replies: z.number().int().nonnegative(),
  lastReplySeq: Seq,
  lastReplyAt: Timestamp,
  /** The caller's read position in the thread: replies after it are unread. */
  readSeq: Seq,
  /** Others' replies after `readSeq`, capped at {@link THREAD_UNREAD_CAP}. */
  unread: z.number().int().nonnegative(),
});
export type InboxThread = z.infer<typeof InboxThread>;

/** Unread reply counts above this are reported as this (clients show "100+"). */
export const THREAD_UNREAD_CAP = 100;

/** The caller's state in one thread (the answer of follow/unfollow/read, and the `thread` frame). */
export const ThreadState = z.object({ channelId: Id, rootSeq: Seq, following: z.boolean(), readSeq: Seq });
export type ThreadState = z.infer<typeof ThreadState>;

/** Inbox routes (issue 13). */
export const inboxRoutes = {
  listMentions: route({
    method: "GET",
    path: "/inbox/mentions",
    tag: "inbox",
    auth: "user",
    summary: "The caller's mentions in the channels they are a member of, newest first",
    query: z.object({ cursor: InboxCursor.optional(), limit: Limit, unreadOnly: z.enum(["true", "false"]).default("false") }),
    response: z.object({ mentions: z.array(MentionItem), next: z.string().nullable() }),
  }),
  listInboxThreads: route({
    method: "GET",
    path: "/inbox/threads",
    tag: "inbox",
    auth: "user",
    summary: "Threads the caller follows in the channels they are a member of, most recent reply first",
    query: z.object({ cursor: InboxCursor.optional(), limit: Limit }),
    response: z.object({ threads: z.array(InboxThread), next: z.string().nullable() }),
  }),
  getThreadState: route({
    method: "GET",
    path: "/channels/:channelId/threads/:rootSeq/follow",
    tag: "inbox",
    auth: "user",
    summary: "The caller's state in a thread: whether they follow it and how far they have read it",
    params: ThreadParams,
    response: ThreadState,
  }),
  followThread: route({
    method: "PUT",
    path: "/channels/:channelId/threads/:rootSeq/follow",
    tag: "inbox",
    auth: "user",
    summary: "Follow a thread (its replies show in the inbox)",
    params: ThreadParams,
    response: ThreadState,
  }),
  unfollowThread: route({
    method: "DELETE",
    path: "/channels/:channelId/threads/:rootSeq/follow",
    tag: "inbox",
    auth: "user",
    summary: "Stop following a thread; replying or being mentioned later does not follow it again",
    params: ThreadParams,
    response: ThreadState,
  }),
  markThreadRead: route({
    method: "POST",
    path: "/channels/:channelId/threads/:rootSeq/read",
    tag: "inbox",
    auth: "user",
    summary: "The caller has read the thread up to `seq` (never moves backwards; capped at its last reply)",
    params: ThreadParams,
    body: z.object({ seq: Seq }),
    response: ThreadState,
  }),
  markUnread: route({
    method: "POST",
    path: "/channels/:channelId/unread",
    tag: "inbox",
    auth: "user",
    summary: "Mark the channel unread from `seq` on: the read receipt moves back to just before it (never forwards)",
    params: z.object({ channelId: Id }),
    body: z.object({ seq: z.number().int().min(1) }),
    response: z.object({ readSeq: Seq }),
  }),
} as const;
