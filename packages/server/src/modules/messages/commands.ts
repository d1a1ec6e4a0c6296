/**
 * Event commands. Contract used by the WebSocket gateway:
 *
 * - `sendEvent(deps, principal, channelId, input: SendEvent): Promise<{ event, duplicate }>` —
 *   validates, then persists through the server's group-commit writer (messages/event-writer.ts);
 *   resolves after the commit; "channel.event" is published after it. Resending a clientId
 *   returns the original event with `duplicate: true`.
 * - `markRead(deps, principal, channelId, seq): Promise<number>` — the new read seq (never moves
 *   backwards nor beyond the channel's last seq); publishes "channel.read" after commit if it moved.
 * - `listEventsAfter(db, channelId, afterSeq, limit, maxBytes): Promise<{ events: Event[]; hasMore: boolean }>` —
 *   replay page, oldest first, bounded by count and content bytes, no authorization (the caller already knows the user's channels,
 *   see `listMyChannelHeads` in modules/channels/commands.ts).
 */
import type { Event, SendEvent, ThreadSummary } from "@parley/protocol";
import type { Deps, DeviceActor } from "../../context.ts";
import type { Db } from "../../platform/db/index.ts";
import { AppError } from "../../core/errors.ts";
import { runCommand } from "../../command.ts";
import { channelFor } from "../channels/access.ts";
import { checkShape } from "./validate-send.ts";
import { eventsAfter, eventsBefore, findEventByClientId, findEventRow, threadEvents, threadSummaries, toEvent } from "./store.ts";
import { eventWriterOf, type WriteResult } from "./event-writer.ts";

/** Append an event to a channel (idempotent per clientId). Checks needing the database run in the batch. */
export async function sendEvent(deps: Deps, p: DeviceActor, channelId: string, input: SendEvent): Promise<WriteResult> {
  const shaped = checkShape(deps, channelId, input);
  return eventWriterOf(deps).submit(deps, { principal: p, channelId, input, ...shaped });
}

/** Move the read receipt forward to `seq` (capped at the channel's last seq). */
export async function markRead(deps: Deps, p: DeviceActor, channelId: string, seq: number): Promise<number> {
  const ch = await channelFor(deps.db, p, channelId, "channel.read");
  if (!ch.membership) throw new AppError("forbidden", "join the channel first");
  return runCommand(deps, p, "messages.markRead", async (tx, after) => {
    const c = await tx.selectFrom("channels").select("last_seq").where("id", "=", channelId).executeTakeFirstOrThrow();
    const target = Math.min(seq, Number(c.last_seq));
    const moved = await tx
      .updateTable("channel_members")
      .set({ read_seq: target })
      .where("channel_id", "=", channelId)
      .where("user_id", "=", p.userId)
      .where("read_seq", "<", target)
      .executeTakeFirst();
    if (Number(moved.numUpdatedRows) > 0) {
      after.publish("channel.read", { orgId: p.orgId, channelId, userId: p.userId, seq: target });
      return target;
    }
    const m = await tx.selectFrom("channel_members").select("read_seq").where("channel_id", "=", channelId).where("user_id", "=", p.userId).executeTakeFirst();
    return Number(m?.read_seq ?? 0);
  });
}

/** Replay page for the gateway: events after `afterSeq`, oldest first, at most `limit` and about `maxBytes` of content. */
export function listEventsAfter(db: Db, channelId: string, afterSeq: number, limit: number, maxBytes: number): Promise<{ events: Event[]; hasMore: boolean }> {
  return eventsAfter(db, channelId, afterSeq, limit, maxBytes);
}

/** Page through a channel: oldest first after `after`, else newest first before `before` (or from the end). */
export async function listEvents(
  deps: Deps,
  p: DeviceActor,
  channelId: string,
  q: { before?: number | undefined; after?: number | undefined; limit: number },
): Promise<{ events: Event[]; hasMore: boolean }> {
  await channelFor(deps.db, p, channelId, "channel.read");
  if (q.after !== undefined && q.before !== undefined) throw new AppError("bad_request", "give either before or after, not both");
  if (q.after !== undefined) return eventsAfter(deps.db, channelId, q.after, q.limit);
  return eventsBefore(deps.db, channelId, q.before, q.limit);
}

export async function getEventByClientId(deps: Deps, p: DeviceActor, channelId: string, clientId: string): Promise<Event> {
  await channelFor(deps.db, p, channelId, "channel.read");
  const row = await findEventByClientId(deps.db, channelId, clientId);
  if (!row) throw new AppError("not_found", "event not found");
  return toEvent(row);
}

export async function listThreads(deps: Deps, p: DeviceActor, channelId: string, limit: number): Promise<ThreadSummary[]> {
  await channelFor(deps.db, p, channelId, "channel.read");
  return threadSummaries(deps.db, channelId, limit);
}

export async function getThread(
  deps: Deps,
  p: DeviceActor,
  channelId: string,
  rootSeq: number,
  q: { after?: number | undefined; limit: number },
): Promise<{ root: Event; events: Event[]; hasMore: boolean }> {
  await channelFor(deps.db, p, channelId, "channel.read");
  const root = await findEventRow(deps.db, channelId, rootSeq);
  if (!root || root.kind !== "message" || root.thread_root !== null) throw new AppError("not_found", "thread not found");
  const page = await threadEvents(deps.db, channelId, rootSeq, q.after ?? 0, q.limit);
  return { root: toEvent(root), ...page };
}
