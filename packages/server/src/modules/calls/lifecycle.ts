/**
 * The parts of a call's life other modules trigger inside their own transactions: ending a call,
 * and dropping devices from calls when their user leaves or is removed from the channel, is
 * deactivated, or the device is revoked. A drop is written in the transaction that removes the
 * access, so no committed removal leaves its device in a call; the remaining participants get a
 * `call.state` (change `left`, reason `removed`) and rotate their media keys from the channel's
 * new MLS epoch. Imports nothing from the channels or accounts modules (they import this).
 */
import type { CallEndReason, CallLeaveReason } from "@parley/protocol";
import type { CommandEffects } from "../../command.ts";
import type { Tx } from "../../platform/db/index.ts";
import type { CallRooms } from "./rooms.ts";
import { activeCallOf, endCallRow, leaveParticipants, lockCallRow, presenceOf, presentParticipants, toCall, type CallRow } from "./store.ts";

/**
 * End a call: every device leaves (`ended`), the channel's members get `call.ended`, and after the
 * commit a group call's SFU room goes (when an SFU is wired). False when it had already ended.
 */
export async function endCall(tx: Tx, after: CommandEffects, call: CallRow, reason: CallEndReason, now: number, rooms?: CallRooms): Promise<boolean> {
  if (!(await endCallRow(tx, call.id, reason, now))) return false;
  const left = await leaveParticipants(tx, call.id, "ended", now);
  auditRecordingsStopped(after, call, left, "ended", now);
  if (call.kind === "sfu") after.publish("call.sfu.drop", { callId: call.id, deviceIds: left.map((r) => r.device_id), ended: true });
  after.publish("call.ended", { orgId: call.org_id, channelId: call.channel_id, callId: call.id, reason, endedAt: now });
  // A room the SFU failed to destroy now is an empty room it may expire; the call has ended either way.
  if (call.kind === "sfu" && rooms) after.run(() => void rooms.destroyRoom(call.id).catch(() => undefined));
  return true;
}

/**
 * After devices left a call: end it when nobody is left, or when a 1:1 call that was answered
 * has fewer than two people; otherwise tell the channel who left and why.
 */
export async function afterLeaving(
  tx: Tx,
  after: CommandEffects,
  call: CallRow,
  left: Array<{ user_id: string; device_id: string; recording_since: number | null }>,
  reason: CallLeaveReason,
  now: number,
  rooms?: CallRooms,
): Promise<void> {
  auditRecordingsStopped(after, call, left, reason, now);
  // Their SFU sessions end after the commit, on whichever node holds them (media-events.ts).
  if (call.kind === "sfu" && left.length > 0) after.publish("call.sfu.drop", { callId: call.id, deviceIds: left.map((r) => r.device_id), ended: false });
  const present = await presentParticipants(tx, call.id);
  const people = new Set(present.map((r) => r.user_id));
  if (present.length === 0 || (call.kind === "p2p" && call.answered_at !== null && people.size < 2)) {
    await endCall(tx, after, call, "hangup", now, rooms);
    return;
  }
  const state = await toCall(tx, call);
  for (const r of left) {
    after.publish("call.state", {
      orgId: call.org_id,
      channelId: call.channel_id,
      call: state,
      change: { kind: "left", userId: r.user_id, deviceId: r.device_id, reason },
    });
  }
}

/**
 * A recorder that left (or was dropped, or the call ended) stopped recording: audited like a stop,
 * in the same transaction (every path here runs inside a command, whose effects audit).
 */
function auditRecordingsStopped(
  after: CommandEffects,
  call: CallRow,
  left: Array<{ device_id: string; recording_since: number | null }>,
  reason: CallLeaveReason,
  now: number,
): void {
  for (const r of left) {
    if (r.recording_since === null) continue;
    after.audit({
      action: "call.recording.stopped",
      orgId: call.org_id,
      target: { kind: "call", id: call.id },
      result: "success",
      details: { channelId: call.channel_id, deviceId: r.device_id, durationMs: now - r.recording_since, reason },
    });
  }
}

/** Drop these users' devices from the channel's active call (they left or were removed from the channel). */
export async function dropUsersFromChannelCall(
  tx: Tx,
  after: CommandEffects,
  channelId: string,
  userIds: string[],
  now: number,
  rooms?: CallRooms,
): Promise<void> {
  if (userIds.length === 0) return;
  const call = await activeCallOf(tx, channelId);
  if (!call) return;
  const ids = (await presentParticipants(tx, call.id)).filter((r) => userIds.includes(r.user_id)).map((r) => r.id);
  if (ids.length === 0) return;
  await lockCallRow(tx, call.id);
  const left = await leaveParticipants(tx, call.id, "removed", now, ids);
  await afterLeaving(tx, after, call, left, "removed", now, rooms);
}

/**
 * Drop a user's devices (all of them, or these) from every active call of the org: `removed`
 * (device revoked, user deactivated) or `disconnected` (no connection for a while, presence.ts).
 */
export async function dropDevicesFromCalls(
  tx: Tx,
  after: CommandEffects,
  orgId: string,
  who: { userId: string } | { deviceIds: string[] },
  now: number,
  rooms?: CallRooms,
  reason: Extract<CallLeaveReason, "removed" | "disconnected"> = "removed",
): Promise<void> {
  if ("deviceIds" in who && who.deviceIds.length === 0) return;
  const rows = await presenceOf(tx, orgId, "userId" in who ? { userIds: [who.userId] } : { deviceIds: who.deviceIds });
  const byCall = new Map<string, string[]>();
  for (const r of rows) byCall.set(r.call_id, [...(byCall.get(r.call_id) ?? []), r.id]);
  for (const [callId, ids] of byCall) {
    await lockCallRow(tx, callId);
    const call = await tx.selectFrom("calls").selectAll().where("id", "=", callId).executeTakeFirstOrThrow();
    if (call.ended_at !== null) continue;
    const left = await leaveParticipants(tx, callId, reason, now, ids);
    await afterLeaving(tx, after, call, left, reason, now, rooms);
  }
}

/** The channel is deleted: its active call ends. */
export async function endChannelCall(tx: Tx, after: CommandEffects, channelId: string, now: number, rooms?: CallRooms): Promise<void> {
  const call = await activeCallOf(tx, channelId);
  if (call) await endCall(tx, after, call, "channel_deleted", now, rooms);
}
