/**
 * Inbox bookkeeping written in the event writer's transaction (messages/event-writer.ts), so an
 * event and what the inbox derives from it commit together. Thread replies: per thread one
 * upsert of `threads`; the replier follows the thread and has read up to their reply; the root's
 * author and users mentioned in a reply follow it, unless they unfollowed it before (that
 * sticks). Deletes: the deleted message's mention rows go, so it leaves the Mentions view and
 * the mention counts.
 */
import { sql } from "kysely";
import type { Tx } from "../../platform/db/index.ts";

/** A persisted event as far as threads care. */
export interface ThreadedEvent {
  channel_id: string;
  seq: number;
  kind: string;
  sender_id: string;
  thread_root: number | null;
  target: number | null;
  /** JSON array of user ids (the events column). */
  mentions: string;
  created_at: number;
}

interface FollowRow {
  user_id: string;
  channel_id: string;
  root_seq: number;
  following: number;
  read_seq: number;
  updated_at: number;
}

/** Record what the inbox derives from `events` (a batch, seq order per channel). */
export async function recordInboxActivity(tx: Tx, events: ThreadedEvent[]): Promise<void> {
  const deletes = new Map<string, number[]>();
  for (const e of events) if (e.kind === "delete" && e.target !== null) deletes.set(e.channel_id, [...(deletes.get(e.channel_id) ?? []), e.target]);
  for (const [channelId, seqs] of deletes) await tx.deleteFrom("mentions").where("channel_id", "=", channelId).where("seq", "in", seqs).execute();
  await recordThreadReplies(tx, events);
}

async function recordThreadReplies(tx: Tx, events: ThreadedEvent[]): Promise<void> {
  const replies = events.filter((e) => e.kind === "message" && e.thread_root !== null);
  if (replies.length === 0) return;
  const byThread = new Map<string, ThreadedEvent[]>();
  for (const r of replies) {
    const k = `${r.channel_id}\n${r.thread_root}`;
    byThread.set(k, [...(byThread.get(k) ?? []), r]);
  }
  for (const list of byThread.values()) {
    const first = list[0]!;
    const last = list[list.length - 1]!;
    const root = await tx
      .selectFrom("events")
      .select("sender_id")
      .where("channel_id", "=", first.channel_id)
      .where("seq", "=", first.thread_root!)
      .executeTakeFirstOrThrow();
    await tx
      .insertInto("threads")
      .values({
        channel_id: first.channel_id,
        root_seq: first.thread_root!,
        root_sender_id: root.sender_id,
        replies: list.length,
        last_reply_seq: last.seq,
        last_reply_at: last.created_at,
      })
      .onConflict((oc) =>
        oc.columns(["channel_id", "root_seq"]).doUpdateSet({
          replies: sql<number>`threads.replies + ${list.length}`,
          last_reply_seq: (eb) => eb.ref("excluded.last_reply_seq"),
          last_reply_at: (eb) => eb.ref("excluded.last_reply_at"),
        }),
      )
      .execute();

    // Repliers: follow and have read up to their own latest reply (moves forward only).
    const repliers = new Map<string, FollowRow>();
    for (const r of list) repliers.set(r.sender_id, follow(r.sender_id, r, r.seq));
    for (const row of repliers.values())
      await tx
        .insertInto("thread_follows")
        .values(row)
        .onConflict((oc) =>
          oc.columns(["user_id", "channel_id", "root_seq"]).doUpdateSet({
            following: sql<number>`COALESCE(thread_follows.following, 1)`,
            read_seq: sql<number>`CASE WHEN excluded.read_seq > thread_follows.read_seq THEN excluded.read_seq ELSE thread_follows.read_seq END`,
            updated_at: (eb) => eb.ref("excluded.updated_at"),
          }),
        )
        .execute();
    // The root's author and the mentioned: follow, with the replies before unread for the
    // author (all of them) and from the mentioning reply on for the mentioned.
    const others = new Map<string, FollowRow>();
    if (!repliers.has(root.sender_id)) others.set(root.sender_id, follow(root.sender_id, first, first.thread_root!));
    for (const r of list) for (const u of JSON.parse(r.mentions) as string[]) if (!repliers.has(u) && !others.has(u)) others.set(u, follow(u, r, r.seq - 1));
    for (const row of others.values())
      await tx
        .insertInto("thread_follows")
        .values(row)
        .onConflict((oc) => oc.columns(["user_id", "channel_id", "root_seq"]).doUpdateSet({ following: 1 }).where("thread_follows.following", "is", null))
        .execute();
  }
}

function follow(userId: string, e: ThreadedEvent, readSeq: number): FollowRow {
  return { user_id: userId, channel_id: e.channel_id, root_seq: e.thread_root!, following: 1, read_seq: readSeq, updated_at: e.created_at };
}

/** Retention removed these events: threads rooted at them leave every inbox (same transaction). */
export async function forgetThreads(tx: Tx, channelId: string, seqs: number[]): Promise<void> {
  if (seqs.length === 0) return;
  await tx.deleteFrom("thread_follows").where("channel_id", "=", channelId).where("root_seq", "in", seqs).execute();
  await tx.deleteFrom("threads").where("channel_id", "=", channelId).where("root_seq", "in", seqs).execute();
}
