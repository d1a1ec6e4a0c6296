/** Words and figures of a call in progress, shared by the call screen, the picture-in-picture view and the call bar. */
import type { CallEndReason } from "@parley/protocol";
import type { Call } from "@parley/protocol";

/** The parts of a call in progress (call-store.ts's ActiveCall) these read. */
interface CallView {
  phase: "calling" | "connecting" | "connected";
  connectedAt: number | undefined;
  peerDeviceId: string | undefined;
  call: Call | undefined;
}

/** "Calling…", "Connecting…" or the time since media flowed (m:ss). */
export function callStatus(a: CallView, now: number): string {
  if (a.phase === "calling") return "Calling…";
  if (a.phase === "connecting" || a.connectedAt === undefined) return "Connecting…";
  const s = Math.max(0, Math.floor((now - a.connectedAt) / 1000));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
}

/** Whether the peer shares their screen now (their media state in the call). */
export function peerSharing(a: CallView): boolean {
  return !!a.call?.participants.some((p) => p.deviceId === a.peerDeviceId && p.screenSharing);
}

/** Whether the peer's camera is off. */
export function peerVideoMuted(a: CallView): boolean {
  return !!a.call?.participants.some((p) => p.deviceId === a.peerDeviceId && p.videoMuted);
}

/** What the user reads when a call ended, by reason. */
export const ENDED: Record<CallEndReason, string> = {
  hangup: "Call ended",
  cancelled: "Call cancelled",
  declined: "Call declined",
  busy: "Busy: they are in another call",
  missed: "No answer",
  admin: "An admin ended the call",
  channel_deleted: "The conversation was deleted",
};
