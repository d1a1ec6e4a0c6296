/**
 * Inbox commands (issue 13): list the caller's mentions and followed threads, follow /
 * unfollow / read a thread, and mark a channel unread from a message. Lists read only the
 * caller's rows joined to their current memberships, so a channel they left or another org's
 * channel never shows, and drop the channels an org policy forbids them to read (as the
 * gateway drops their events); thread and channel commands load the channel through the
 * principal (channelFor) first, and validate everything before they write.
 */
import { z } from "zod";
import type { InboxThread, MentionItem, ThreadState } from "@parley/protocol";
import type { Deps, DeviceActor } from "../../context.ts";
import { AppError } from "../../core/errors.ts";
import { runCommand } from "../../command.ts";
import { channelFor } from "../channels/access.ts";
import { findEventRow } from "../messages/store.ts";
import { ensureThreadRow, findFollow, followedThreadRows, mentionRows, putFollow, type PageKey } from "./store.ts";

const CursorKey = z.tuple([z.number().int().nonnegative(), z.string().min(1).max(64), z.number().int().nonnegative()]);

function encodeCursor(k: PageKey): string {
  return Buffer.from(JSON.stringify(k)).toString("base64url");
}

function decodeCursor(cursor: string | undefined): PageKey | undefined {
  if (cursor === undefined) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
  } catch {
    parsed = undefined;
  }
  const r = CursorKey.safeParse(parsed);
  if (!r.success) throw new AppError("bad_request", "cursor is not one this server returned");
  return r.data;
}

/**
 * The page's items in channels `p` may read: with the org's policies enabled, each distinct
 * channel is checked as a read of it would be (channelFor + authorize); items of a channel a
 * policy forbids are dropped (the page may come out short; the cursor still moves past them).
 * Also what the mention email counts (notifications/mention-email.ts), for the user it goes to.
 */
export async function readable<T extends { channelId: string }>(deps: Deps, p: DeviceActor, items: T[]): Promise<T[]> {
  if ((p.access?.org.current.policySetId ?? null) === null) return items;
  const allowed = new Set<string>();
  for (const id of new Set(items.map((i) => i.channelId))) {
    try {
      await channelFor(deps.db, p, id, "channel.read");
      allowed.add(id);
    } catch (err) {
      if (!(err instanceof AppError)) throw err;
    }
  }
  return items.filter((i) => allowed.has(i.channelId));
}

/** The page and the cursor of the next one (null when this page is the last). */
function paged<T>(rows: T[], limit: number, key: (last: T) => PageKey): { items: T[]; next: string | null } {
  const items = rows.slice(0, limit);
  return { items, next: rows.length > limit ? encodeCursor(key(items[items.length - 1]!)) : null };
}

export async function listMentions(
  deps: Deps,
  p: DeviceActor,
  q: { cursor?: string | undefined; limit: number; unreadOnly: "true" | "false" },
): Promise<{ mentions: MentionItem[]; next: string | null }> {
  const before = decodeCursor(q.cursor);
  const rows = await mentionRows(deps.db, p.orgId, p.userId, { before, limit: q.limit + 1, unreadOnly: q.unreadOnly === "true" });
  const { items, next } = paged(rows, q.limit, (m) => [m.createdAt, m.channelId, m.seq]);
  return { mentions: await readable(deps, p, items), next };
}

export async function listFollowedThreads(
  deps: Deps,
  p: DeviceActor,
  q: { cursor?: string | undefined; limit: number },
): Promise<{ threads: InboxThread[]; next: string | null }> {
  const before = decodeCursor(q.cursor);
  const rows = await followedThreadRows(deps.db, p.orgId, p.userId, { before, limit: q.limit + 1 });
  const { items, next } = paged(rows, q.limit, (t) => [t.lastReplyAt, t.channelId, t.rootSeq]);
  return { threads: await readable(deps, p, items), next };
}

/** The channel (a member's, readable) and the thread's root, or the error; nothing written. */
async function loadThread(deps: Deps, p: DeviceActor, channelId: string, rootSeq: number) {
  const ch = await channelFor(deps.db, p, channelId, "channel.read");
  if (!ch.membership) throw new AppError("forbidden", "join the channel first");
  const root = await findEventRow(deps.db, channelId, rootSeq);
  if (!root || root.kind !== "message" || root.thread_root !== null) throw new AppError("not_found", "thread not found");
  return { seq: Number(root.seq), sender_id: root.sender_id, created_at: Number(root.created_at) };
}

