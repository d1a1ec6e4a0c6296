/**
 * The gateway's call frames (issue 14): each is parsed by the protocol schema, then one command
 * acts. Returns the call for the `call.ack` of a frame with a `ref` (none for `call.signal`).
 */
import type { Call, ClientFrame } from "@parley/protocol";
import type { DeviceActor, Deps } from "../../context.ts";
import { acceptCall, cancelCall, declineCall, joinCall, leaveCall, setCallMedia, startCall } from "./commands.ts";
import { relaySignal } from "./signal.ts";

/** A client frame of the calls module. */
export type CallFrame = Extract<ClientFrame, { t: `call.${string}` }>;

export async function handleCallFrame(deps: Deps, p: DeviceActor, f: CallFrame): Promise<Call | undefined> {
  switch (f.t) {
    case "call.start":
      return startCall(deps, p, f.channelId);
    case "call.accept":
      return acceptCall(deps, p, f.callId);
    case "call.decline":
      return declineCall(deps, p, f.callId, "declined");
    case "call.busy":
      return declineCall(deps, p, f.callId, "busy");
    case "call.cancel":
      return cancelCall(deps, p, f.callId);
    case "call.join":
      return joinCall(deps, p, f.callId);
    case "call.leave":
      return leaveCall(deps, p, f.callId);
    case "call.media":
      return setCallMedia(deps, p, f.callId, { audioMuted: f.audioMuted, videoMuted: f.videoMuted, screenSharing: f.screenSharing });
    case "call.hand":
      return setCallMedia(deps, p, f.callId, { handRaised: f.raised });
    case "call.signal":
      await relaySignal(deps, p, f.callId, f.toDeviceId, f.signal);
      return undefined;
  }
}
