/**
 * Call recording (issue 14): the org's call policy (recording off until an admin allows it) and a
 * participant telling the call it starts or stops recording. The recording is made on the device
 * and posted in the channel as an encrypted attachment; the server keeps only who records since
 * when (`call_participants.recording_since`), tells every participant (`call.state`, change
 * `recording`) and audits starts and stops. A recorder that leaves or is dropped stops
 * (lifecycle.ts). docs/calls.md ("Recording").
 */
import { CallPolicy, DEFAULT_CALL_POLICY, type Call } from "@parley/protocol";
import type { DeviceActor, Deps } from "../../context.ts";
import { runCommand } from "../../command.ts";
import { AppError } from "../../core/errors.ts";
import { orgSettings } from "../e2ee/store.ts";
import { settingsPolicy } from "../orgs/settings-policy.ts";
import { liveCall } from "./commands.ts";
import { findCall, findPresent, presenceOf, setRecording, toCall } from "./store.ts";

/**
 * The org's call policy, `orgs.settings.callPolicy` (no recording when unset). Every member reads
 * it: their client shows Record only where the server would accept it. Owners and admins change
 * it (audited). Turning recording off refuses new recordings and stops the running ones: each is
 * audited as stopped (reason `policy`) and every participant is told (`call.state`); the recording
 * device, seeing it no longer records, stops and posts what it has.
 */
const policy = settingsPolicy({
  key: "callPolicy",
  schema: CallPolicy,
  fallback: DEFAULT_CALL_POLICY,
  command: "calls.setCallPolicy",
  action: "org.call_policy.changed",
  async onChange(tx, fx, { orgId, from, to, now }) {
    if (to.recordingAllowed || !from.recordingAllowed) return;
    const recorders = await presenceOf(tx, orgId, { recording: true });
    for (const r of recorders) {
      await setRecording(tx, r.id, null);
      fx.audit({
        action: "call.recording.stopped",
        target: { kind: "call", id: r.call_id },
        result: "success",
        details: { channelId: r.channel_id, deviceId: r.device_id, durationMs: now - r.recording_since!, reason: "policy" },
      });
    }
    // Every participant learns of each stop (each call's state read once, after all of them).
    const states = new Map<string, Call>();
    for (const r of recorders) {
      let state = states.get(r.call_id);
      if (!state) states.set(r.call_id, (state = await toCall(tx, (await findCall(tx, orgId, r.call_id))!)));
      fx.emit("call.state", { orgId, channelId: r.channel_id, call: state, change: { kind: "recording", userId: r.user_id, deviceId: r.device_id } });
    }
  },
});
export const getCallPolicy = policy.get;
export const setCallPolicy = policy.set;

/**
 * This device starts or stops recording the call. Starting needs the org's permission; stopping
 * never does (an admin may have turned it off meanwhile). Saying the same twice changes nothing
 * and is not audited again.
 */
export function setCallRecording(deps: Deps, p: DeviceActor, callId: string, recording: boolean): Promise<Call> {
  return runCommand(deps, p, "call.record", async (tx, fx) => {
    const call = await liveCall(deps, tx, p, callId);
    const me = await findPresent(tx, call.id, p.deviceId);
    if (!me) throw new AppError("call_not_joined", "this device is not in the call");
    if (recording && !policy.of(await orgSettings(tx, p.orgId)).recordingAllowed) {
      throw new AppError("call_recording_not_allowed", "this organization does not allow recording calls");
    }
    if ((me.recording_since !== null) === recording) return toCall(tx, call);
    const now = deps.now();
    await setRecording(tx, me.id, recording ? now : null);
    const details = { channelId: call.channel_id, deviceId: p.deviceId, ...(recording ? {} : { durationMs: now - me.recording_since!, reason: "stopped" }) };
    fx.audit({ action: recording ? "call.recording.started" : "call.recording.stopped", target: { kind: "call", id: call.id }, result: "success", details });
    const state = await toCall(tx, call);
    fx.emit("call.state", {
      orgId: call.org_id,
      channelId: call.channel_id,
      call: state,
      change: { kind: "recording", userId: p.userId, deviceId: p.deviceId },
    });
    return state;
  });
}
