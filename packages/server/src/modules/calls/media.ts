/**
 * Group-call media negotiation through the server (issue 14): a device in an `sfu` call
 * publishes to the SFU and subscribes to other participants' feeds with `call.sfu.*` frames; the
 * server checks that the device is in the call now (and still may post in its channel), drives
 * the SFU adapter (Deps.sfu) and answers with the SFU's SDP. Clients never reach the SFU's API.
 * A device's SFU sessions live on the node that negotiated them; media-events.ts ends them when
 * the device leaves or is dropped from the call, on whichever node.
 */
import type { CallSignal, SfuDescription, SfuFeed, SfuRole, SfuStreamSettings } from "@parley/protocol";
import type { DeviceActor, Deps } from "../../context.ts";
import { AppError } from "../../core/errors.ts";
import { SfuError, type Sfu } from "../../platform/sfu/types.ts";
import { channelFor } from "../channels/access.ts";
import { findCall, findPresent, presentParticipants, type CallRow } from "./store.ts";

/** What a `call.sfu.*` frame answers in its `call.ack`. */
export interface MediaAck {
  description?: SfuDescription;
  feeds?: SfuFeed[];
}

/** The call, if this device may negotiate media in it now; the SFU. */
async function mediaCall(deps: Deps, p: DeviceActor, callId: string): Promise<{ call: CallRow; sfu: Sfu }> {
  const call = await findCall(deps.db, p.orgId, callId);
  if (!call) throw new AppError("not_found", "call not found");
  await channelFor(deps.db, p, call.channel_id, "channel.post");
  if (call.ended_at !== null) throw new AppError("call_ended", "the call has ended");
  if (call.kind !== "sfu") throw new AppError("call_not_sfu", "a 1:1 call is peer to peer: signal the other device with call.signal");
  if (!(await findPresent(deps.db, callId, p.deviceId))) throw new AppError("call_not_joined", "this device is not in the call");
  if (!deps.sfu) throw new AppError("sfu_unavailable", "no SFU is configured for group calls");
  if (!deps.sfu.health().up) throw new AppError("sfu_unavailable", "the SFU is unavailable: retry shortly");
  return { call, sfu: deps.sfu };
}

/** The SFU's refusal as a stable error code. */
function asAppError(err: unknown): unknown {
  if (!(err instanceof SfuError)) return err;
  if (err.reason === "unavailable") return new AppError("sfu_unavailable", "the SFU is unavailable: retry shortly");
  const reason = err.reason === "refused" ? "sfu_error" : err.reason;
  return new AppError("sfu_refused", err.message, { reason, ...(err.sfuCode !== undefined ? { sfuCode: err.sfuCode } : {}) });
}

async function sfuStep<T>(f: () => Promise<T>): Promise<T> {
  try {
    return await f();
  } catch (err) {
    throw asAppError(err);
  }
}

/**
 * A session made while the device was being dropped (the drop's teardown may have run before it
 * existed) is ended here: no device outside the call keeps an SFU session.
 */
async function stillIn(deps: Deps, sfu: Sfu, p: DeviceActor, callId: string): Promise<void> {
  if (await findPresent(deps.db, callId, p.deviceId)) return;
  await sfu.leave(callId, p.deviceId);
  throw new AppError("call_not_joined", "this device is not in the call");
}

/** Feeds (device ids on the SFU) as the call's present participants: a feed of a device no longer in the call is left out. */
export async function feedsOf(deps: Deps, callId: string, deviceIds: readonly string[]): Promise<SfuFeed[]> {
  const present = await presentParticipants(deps.db, callId);
  return present.filter((r) => deviceIds.includes(r.device_id)).map((r) => ({ userId: r.user_id, deviceId: r.device_id }));
}

