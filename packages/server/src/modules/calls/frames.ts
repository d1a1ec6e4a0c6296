/**
 * The gateway's call frames (issue 14): each is parsed by the protocol schema, then one command
 * acts. Returns what the `call.ack` of a frame with a `ref` carries: the call, or for the
 * `call.sfu.*` frames the SFU's SDP and feeds (nothing for `call.signal`).
 */
import type { Call, ClientFrame } from "@parley/protocol";
import type { DeviceActor, Deps } from "../../context.ts";
import { acceptCall, cancelCall, declineCall, joinCall, leaveCall, setCallMedia, startCall } from "./commands.ts";
import { configureMedia, leaveMedia, publishMedia, renegotiateMedia, restartMedia, startMedia, subscribeMedia, trickleMedia, type MediaAck } from "./media.ts";
import { setCallRecording } from "./recording.ts";
import { relaySignal } from "./signal.ts";

/** A client frame of the calls module. */
export type CallFrame = Extract<ClientFrame, { t: `call.${string}` }>;
type MediaFrame = Extract<CallFrame, { t: `call.sfu.${string}` }>;

/** What a `call.ack` carries besides its ref. */
export type CallAck = MediaAck & { call?: Call };

export async function handleCallFrame(deps: Deps, p: DeviceActor, f: CallFrame): Promise<CallAck> {
  if (f.t.startsWith("call.sfu.")) return mediaFrame(deps, p, f as MediaFrame);
  const call = await callCommand(deps, p, f as Exclude<CallFrame, MediaFrame>);
  return call ? { call } : {};
}

async function callCommand(deps: Deps, p: DeviceActor, f: Exclude<CallFrame, MediaFrame>): Promise<Call | undefined> {
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
    case "call.record":
      return setCallRecording(deps, p, f.callId, f.recording);
    case "call.signal":
      await relaySignal(deps, p, f.callId, f.toDeviceId, f.signal);
      return undefined;
  }
}

function mediaFrame(deps: Deps, p: DeviceActor, f: MediaFrame): Promise<MediaAck> {
  switch (f.t) {
    case "call.sfu.publish":
      return publishMedia(deps, p, f.callId, f.offer);
    case "call.sfu.renegotiate":
      return renegotiateMedia(deps, p, f.callId, f.offer);
    case "call.sfu.subscribe":
      return subscribeMedia(deps, p, f.callId, f.feeds);
    case "call.sfu.start":
      return startMedia(deps, p, f.callId, f.answer);
    case "call.sfu.restart":
      return restartMedia(deps, p, f.callId);
    case "call.sfu.trickle":
      return trickleMedia(deps, p, f.callId, f.role, f);
    case "call.sfu.configure":
      return configureMedia(deps, p, f.callId, f.streams);
    case "call.sfu.leave":
      return leaveMedia(deps, p, f.callId);
  }
}
