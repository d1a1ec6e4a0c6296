/**
 * WebRTC signalling relay: an SDP offer or answer, or an ICE candidate, from one device of a call
 * to another device of the same call. The protocol schema already bounded and checked its shape
 * (call-models.ts); here both ends must be in the call now and the sender still a member of the
 * channel. Relayed on the bus to the target device's sockets only, never stored (like typing).
 */
import type { CallSignal } from "@parley/protocol";
import type { DeviceActor, Deps } from "../../context.ts";
import { AppError } from "../../core/errors.ts";
import { channelFor } from "../channels/access.ts";
import { findCall, findPresent } from "./store.ts";

export async function relaySignal(deps: Deps, p: DeviceActor, callId: string, toDeviceId: string, signal: CallSignal): Promise<void> {
  const call = await findCall(deps.db, p.orgId, callId);
  if (!call) throw new AppError("not_found", "call not found");
  await channelFor(deps.db, p, call.channel_id, "channel.post");
  if (call.ended_at !== null) throw new AppError("call_ended", "the call has ended");
  if (toDeviceId === p.deviceId) throw new AppError("bad_request", "signalling goes to another device");
  const [from, to] = await Promise.all([findPresent(deps.db, callId, p.deviceId), findPresent(deps.db, callId, toDeviceId)]);
  if (!from) throw new AppError("call_not_joined", "this device is not in the call");
  if (!to) throw new AppError("call_not_joined", "the target device is not in the call", { toDeviceId });
  deps.bus.publish("call.signal", {
    orgId: p.orgId,
    userId: to.user_id,
    deviceId: to.device_id,
    callId,
    fromUserId: p.userId,
    fromDeviceId: p.deviceId,
    signal,
  });
}
