/**
 * Event queries. Content is stored as the decoded bytes and returned as
 * base64; the server never looks inside it.
 */
import { sql } from "kysely";
import type { Event, EventKind, ThreadSummary } from "@parley/protocol";
import type { Db, Tx } from "../../platform/db/index.ts";
import type { EventsTable } from "../../platform/db/tables.ts";

export type Q = Db | Tx;
export type EventRow = EventsTable;

export function toEvent(r: EventRow, contentB64?: string): Event {
  const event: Event = {
    id: r.id,
    channelId: r.channel_id,
    seq: Number(r.seq),
    clientId: r.client_id,
    senderId: r.sender_id,
    senderDeviceId: r.sender_device_id,
    kind: r.kind,
    epoch: Number(r.epoch),
    generation: Number(r.generation ?? 0),
    content: contentB64 ?? Buffer.from(r.content).toString("base64"),
    threadRoot: r.thread_root === null ? null : Number(r.thread_root),
    target: r.target === null ? null : Number(r.target),
    mentions: JSON.parse(r.mentions) as string[],
    createdAt: Number(r.created_at),
    files: r.files && r.files !== "[]" ? (JSON.parse(r.files) as string[]) : [],
  };
  // Only events that carry one show the field (most JSON stays as it was).
  if (r.archive) event.archive = Buffer.from(r.archive).toString("base64");
  return event;
}

/** What validation needs to know about a referenced event. */
export interface EventRef {
  seq: number;
  kind: EventKind;
  sender_id: string;
  thread_root: number | null;
  /** When the event was written (ms): edits are checked against the org's edit window. */
  created_at: number;
}

export async function findEventByClientId(q: Q, channelId: string, clientId: string): Promise<EventRow | undefined> {
  return q.selectFrom("events").selectAll().where("channel_id", "=", channelId).where("client_id", "=", clientId).executeTakeFirst();
}

/**
 * Events with seq > afterSeq, oldest first: at most `limit`, and — when
 * `maxBytes` is given — no more than fit in `maxBytes` of content and archive copies (always at
 * least one). The sizes are read first (length() reads no blob), so a page of
 * large events never loads more than it returns.
 */
export async function eventsAfter(q: Q, channelId: string, afterSeq: number, limit: number, maxBytes?: number): Promise<{ events: Event[]; hasMore: boolean }> {
  if (maxBytes === undefined) {
    const rows = await q
      .selectFrom("events")
      .selectAll()
      .where("channel_id", "=", channelId)
      .where("seq", ">", afterSeq)
      .orderBy("seq", "asc")
      .limit(limit + 1)
      .execute();
    return { events: rows.slice(0, limit).map((r) => toEvent(r)), hasMore: rows.length > limit };
  }
  const sizes = await q
    .selectFrom("events")
    .select(["seq", sql<number>`length(content) + coalesce(length(archive), 0)`.as("size")])
    .where("channel_id", "=", channelId)
    .where("seq", ">", afterSeq)
    .orderBy("seq", "asc")
    .limit(limit + 1)
    .execute();
  let n = 0;
  let bytes = 0;
  for (; n < Math.min(limit, sizes.length); n++) {
    bytes += Number(sizes[n]!.size);
    if (n > 0 && bytes > maxBytes) break;
  }
  if (n === 0) return { events: [], hasMore: false };
  // Seqs are gap-free and committed in order, so (afterSeq, last] holds exactly these n events.
  const last = Number(sizes[n - 1]!.seq);
  const rows = await q
    .selectFrom("events")
    .selectAll()
    .where("channel_id", "=", channelId)
    .where("seq", ">", afterSeq)
    .where("seq", "<=", last)
    .orderBy("seq", "asc")
    .execute();
  return { events: rows.map((r) => toEvent(r)), hasMore: sizes.length > n };
}

/** Events with seq < beforeSeq (or the newest when undefined), newest first. */
export async function eventsBefore(q: Q, channelId: string, beforeSeq: number | undefined, limit: number): Promise<{ events: Event[]; hasMore: boolean }> {
  let query = q.selectFrom("events").selectAll().where("channel_id", "=", channelId);
  if (beforeSeq !== undefined) query = query.where("seq", "<", beforeSeq);
  const rows = await query
    .orderBy("seq", "desc")
    .limit(limit + 1)
    .execute();
  return { events: rows.slice(0, limit).map((r) => toEvent(r)), hasMore: rows.length > limit };
}

export async function findEventRow(q: Q, channelId: string, seq: number): Promise<EventRow | undefined> {
  return q.selectFrom("events").selectAll().where("channel_id", "=", channelId).where("seq", "=", seq).executeTakeFirst();
}

/** A thread's events (replies and the reactions/edits/deletes on them), oldest first. */
export async function threadEvents(q: Q, channelId: string, rootSeq: number, afterSeq: number, limit: number): Promise<{ events: Event[]; hasMore: boolean }> {
  const rows = await q
    .selectFrom("events")
    .selectAll()
    .where("channel_id", "=", channelId)
    .where("thread_root", "=", rootSeq)
    .where("seq", ">", afterSeq)
    .orderBy("seq", "asc")
    .limit(limit + 1)
    .execute();
  return { events: rows.slice(0, limit).map((r) => toEvent(r)), hasMore: rows.length > limit };
}

/** Threads of a channel, most recently replied first. Only message replies count. */
export async function threadSummaries(q: Q, channelId: string, limit: number): Promise<ThreadSummary[]> {
  const rows = await q
    .selectFrom("events")
    .where("channel_id", "=", channelId)
    .where("thread_root", "is not", null)
    .where("kind", "=", "message")
    .select((eb) => ["thread_root", eb.fn.countAll<number>().as("replies"), eb.fn.max("seq").as("last_seq"), eb.fn.max("created_at").as("last_at")])
    .groupBy("thread_root")
    .orderBy("last_seq", "desc")
    .limit(limit)
    .execute();
  return rows.map((r) => ({ rootSeq: Number(r.thread_root), replies: Number(r.replies), lastReplySeq: Number(r.last_seq), lastReplyAt: Number(r.last_at) }));
}