/** Publish this device's media: the SFU's answer and the feeds already published. */
export async function publishMedia(deps: Deps, p: DeviceActor, callId: string, offer: string): Promise<MediaAck> {
  const { sfu } = await mediaCall(deps, p, callId);
  const res = await sfuStep(() => sfu.publish(callId, p.deviceId, { type: "offer", sdp: offer }));
  await stillIn(deps, sfu, p, callId);
  return { description: res.answer, feeds: await feedsOf(deps, callId, res.feeds) };
}

/** A new offer for this device's publisher session (tracks changed, or an ICE restart). */
export async function renegotiateMedia(deps: Deps, p: DeviceActor, callId: string, offer: string): Promise<MediaAck> {
  const { sfu } = await mediaCall(deps, p, callId);
  const res = await sfuStep(() => sfu.configure(callId, p.deviceId, { offer: { type: "offer", sdp: offer } }));
  if (!res.answer) throw new AppError("sfu_refused", "the SFU gave no answer", { reason: "sfu_error" });
  return { description: res.answer };
}

/** Receive other participants' feeds: the SFU's offer. Each must be another device in the call. */
export async function subscribeMedia(deps: Deps, p: DeviceActor, callId: string, feeds: string[]): Promise<MediaAck> {
  const { sfu } = await mediaCall(deps, p, callId);
  const wanted = [...new Set(feeds)];
  const present = new Set((await presentParticipants(deps.db, callId)).map((r) => r.device_id));
  const outside = wanted.find((f) => f === p.deviceId || !present.has(f));
  if (outside) throw new AppError("call_not_joined", "a feed asked for is not another device in the call", { deviceId: outside });
  const res = await sfuStep(() => sfu.subscribe(callId, p.deviceId, wanted));
  await stillIn(deps, sfu, p, callId);
  return { description: res.offer };
}

/** Complete this device's subscription with its answer. */
export async function startMedia(deps: Deps, p: DeviceActor, callId: string, answer: string): Promise<MediaAck> {
  const { sfu } = await mediaCall(deps, p, callId);
  await sfuStep(() => sfu.start(callId, p.deviceId, { type: "answer", sdp: answer }));
  return {};
}

/** Restart ICE of this device's subscription: a fresh offer. */
export async function restartMedia(deps: Deps, p: DeviceActor, callId: string): Promise<MediaAck> {
  const { sfu } = await mediaCall(deps, p, callId);
  return { description: (await sfuStep(() => sfu.restartSubscriber(callId, p.deviceId))).offer };
}

/** An ICE candidate of this device's publisher or subscriber session (the empty one ends them). */
export async function trickleMedia(
  deps: Deps,
  p: DeviceActor,
  callId: string,
  role: SfuRole,
  c: Pick<Extract<CallSignal, { type: "candidate" }>, "candidate" | "sdpMid" | "sdpMLineIndex">,
): Promise<MediaAck> {
  const { sfu } = await mediaCall(deps, p, callId);
  const candidate = c.candidate === "" ? null : { candidate: c.candidate, sdpMid: c.sdpMid, sdpMLineIndex: c.sdpMLineIndex };
  await sfuStep(() => sfu.trickle(callId, p.deviceId, role, candidate));
  return {};
}

/**
 * What the SFU forwards on streams of this device's own subscription (stop / resume a stream, a
 * simulcast layer). Only this device's subscriber handle is touched; a mid outside it is refused
 * (`sfu_refused`, `no_stream`) and nothing changes.
 */
export async function configureMedia(deps: Deps, p: DeviceActor, callId: string, streams: SfuStreamSettings[]): Promise<MediaAck> {
  const { sfu } = await mediaCall(deps, p, callId);
  await sfuStep(() => sfu.configureSubscription(callId, p.deviceId, streams));
  return {};
}

/** End this device's SFU sessions (it stays in the call). */
export async function leaveMedia(deps: Deps, p: DeviceActor, callId: string): Promise<MediaAck> {
  const { sfu } = await mediaCall(deps, p, callId);
  await sfu.leave(callId, p.deviceId);
  return {};
}
