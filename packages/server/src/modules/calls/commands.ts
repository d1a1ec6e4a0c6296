/**
 * Call commands (issue 14): start, answer (accept, decline, busy), cancel, join, leave and media
 * state, each one transaction through runCommand. A call belongs to one channel or DM and only
 * its members who may post take part; another org's call is never found. docs/calls.md
 * ("Signalling") describes the flow.
 */
import { CALL_LIMITS, type Call, type CallChange } from "@parley/protocol";
import type { DeviceActor, Deps } from "../../context.ts";
import { runCommand, type CommandEffects } from "../../command.ts";
import { AppError } from "../../core/errors.ts";
import { LimitExceeded } from "../../platform/limits/index.ts";
import type { Tx } from "../../platform/db/index.ts";
import { newId } from "../../platform/ids.ts";
import { channelFor } from "../channels/access.ts";
import { memberIds } from "../channels/store.ts";
import { afterLeaving, endCall } from "./lifecycle.ts";
import {
  activeCallOf,
  answerRing,
  findPresent,
  insertCall,
  insertParticipant,
  insertRings,
  leaveParticipants,
  lockCall,
  markAnswered,
  presentParticipants,
  ringsOf,
  setMedia,
  toCall,
  type CallRow,
} from "./store.ts";

/** The durable job that ends a call nobody answered (`missed`). */
const RING_TIMEOUT_JOB = "call.ring-timeout";

/** The call of the caller's org, locked; not_found for another org's or an unknown id, call_ended once it ended. */
export async function liveCall(deps: Deps, tx: Tx, p: DeviceActor, callId: string): Promise<CallRow> {
  const call = await lockCall(tx, p.orgId, callId, deps.storage.dialect === "postgres");
  if (!call) throw new AppError("not_found", "call not found");
  // Only the channel's members may learn anything about its calls, an ended one included.
  await channelFor(tx, p, call.channel_id, "channel.post");
  if (call.ended_at !== null) throw new AppError("call_ended", "the call has ended");
  return call;
}

function publishState(fx: CommandEffects, call: CallRow, state: Call, change: CallChange): void {
  fx.emit("call.state", { orgId: call.org_id, channelId: call.channel_id, call: state, change });
}

/** Start a call in a channel; rings a DM's peer (a group DM's other members); the caller's device joins. */
export async function startCall(deps: Deps, p: DeviceActor, channelId: string): Promise<Call> {
  try {
    await deps.limits.callRings.consume(p.userId);
  } catch (err) {
    if (err instanceof LimitExceeded) deps.metrics.callRingsThrottled.inc();
    throw err;
  }
  try {
    return await runCommand(deps, p, "call.start", async (tx, fx) => {
      const ch = await channelFor(tx, p, channelId, "channel.post");
      const existing = await activeCallOf(tx, channelId);
      if (existing) throw new AppError("call_active", "the channel already has a call: join it", { callId: existing.id });
      const now = deps.now();
      const row: CallRow = {
        id: newId("call"),
        org_id: p.orgId,
        channel_id: channelId,
        kind: ch.row.kind === "dm" ? "p2p" : "sfu",
        started_by: p.userId,
        started_device: p.deviceId,
        started_at: now,
        answered_at: null,
        ended_at: null,
        end_reason: null,
        active_channel: channelId,
      };
      await insertCall(tx, row);
      await insertParticipant(tx, participantRow(row.id, p, now));
      const rung = ch.row.kind === "dm" || ch.row.kind === "group_dm" ? (await memberIds(tx, channelId)).filter((u) => u !== p.userId) : [];
      await insertRings(tx, row.id, rung);
      const state = await toCall(tx, row);
      publishState(fx, row, state, { kind: "started", userId: p.userId, deviceId: p.deviceId });
      const expiresAt = now + deps.config.callRingSeconds * 1000;
      for (const userId of rung) {
        fx.emit("call.ring", {
          orgId: p.orgId,
          userId,
          callId: row.id,
          channelId,
          kind: row.kind as Call["kind"],
          fromUserId: p.userId,
          fromDeviceId: p.deviceId,
          startedAt: now,
          expiresAt,
        });
      }
      if (rung.length > 0) await fx.job(RING_TIMEOUT_JOB, { orgId: p.orgId, callId: row.id }, { runAt: expiresAt, now });
      if (row.kind === "sfu" && deps.sfu) {
        const rooms = deps.sfu;
        fx.run(() => void rooms.ensureRoom(row.id).catch((err: unknown) => deps.log.error({ err, callId: row.id }, "SFU room not created")));
      }
      return state;
    });
  } catch (err) {
    // Two starts at once: the unique active-channel index let one through; the other joins it.
    if (!(err instanceof AppError)) {
      const existing = await activeCallOf(deps.db, channelId);
      if (existing) throw new AppError("call_active", "the channel already has a call: join it", { callId: existing.id });
    }
    throw err;
  }
}

function participantRow(callId: string, p: DeviceActor, now: number) {
  return {
    id: newId("cpt"),
    call_id: callId,
    user_id: p.userId,
    device_id: p.deviceId,
    joined_at: now,
    left_at: null,
    leave_reason: null,
    audio_muted: 0,
    video_muted: 0,
    screen_sharing: 0,
    hand_raised: 0,
    recording_since: null,
  };
}

