/**
 * Group-call media negotiation through the server (issue 14): a device of an `sfu` call publishes
 * its media to the SFU (Janus) and subscribes to the other participants' feeds with these frames.
 * Clients never talk to the SFU's API: the server checks each frame (the device is in the call
 * now, the call is a group call, the SDP and candidates have the shape of call.signal's) and
 * drives the SFU; only the media (SFrame ciphertext) flows between client and SFU.
 * docs/calls.md ("Signalling") describes the flow.
 */
import { z } from "zod";
import { Id } from "./models.ts";
import { CALL_LIMITS, IceCandidateFields, Sdp, SfuFeed } from "./call-models.ts";

const Ref = z.string().min(1).max(64);

/** Which of a device's two SFU sessions a candidate or restart is for: what it sends, or what it receives. */
export const SfuRole = z.enum(["publisher", "subscriber"]);
/** Which SFU session. */
export type SfuRole = z.infer<typeof SfuRole>;

// ---- client -> server frames ------------------------------------------------

/** Publish this device's media: an SDP offer (sendonly audio / video, SFrame-encrypted); `call.ack` carries the SFU's answer and the feeds already published. */
export const CallSfuPublishFrame = z.object({ t: z.literal("call.sfu.publish"), ref: Ref, callId: Id, offer: Sdp });
/** Renegotiate what this device publishes with a new offer (tracks added or removed; `iceRestart` after a network change): `call.ack` carries the answer. */
export const CallSfuRenegotiateFrame = z.object({ t: z.literal("call.sfu.renegotiate"), ref: Ref, callId: Id, offer: Sdp, iceRestart: z.boolean().optional() });
/** Receive these participants' feeds (their device ids; added to what this device already receives): `call.ack` carries the SFU's offer. */
export const CallSfuSubscribeFrame = z.object({
  t: z.literal("call.sfu.subscribe"),
  ref: Ref,
  callId: Id,
  feeds: z.array(Id).min(1).max(CALL_LIMITS.participants),
});
/** Complete a subscription (or a subscriber ICE restart) with this device's answer to the SFU's offer. */
export const CallSfuStartFrame = z.object({ t: z.literal("call.sfu.start"), ref: Ref, callId: Id, answer: Sdp });
/** Restart ICE of this device's subscription (network change): `call.ack` carries a fresh offer to answer with `call.sfu.start`. */
export const CallSfuRestartFrame = z.object({ t: z.literal("call.sfu.restart"), ref: Ref, callId: Id });
/** An ICE candidate of this device's publisher or subscriber session (the empty candidate ends them). */
export const CallSfuTrickleFrame = z.object({
  t: z.literal("call.sfu.trickle"),
  ref: Ref.optional(),
  callId: Id,
  role: SfuRole,
  ...IceCandidateFields,
});
/** An m-line of this device's subscription, by its SDP `mid` (RFC 8843 token characters). */
export const SfuMid = z
  .string()
  .min(1)
  .max(32)
  .regex(/^[A-Za-z0-9_.-]+$/);
/**
 * What the SFU forwards on one stream of this device's subscription: `send` false stops that
 * stream (true resumes it); for a simulcast video, `substream` picks the layer (0 lowest, 2
 * highest) and `temporal` the frame rate (0 lowest, 2 all).
 */
export const SfuStreamSettings = z.object({
  mid: SfuMid,
  send: z.boolean().optional(),
  substream: z.number().int().min(0).max(2).optional(),
  temporal: z.number().int().min(0).max(2).optional(),
});
/** A stream setting of {@link CallSfuConfigureFrame}. */
export type SfuStreamSettings = z.infer<typeof SfuStreamSettings>;
/**
 * Change what the SFU forwards to this device, per stream of its subscription (by `mid`): stop
 * or resume a stream (audio-only mode), pick a simulcast layer (a large tile gets the high one).
 * Answered by `call.ack` without a description: no renegotiation.
 */
export const CallSfuConfigureFrame = z.object({
  t: z.literal("call.sfu.configure"),
  ref: Ref,
  callId: Id,
  streams: z.array(SfuStreamSettings).min(1).max(CALL_LIMITS.configuredStreams),
});
/** Stop publishing and receiving: the device's SFU sessions end (it stays in the call; `call.leave` leaves it and ends them too). */
export const CallSfuLeaveFrame = z.object({ t: z.literal("call.sfu.leave"), ref: Ref, callId: Id });

/** Every client -> server SFU frame (frames.ts adds them to ClientFrame). */
export const CALL_SFU_CLIENT_FRAMES = [
  CallSfuPublishFrame,
  CallSfuRenegotiateFrame,
  CallSfuSubscribeFrame,
  CallSfuStartFrame,
  CallSfuRestartFrame,
  CallSfuTrickleFrame,
  CallSfuConfigureFrame,
  CallSfuLeaveFrame,
] as const;

// ---- server -> client frames ------------------------------------------------

/** The feeds now published in a group call (a participant started or stopped publishing), to the devices in the call only. */
export const CallSfuFeedsFrame = z.object({ t: z.literal("call.sfu.feeds"), callId: Id, feeds: z.array(SfuFeed) });
/**
 * The SFU was restarted (or its connection lost and back): every media session of the call is
 * gone and its room is made again. Publish and subscribe again (and re-key from the channel's
 * current MLS epoch).
 */
export const CallSfuReconnectFrame = z.object({ t: z.literal("call.sfu.reconnect"), callId: Id });

/** Every server -> client SFU frame (frames.ts adds them to ServerFrame). */
export const CALL_SFU_SERVER_FRAMES = [CallSfuFeedsFrame, CallSfuReconnectFrame] as const;
