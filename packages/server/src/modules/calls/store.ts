/** Queries of the calls module: calls, their participants (devices) and rings. */
import type { Call, CallParticipant } from "@parley/protocol";
import type { CallParticipantsTable, CallsTable } from "../../platform/db/call-tables.ts";
import type { Db, Tx } from "../../platform/db/index.ts";

type Q = Db | Tx;
export type CallRow = CallsTable;
type ParticipantRow = CallParticipantsTable;

export async function findCall(q: Q, orgId: string, callId: string): Promise<CallRow | undefined> {
  return q.selectFrom("calls").selectAll().where("id", "=", callId).where("org_id", "=", orgId).executeTakeFirst();
}

/**
 * Lock the call's row for this transaction on either dialect (a no-op update: PostgreSQL locks the
 * row, SQLite serialises writers anyway), so concurrent departures see each other's: the last one
 * out ends the call. For code that does not know the dialect.
 */
export async function lockCallRow(tx: Tx, callId: string): Promise<void> {
  await tx.updateTable("calls").set({ id: callId }).where("id", "=", callId).execute();
}

/** The call row locked for this transaction (PostgreSQL; SQLite serialises writers anyway). */
export async function lockCall(tx: Tx, orgId: string, callId: string, postgres: boolean): Promise<CallRow | undefined> {
  let q = tx.selectFrom("calls").selectAll().where("id", "=", callId).where("org_id", "=", orgId);
  if (postgres) q = q.forUpdate();
  return q.executeTakeFirst();
}

export async function activeCallOf(q: Q, channelId: string): Promise<CallRow | undefined> {
  return q.selectFrom("calls").selectAll().where("active_channel", "=", channelId).executeTakeFirst();
}

export async function insertCall(tx: Tx, row: CallRow): Promise<void> {
  await tx.insertInto("calls").values(row).execute();
}

export async function endCallRow(tx: Tx, callId: string, reason: string, now: number): Promise<boolean> {
  const r = await tx
    .updateTable("calls")
    .set({ ended_at: now, end_reason: reason, active_channel: null })
    .where("id", "=", callId)
    .where("ended_at", "is", null)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}

export async function markAnswered(tx: Tx, callId: string, now: number): Promise<void> {
  await tx.updateTable("calls").set({ answered_at: now }).where("id", "=", callId).where("answered_at", "is", null).execute();
}

export async function presentParticipants(q: Q, callId: string): Promise<ParticipantRow[]> {
  return q.selectFrom("call_participants").selectAll().where("call_id", "=", callId).where("left_at", "is", null).orderBy("joined_at").orderBy("id").execute();
}

export async function findPresent(q: Q, callId: string, deviceId: string): Promise<ParticipantRow | undefined> {
  return q
    .selectFrom("call_participants")
    .selectAll()
    .where("call_id", "=", callId)
    .where("device_id", "=", deviceId)
    .where("left_at", "is", null)
    .executeTakeFirst();
}

export async function insertParticipant(tx: Tx, row: ParticipantRow): Promise<void> {
  await tx.insertInto("call_participants").values(row).execute();
}

/** Mark present participants (all of the call's, or only these rows) left; returns the rows that left. */
export async function leaveParticipants(tx: Tx, callId: string, reason: string, now: number, ids?: string[]): Promise<ParticipantRow[]> {
  const present = (await presentParticipants(tx, callId)).filter((r) => !ids || ids.includes(r.id));
  if (present.length === 0) return [];
  await tx
    .updateTable("call_participants")
    // Leaving ends a recording: the row says the device no longer records.
    .set({ left_at: now, leave_reason: reason, recording_since: null })
    .where(
      "id",
      "in",
      present.map((r) => r.id),
    )
    .where("left_at", "is", null)
    .execute();
  return present;
}

export async function setMedia(
  tx: Tx,
  participantId: string,
  set: Partial<Pick<ParticipantRow, "audio_muted" | "video_muted" | "screen_sharing" | "hand_raised">>,
): Promise<void> {
  await tx.updateTable("call_participants").set(set).where("id", "=", participantId).execute();
}

