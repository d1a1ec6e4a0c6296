/**
 * Voice and video call signalling (issue 14): the call model, the WebSocket frames that start,
 * ring, join and leave a call, and the relayed WebRTC signalling. The server sees who is in
 * which call of which channel and each device's mute / video / screen / hand state; it relays
 * SDP and ICE candidates between two devices of the same call after checking their shape, and
 * never sees media or media keys (SFrame keys come from the channel's MLS group on the devices).
 * docs/calls.md ("Signalling") describes the flow.
 */
import { z } from "zod";
import { Id, Timestamp } from "./models.ts";

const Ref = z.string().min(1).max(64);

/** Bounds of call signalling. */
export const CALL_LIMITS = {
  /** Largest SDP (offer or answer), bytes: a simulcast video + audio + screen offer is a few KiB. */
  sdpBytes: 16_384,
  /** Most lines in an SDP. */
  sdpLines: 400,
  /** Longest ICE candidate attribute, characters. */
  candidateChars: 512,
  /** Most participants (devices) in one call (a group call through the SFU holds 3 to 50 people). */
  participants: 50,
  /** Most streams in one `call.sfu.configure` (a subscription holds up to audio, camera and screen of every other device). */
  configuredStreams: 150,
} as const;

/** How a call carries media: `p2p` — a DM's 1:1 call, peer to peer (through TURN when needed); `sfu` — a group call through the SFU. */
export const CallKind = z.enum(["p2p", "sfu"]);
/** How a call carries media. */
export type CallKind = z.infer<typeof CallKind>;

/**
 * Why a call ended: `hangup` (the last participant left), `cancelled` (the caller hung up before
 * anyone answered), `declined` / `busy` (the DM's peer refused), `missed` (nobody answered in
 * time), `admin` (an org admin ended it), `channel_deleted`.
 */
export const CallEndReason = z.enum(["hangup", "cancelled", "declined", "busy", "missed", "admin", "channel_deleted"]);
/** Why a call ended. */
export type CallEndReason = z.infer<typeof CallEndReason>;

/** Why a device left a call: `left` (it hung up), `removed` (its user left the channel, was deactivated, or the device was revoked), `ended` (the call ended). */
export const CallLeaveReason = z.enum(["left", "removed", "ended", "disconnected"]);
/** Why a device left a call. */
export type CallLeaveReason = z.infer<typeof CallLeaveReason>;

/** A device in a call, with its media state. */
export const CallParticipant = z.object({
  userId: Id,
  deviceId: Id,
  joinedAt: Timestamp,
  audioMuted: z.boolean(),
  videoMuted: z.boolean(),
  screenSharing: z.boolean(),
  handRaised: z.boolean(),
  /** This device records the call (on the device; the file is posted in the channel, encrypted): every participant is told. */
  recording: z.boolean(),
});
/** A device in a call. */
export type CallParticipant = z.infer<typeof CallParticipant>;

/** A call as its channel's members see it: the devices in it now (left ones are gone). */
export const Call = z.object({
  id: Id,
  channelId: Id,
  kind: CallKind,
  startedBy: Id,
  startedAt: Timestamp,
  /** Null while the call goes on. */
  endedAt: Timestamp.nullable(),
  endReason: CallEndReason.nullable(),
  participants: z.array(CallParticipant),
});
/** A call. */
export type Call = z.infer<typeof Call>;

/**
 * What changed in a `call.state` frame: a device joined or left (with why), its media state
 * changed, or it started or stopped recording (`recording`: the participant's `recording` flag
 * says which). A join or leave changes who holds the call's media keys: clients rotate their
 * SFrame keys from the channel's current MLS epoch.
 */
export const CallChange = z.object({
  kind: z.enum(["started", "joined", "left", "media", "recording"]),
  userId: Id,
  deviceId: Id,
  reason: CallLeaveReason.optional(),
});
/** What changed in a `call.state` frame. */
export type CallChange = z.infer<typeof CallChange>;

// ---- WebRTC signalling ------------------------------------------------------

/** Printable ASCII, no control characters besides the line breaks split out below. */
const SDP_LINE = /^[a-z]=[\x20-\x7e]*$/;

/**
 * An SDP as WebRTC produces it: `v=0` first, `o=`, `s=` and `t=` lines, only `x=value` lines of
 * printable ASCII, and a DTLS fingerprint (without one the media would not be authenticated).
 */