async function joinIn(deps: Deps, tx: Tx, fx: CommandEffects, p: DeviceActor, call: CallRow): Promise<Call> {
  if (await findPresent(tx, call.id, p.deviceId)) return toCall(tx, call);
  const present = await presentParticipants(tx, call.id);
  if (present.length >= CALL_LIMITS.participants) throw new AppError("call_full", "the call is full", { limit: CALL_LIMITS.participants });
  const now = deps.now();
  await insertParticipant(tx, participantRow(call.id, p, now));
  let row = call;
  if (call.answered_at === null && present.length > 0) {
    await markAnswered(tx, call.id, now);
    row = { ...call, answered_at: now };
    const seconds = Math.max(0, now - call.started_at) / 1000;
    fx.run(() => deps.metrics.callSetup.observe(seconds));
  }
  const state = await toCall(tx, row);
  publishState(fx, row, state, { kind: "joined", userId: p.userId, deviceId: p.deviceId });
  return state;
}

/** Join an ongoing call of a channel the caller belongs to. */
export function joinCall(deps: Deps, p: DeviceActor, callId: string): Promise<Call> {
  return runCommand(deps, p, "call.join", async (tx, fx) => joinIn(deps, tx, fx, p, await liveCall(deps, tx, p, callId)));
}

/** Accept a call that rings the caller: their answer is recorded and this device joins. */
export function acceptCall(deps: Deps, p: DeviceActor, callId: string): Promise<Call> {
  return runCommand(deps, p, "call.accept", async (tx, fx) => {
    const call = await liveCall(deps, tx, p, callId);
    await answerRing(tx, call.id, p.userId, "accepted", deps.now());
    return joinIn(deps, tx, fx, p, call);
  });
}

/** Decline a ringing call (or refuse it as busy): a DM's call ends; a group DM's ends once every rung member refused and nobody joined. */
export function declineCall(deps: Deps, p: DeviceActor, callId: string, answer: "declined" | "busy"): Promise<Call> {
  return runCommand(deps, p, `call.${answer === "busy" ? "busy" : "decline"}`, async (tx, fx) => {
    const call = await liveCall(deps, tx, p, callId);
    const now = deps.now();
    if (!(await answerRing(tx, call.id, p.userId, answer, now))) throw new AppError("call_ended", "the call does not ring you (any more)");
    const rings = await ringsOf(tx, call.id);
    const refused = rings.every((r) => r.answer === "declined" || r.answer === "busy");
    if (call.kind === "p2p" || (refused && call.answered_at === null)) await endCall(tx, fx, call, answer, now, deps.sfu);
    return toCall(tx, (await lockCall(tx, p.orgId, call.id, false))!);
  });
}

/** The caller hangs up before anyone answered: the call ends as cancelled. */
export function cancelCall(deps: Deps, p: DeviceActor, callId: string): Promise<Call> {
  return runCommand(deps, p, "call.cancel", async (tx, fx) => {
    const call = await liveCall(deps, tx, p, callId);
    if (call.started_by !== p.userId) throw new AppError("forbidden", "only the caller may cancel a call");
    if (call.answered_at !== null) throw new AppError("bad_request", "the call was answered: leave it instead");
    await endCall(tx, fx, call, "cancelled", deps.now(), deps.sfu);
    return toCall(tx, (await lockCall(tx, p.orgId, call.id, false))!);
  });
}

/** This device leaves the call; the last one (or the other side of an answered 1:1 call) ends it. */
export function leaveCall(deps: Deps, p: DeviceActor, callId: string): Promise<Call> {
  return runCommand(deps, p, "call.leave", async (tx, fx) => {
    const call = await liveCall(deps, tx, p, callId);
    const me = await findPresent(tx, call.id, p.deviceId);
    if (!me) throw new AppError("call_not_joined", "this device is not in the call");
    const now = deps.now();
    const left = await leaveParticipants(tx, call.id, "left", now, [me.id]);
    await afterLeaving(tx, fx, call, left, "left", now, deps.sfu);
    return toCall(tx, (await lockCall(tx, p.orgId, call.id, false))!);
  });
}

/** This device's media state (mute, video, screen share) or raised hand. */
export function setCallMedia(
  deps: Deps,
  p: DeviceActor,
  callId: string,
  change: { audioMuted?: boolean | undefined; videoMuted?: boolean | undefined; screenSharing?: boolean | undefined; handRaised?: boolean | undefined },
): Promise<Call> {
  return runCommand(deps, p, "call.media", async (tx, fx) => {
    const call = await liveCall(deps, tx, p, callId);
    const me = await findPresent(tx, call.id, p.deviceId);
    if (!me) throw new AppError("call_not_joined", "this device is not in the call");
    const bit = (v: boolean | undefined) => (v === undefined ? undefined : v ? 1 : 0);
    const set = Object.fromEntries(
      Object.entries({
        audio_muted: bit(change.audioMuted),
        video_muted: bit(change.videoMuted),
        screen_sharing: bit(change.screenSharing),
        hand_raised: bit(change.handRaised),
      }).filter(([, v]) => v !== undefined),
    );
    if (Object.keys(set).length > 0) await setMedia(tx, me.id, set);
    const state = await toCall(tx, call);
    publishState(fx, call, state, { kind: "media", userId: p.userId, deviceId: p.deviceId });
    return state;
  });
}

/** The ring-timeout job: a call that rang and nobody else joined in time ends as missed. */
export function ringTimeoutHandlers(deps: Deps) {
  return {
    [RING_TIMEOUT_JOB]: async (payload: unknown) => {
      const { orgId, callId } = payload as { orgId: string; callId: string };
      await runCommand(deps, { kind: "system", orgId, role: "owner", via: "server" }, RING_TIMEOUT_JOB, async (tx, fx) => {
        const call = await lockCall(tx, orgId, callId, deps.storage.dialect === "postgres");
        if (!call || call.ended_at !== null || call.answered_at !== null) return;
        await endCall(tx, fx, call, "missed", deps.now(), deps.sfu);
      });
    },
  };
}