/** The caller's state in a thread (not following, read up to 0, when they never took part in it). */
export async function threadState(deps: Deps, p: DeviceActor, channelId: string, rootSeq: number): Promise<ThreadState> {
  await loadThread(deps, p, channelId, rootSeq);
  const row = await findFollow(deps.db, p.userId, channelId, rootSeq);
  return { channelId, rootSeq, following: row?.following === 1, readSeq: row?.readSeq ?? 0 };
}

type ThreadChange = (current: { following: number | null; readSeq: number } | undefined, lastReplySeq: number) => { following: number | null; readSeq: number };

/** Change the caller's state in a thread and tell their devices (`thread` frame) when it changed. */
async function changeThread(deps: Deps, p: DeviceActor, channelId: string, rootSeq: number, name: string, change: ThreadChange): Promise<ThreadState> {
  const root = await loadThread(deps, p, channelId, rootSeq);
  return runCommand(deps, p, name, async (tx, fx) => {
    const { lastReplySeq } = await ensureThreadRow(tx, channelId, root);
    const current = await findFollow(tx, p.userId, channelId, rootSeq);
    const next = change(current, lastReplySeq);
    const state: ThreadState = { channelId, rootSeq, following: next.following === 1, readSeq: next.readSeq };
    if (current && current.following === next.following && current.readSeq === next.readSeq) return state;
    await putFollow(tx, { userId: p.userId, channelId, rootSeq, ...next, now: deps.now() });
    fx.publish("thread.state", { orgId: p.orgId, userId: p.userId, ...state });
    return state;
  });
}

/** Follow a thread; a thread followed for the first time starts read up to its last reply. */
export function followThread(deps: Deps, p: DeviceActor, channelId: string, rootSeq: number): Promise<ThreadState> {
  return changeThread(deps, p, channelId, rootSeq, "inbox.followThread", (cur, last) => ({ following: 1, readSeq: cur?.readSeq ?? last }));
}

/** Unfollow a thread: it leaves the inbox and later replies or mentions do not follow it again. */
export function unfollowThread(deps: Deps, p: DeviceActor, channelId: string, rootSeq: number): Promise<ThreadState> {
  return changeThread(deps, p, channelId, rootSeq, "inbox.unfollowThread", (cur, last) => ({ following: 0, readSeq: cur?.readSeq ?? last }));
}

/** Move the caller's read position in a thread forward to `seq` (capped at its last reply). */
export function markThreadRead(deps: Deps, p: DeviceActor, channelId: string, rootSeq: number, seq: number): Promise<ThreadState> {
  return changeThread(deps, p, channelId, rootSeq, "inbox.markThreadRead", (cur, last) => ({
    following: cur?.following ?? null,
    readSeq: Math.max(cur?.readSeq ?? 0, Math.min(seq, last)),
  }));
}

/**
 * Mark the channel unread from `seq` on: the read receipt moves back to `seq - 1` (never
 * forwards). The unread and mention counts follow from the receipt; the user's other devices
 * (and the channel's members, as for every receipt) get the usual `read` frame.
 */
export async function markUnread(deps: Deps, p: DeviceActor, channelId: string, seq: number): Promise<number> {
  const ch = await channelFor(deps.db, p, channelId, "channel.read");
  if (!ch.membership) throw new AppError("forbidden", "join the channel first");
  if (seq > Number(ch.row.last_seq)) throw new AppError("not_found", "no event with this seq in the channel");
  return runCommand(deps, p, "inbox.markUnread", async (tx, fx) => {
    const target = seq - 1;
    const moved = await tx
      .updateTable("channel_members")
      .set({ read_seq: target })
      .where("channel_id", "=", channelId)
      .where("user_id", "=", p.userId)
      .where("read_seq", ">", target)
      .executeTakeFirst();
    if (Number(moved.numUpdatedRows) > 0) {
      fx.publish("channel.read", { orgId: p.orgId, channelId, userId: p.userId, seq: target });
      return target;
    }
    const m = await tx.selectFrom("channel_members").select("read_seq").where("channel_id", "=", channelId).where("user_id", "=", p.userId).executeTakeFirst();
    return Number(m?.read_seq ?? 0);
  });
}