export const Sdp = z
  .string()
  .min(1)
  .max(CALL_LIMITS.sdpBytes)
  .superRefine((sdp, ctx) => {
    const lines = sdp.split(/\r?\n/);
    if (lines[lines.length - 1] === "") lines.pop();
    const fail = (message: string) => ctx.addIssue({ code: "custom", message });
    if (lines.length > CALL_LIMITS.sdpLines) return fail(`an SDP has at most ${CALL_LIMITS.sdpLines} lines`);
    if (lines[0] !== "v=0") return fail("an SDP starts with v=0");
    const bad = lines.findIndex((l) => !SDP_LINE.test(l));
    if (bad >= 0) return fail(`SDP line ${bad + 1} is not a type=value line of printable ASCII`);
    for (const t of ["o=", "s=", "t="]) if (!lines.some((l) => l.startsWith(t))) return fail(`an SDP has an ${t} line`);
    if (!lines.some((l) => /^a=fingerprint:[A-Za-z0-9-]+ [0-9A-Fa-f:]+$/.test(l))) return fail("an SDP carries a DTLS fingerprint");
  });

/**
 * The `candidate` attribute of an ICE candidate (RFC 8839 §5.1): foundation, component, transport,
 * priority, address, port, `typ` and type, then extension name/value pairs. The empty string
 * marks the end of candidates.
 */
export const IceCandidate = z.union([
  z.literal(""),
  z
    .string()
    .max(CALL_LIMITS.candidateChars)
    .regex(
      /^candidate:[A-Za-z0-9+/]{1,32} [0-9]{1,3} (udp|tcp|UDP|TCP) [0-9]{1,10} [A-Za-z0-9.:-]{1,253} [0-9]{1,5} typ (host|srflx|prflx|relay)( [\x21-\x7e]{1,64} [\x21-\x7e]{1,256})*$/,
      "not an ICE candidate (RFC 8839 grammar)",
    ),
]);

/** An ICE candidate as RTCIceCandidate.toJSON() gives it: the candidate and the media section it belongs to. */
export const IceCandidateFields = {
  candidate: IceCandidate,
  sdpMid: z
    .string()
    .max(32)
    .regex(/^[A-Za-z0-9_-]*$/)
    .nullable(),
  sdpMLineIndex: z.number().int().min(0).max(64).nullable(),
};

/**
 * One WebRTC signalling message, relayed to one other device of the call: an SDP `offer`
 * (`iceRestart` when it restarts ICE after a network change) or `answer`, or an ICE `candidate`.
 */
export const CallSignal = z.discriminatedUnion("type", [
  z.object({ type: z.literal("offer"), sdp: Sdp, iceRestart: z.boolean().optional() }),
  z.object({ type: z.literal("answer"), sdp: Sdp }),
  z.object({ type: z.literal("candidate"), ...IceCandidateFields }),
]);
/** One WebRTC signalling message. */
export type CallSignal = z.infer<typeof CallSignal>;

// ---- client -> server frames ------------------------------------------------

/**
 * Start a call in a channel or DM (members who may post). A DM's call rings the peer; a group
 * DM's rings its other members; a channel's rings nobody and shows as ongoing. The caller's
 * device joins at once. Answered by `call.ack` with the call, or `error` (`call_active` with
 * `details.callId` when the channel already has one: join it).
 */
export const CallStartFrame = z.object({ t: z.literal("call.start"), ref: Ref, channelId: Id });
/** Accept a ringing call on this device: joins it and stops the user's other devices ringing. */
export const CallAcceptFrame = z.object({ t: z.literal("call.accept"), ref: Ref, callId: Id });
/** Decline a ringing call (a DM's call ends with `declined`). */
export const CallDeclineFrame = z.object({ t: z.literal("call.decline"), ref: Ref, callId: Id });
/** Refuse a ringing call because the user is in another call (a DM's call ends with `busy`). */
export const CallBusyFrame = z.object({ t: z.literal("call.busy"), ref: Ref, callId: Id });
/** The caller hangs up before anyone answered: the call ends with `cancelled`. */
export const CallCancelFrame = z.object({ t: z.literal("call.cancel"), ref: Ref, callId: Id });
/** Join an ongoing call of a channel the user belongs to. */
export const CallJoinFrame = z.object({ t: z.literal("call.join"), ref: Ref, callId: Id });
/** Leave a call; the last device to leave ends it (`hangup`). */
export const CallLeaveFrame = z.object({ t: z.literal("call.leave"), ref: Ref, callId: Id });
/** This device's media state: any of audio muted, video muted, screen sharing. */
export const CallMediaFrame = z.object({
  t: z.literal("call.media"),
  ref: Ref.optional(),
  callId: Id,
  audioMuted: z.boolean().optional(),
  videoMuted: z.boolean().optional(),
  screenSharing: z.boolean().optional(),
});
/** Raise or lower this device's hand. */
export const CallHandFrame = z.object({ t: z.literal("call.hand"), ref: Ref.optional(), callId: Id, raised: z.boolean() });
/**
 * This device starts (`recording: true`) or stops recording the call, where the org allows it
 * (`GET /org/call-policy`): the recording is made on the device and posted in the channel as an
 * encrypted attachment; the server only tells every participant who records (`call.state`,
 * change `recording`). Refused with `call_recording_not_allowed` when the org does not allow it
 * (stopping always works) and `call_not_joined` when the device is not in the call.
 */
