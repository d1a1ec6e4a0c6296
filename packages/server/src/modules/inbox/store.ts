/** Queries of the inbox: a user's mentions and followed threads, bounded pages on their indexes. */
import { THREAD_UNREAD_CAP, type InboxThread, type MentionItem } from "@parley/protocol";
import type { Q } from "../channels/store.ts";
import type { Tx } from "../../platform/db/index.ts";

/** Where a page ends: (time, channel id, seq) of its last item, newest-first order. */
export type PageKey = readonly [number, string, number];

/** A user's mentions in channels of `orgId` they are still a member of, newest first. */
export async function mentionRows(q: Q, orgId: string, userId: string, opts: { before: PageKey | undefined; limit: number; unreadOnly: boolean }) {
  let query = q
    .selectFrom("mentions as x")
    // Only channels the user is still in: a left channel's mentions stay invisible.
    .innerJoin("channel_members as m", (j) => j.onRef("m.channel_id", "=", "x.channel_id").onRef("m.user_id", "=", "x.user_id"))
    .innerJoin("channels as c", "c.id", "x.channel_id")
    .innerJoin("events as e", (j) => j.onRef("e.channel_id", "=", "x.channel_id").onRef("e.seq", "=", "x.seq"))
    .select(["x.channel_id", "x.seq", "x.created_at", "e.kind", "e.sender_id", "e.thread_root", "m.read_seq"])
    .where("x.user_id", "=", userId)
    .where("c.org_id", "=", orgId);
  if (opts.unreadOnly) query = query.whereRef("x.seq", ">", "m.read_seq");
  const b = opts.before;
  if (b)
    query = query.where((eb) =>
      eb.or([
        eb("x.created_at", "<", b[0]),
        eb.and([eb("x.created_at", "=", b[0]), eb.or([eb("x.channel_id", "<", b[1]), eb.and([eb("x.channel_id", "=", b[1]), eb("x.seq", "<", b[2])])])]),
      ]),
    );
  const rows = await query.orderBy("x.created_at", "desc").orderBy("x.channel_id", "desc").orderBy("x.seq", "desc").limit(opts.limit).execute();
  return rows.map((r): MentionItem => ({
    channelId: r.channel_id,
    seq: Number(r.seq),
    kind: r.kind,
    senderId: r.sender_id,
    threadRoot: r.thread_root === null ? null : Number(r.thread_root),
    createdAt: Number(r.created_at),
    unread: Number(r.seq) > Number(r.read_seq),
  }));
}

/** Threads `userId` follows in channels of `orgId` they are a member of, latest reply first. */
export async function followedThreadRows(q: Q, orgId: string, userId: string, opts: { before: PageKey | undefined; limit: number }): Promise<InboxThread[]> {
  let query = q
    .selectFrom("thread_follows as f")
    .innerJoin("threads as t", (j) => j.onRef("t.channel_id", "=", "f.channel_id").onRef("t.root_seq", "=", "f.root_seq"))
    .innerJoin("channel_members as m", (j) => j.onRef("m.channel_id", "=", "f.channel_id").onRef("m.user_id", "=", "f.user_id"))
    .innerJoin("channels as c", "c.id", "f.channel_id")
    .select(["t.channel_id", "t.root_seq", "t.root_sender_id", "t.replies", "t.last_reply_seq", "t.last_reply_at", "f.read_seq"])
    .select((eb) =>
      // Others' replies after the read position, counted over at most THREAD_UNREAD_CAP rows of
      // the events_thread index.
      eb
        .selectFrom(
          eb
            .selectFrom("events as e")
            .whereRef("e.channel_id", "=", "f.channel_id")
            .whereRef("e.thread_root", "=", "f.root_seq")
            .whereRef("e.seq", ">", "f.read_seq")
            .where("e.kind", "=", "message")
            .where("e.sender_id", "<>", userId)
            .select("e.seq")
            .limit(THREAD_UNREAD_CAP)
            .as("u"),
        )
        .select(eb.fn.countAll<number>().as("n"))
        .as("unread"),
    )
    .where("f.user_id", "=", userId)
    .where("f.following", "=", 1)
    .where("c.org_id", "=", orgId);
  const b = opts.before;
  if (b)
    query = query.where((eb) =>
      eb.or([
        eb("t.last_reply_at", "<", b[0]),
        eb.and([
          eb("t.last_reply_at", "=", b[0]),
          eb.or([eb("t.channel_id", "<", b[1]), eb.and([eb("t.channel_id", "=", b[1]), eb("t.root_seq", "<", b[2])])]),
        ]),
      ]),
    );
  const rows = await query.orderBy("t.last_reply_at", "desc").orderBy("t.channel_id", "desc").orderBy("t.root_seq", "desc").limit(opts.limit).execute();
  return rows.map((r) => ({
    channelId: r.channel_id,
    rootSeq: Number(r.root_seq),
    rootSenderId: r.root_sender_id,
    replies: Number(r.replies),
    lastReplySeq: Number(r.last_reply_seq),
    lastReplyAt: Number(r.last_reply_at),
    readSeq: Number(r.read_seq),
    unread: Math.min(THREAD_UNREAD_CAP, Number(r.unread ?? 0)),
  }));
}

/** The thread's counters row, created (no replies yet) for a root that has none. */
export async function ensureThreadRow(tx: Tx, channelId: string, root: { seq: number; sender_id: string; created_at: number }) {
  await tx
    .insertInto("threads")
    .values({ channel_id: channelId, root_seq: root.seq, root_sender_id: root.sender_id, replies: 0, last_reply_seq: root.seq, last_reply_at: root.created_at })
    .onConflict((oc) => oc.columns(["channel_id", "root_seq"]).doNothing())
    .execute();
  const t = await tx
    .selectFrom("threads")
    .select("last_reply_seq")
    .where("channel_id", "=", channelId)
    .where("root_seq", "=", root.seq)
    .executeTakeFirstOrThrow();
  return { lastReplySeq: Number(t.last_reply_seq) };
}

/** A user's row for a thread, if any. */
export async function findFollow(q: Q, userId: string, channelId: string, rootSeq: number) {
  const r = await q
    .selectFrom("thread_follows")
    .select(["following", "read_seq"])
    .where("user_id", "=", userId)
    .where("channel_id", "=", channelId)
    .where("root_seq", "=", rootSeq)
    .executeTakeFirst();
  return r ? { following: r.following === null ? null : Number(r.following), readSeq: Number(r.read_seq) } : undefined;
}

/** Write a user's state in a thread (insert or replace both fields). */
export async function putFollow(tx: Tx, row: { userId: string; channelId: string; rootSeq: number; following: number | null; readSeq: number; now: number }) {
  await tx
    .insertInto("thread_follows")
    .values({ user_id: row.userId, channel_id: row.channelId, root_seq: row.rootSeq, following: row.following, read_seq: row.readSeq, updated_at: row.now })
    .onConflict((oc) =>
      oc.columns(["user_id", "channel_id", "root_seq"]).doUpdateSet({
        following: row.following,
        read_seq: row.readSeq,
        updated_at: row.now,
      }),
    )
    .execute();
}