/** Start (since `since`) or stop (null) a participant's recording. */
export async function setRecording(tx: Tx, participantId: string, since: number | null): Promise<void> {
  await tx.updateTable("call_participants").set({ recording_since: since }).where("id", "=", participantId).execute();
}

/** Active calls' present participants in an org: of these users, of these devices, or those recording now. */
export async function presenceOf(
  q: Q,
  orgId: string,
  by: { userIds: string[] } | { deviceIds: string[] } | { recording: true },
): Promise<Array<ParticipantRow & { channel_id: string }>> {
  let query = q
    .selectFrom("call_participants")
    .innerJoin("calls", "calls.id", "call_participants.call_id")
    .selectAll("call_participants")
    .select("calls.channel_id")
    .where("calls.org_id", "=", orgId)
    .where("calls.ended_at", "is", null)
    .where("call_participants.left_at", "is", null);
  if ("userIds" in by) query = query.where("call_participants.user_id", "in", by.userIds);
  else if ("deviceIds" in by) query = query.where("call_participants.device_id", "in", by.deviceIds);
  else query = query.where("call_participants.recording_since", "is not", null);
  return query.execute();
}

export async function insertRings(tx: Tx, callId: string, userIds: string[]): Promise<void> {
  if (userIds.length === 0) return;
  await tx
    .insertInto("call_rings")
    .values(userIds.map((user_id) => ({ call_id: callId, user_id, answer: null, answered_at: null })))
    .execute();
}

/** Record a rung user's answer; false when the call did not ring them or they already answered. */
export async function answerRing(tx: Tx, callId: string, userId: string, answer: string, now: number): Promise<boolean> {
  const r = await tx
    .updateTable("call_rings")
    .set({ answer, answered_at: now })
    .where("call_id", "=", callId)
    .where("user_id", "=", userId)
    .where("answer", "is", null)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}

export async function ringsOf(q: Q, callId: string): Promise<Array<{ user_id: string; answer: string | null }>> {
  return q.selectFrom("call_rings").select(["user_id", "answer"]).where("call_id", "=", callId).execute();
}

/** Active calls of an org, newest first; only these channels' when given. */
export async function activeCalls(q: Q, orgId: string, channelIds?: string[]): Promise<CallRow[]> {
  if (channelIds && channelIds.length === 0) return [];
  let query = q.selectFrom("calls").selectAll().where("org_id", "=", orgId).where("ended_at", "is", null);
  if (channelIds) query = query.where("channel_id", "in", channelIds);
  return query.orderBy("started_at", "desc").execute();
}

/** Server-wide counts for the metrics gauges. */
export async function activeCounts(q: Q): Promise<{ calls: number; participants: number }> {
  const calls = await q
    .selectFrom("calls")
    .select((e) => e.fn.countAll<number>().as("n"))
    .where("ended_at", "is", null)
    .executeTakeFirstOrThrow();
  const parts = await q
    .selectFrom("call_participants")
    .innerJoin("calls", "calls.id", "call_participants.call_id")
    .select((e) => e.fn.countAll<number>().as("n"))
    .where("calls.ended_at", "is", null)
    .where("call_participants.left_at", "is", null)
    .executeTakeFirstOrThrow();
  return { calls: Number(calls.n), participants: Number(parts.n) };
}

function toParticipant(r: ParticipantRow): CallParticipant {
  return {
    userId: r.user_id,
    deviceId: r.device_id,
    joinedAt: r.joined_at,
    audioMuted: r.audio_muted === 1,
    videoMuted: r.video_muted === 1,
    screenSharing: r.screen_sharing === 1,
    handRaised: r.hand_raised === 1,
    recording: r.recording_since !== null,
  };
}

export async function toCall(q: Q, r: CallRow): Promise<Call> {
  const present = r.ended_at === null ? await presentParticipants(q, r.id) : [];
  return {
    id: r.id,
    channelId: r.channel_id,
    kind: r.kind as Call["kind"],
    startedBy: r.started_by,
    startedAt: r.started_at,
    endedAt: r.ended_at,
    endReason: r.end_reason as Call["endReason"],
    participants: present.map(toParticipant),
  };
}