export const CallRecordFrame = z.object({ t: z.literal("call.record"), ref: Ref.optional(), callId: Id, recording: z.boolean() });
/** Relay WebRTC signalling to another device in the same call (both must be in it). */
export const CallSignalFrame = z.object({ t: z.literal("call.signal"), ref: Ref.optional(), callId: Id, toDeviceId: Id, signal: CallSignal });

/** Every client -> server call frame (frames.ts adds them to ClientFrame). */
export const CALL_CLIENT_FRAMES = [
  CallStartFrame,
  CallAcceptFrame,
  CallDeclineFrame,
  CallBusyFrame,
  CallCancelFrame,
  CallJoinFrame,
  CallLeaveFrame,
  CallMediaFrame,
  CallHandFrame,
  CallRecordFrame,
  CallSignalFrame,
] as const;

// ---- server -> client frames ------------------------------------------------

/** An SDP the SFU gave for this device: the answer to its publisher offer, or the offer of its subscription. */
export const SfuDescription = z.object({ type: z.enum(["offer", "answer"]), sdp: z.string().max(4 * CALL_LIMITS.sdpBytes) });
/** An SDP the SFU gave. */
export type SfuDescription = z.infer<typeof SfuDescription>;

/** A feed published on the SFU: one device of the call sending media (subscribe to it by its device id). */
export const SfuFeed = z.object({ userId: Id, deviceId: Id });
/** A feed published on the SFU. */
export type SfuFeed = z.infer<typeof SfuFeed>;

/**
 * The answer to a call frame with a `ref`: the call as it is after the frame's change (none for
 * `call.signal` and the `call.sfu.*` frames); for `call.sfu.publish` / `call.sfu.renegotiate` the
 * SFU's `answer` (and, on publish, the feeds already published), for `call.sfu.subscribe` /
 * `call.sfu.restart` the SFU's `offer` (answer it with `call.sfu.start`).
 */
export const CallAckFrame = z.object({
  t: z.literal("call.ack"),
  ref: Ref,
  call: Call.optional(),
  description: SfuDescription.optional(),
  feeds: z.array(SfuFeed).optional(),
});
/** A call rings this user (on every device): accept, decline or busy; it stops at `expiresAt` (missed) or on `call.ended`. */
export const CallRingFrame = z.object({
  t: z.literal("call.ring"),
  callId: Id,
  channelId: Id,
  kind: CallKind,
  fromUserId: Id,
  fromDeviceId: Id,
  startedAt: Timestamp,
  expiresAt: Timestamp,
});
/** A call of a channel the user belongs to changed (to every member's sockets): who is in it and their media state. */
export const CallStateFrame = z.object({ t: z.literal("call.state"), call: Call, change: CallChange });
/** Signalling relayed from another device of the call to this device only. */
export const CallSignalOutFrame = z.object({ t: z.literal("call.signal"), callId: Id, fromUserId: Id, fromDeviceId: Id, signal: CallSignal });
/** A call ended (to every member's sockets); `missed` tells the caller and the rung users nobody answered. */
export const CallEndedFrame = z.object({ t: z.literal("call.ended"), callId: Id, channelId: Id, reason: CallEndReason, endedAt: Timestamp });

/** Every server -> client call frame (frames.ts adds them to ServerFrame). */
export const CALL_SERVER_FRAMES = [CallAckFrame, CallRingFrame, CallStateFrame, CallSignalOutFrame, CallEndedFrame] as const;
