/**
 * What a desktop notification says about a call (issue 14). Pure: names come in. One tag per
 * call, so the ring, the missed call that follows it, and a pushed call event for the same call
 * replace each other instead of piling up.
 */
import { callEventOf, type CallEventContent, type ReceivedEvent } from "@parley/sdk";
import type { MessageNotice, NoticeChannel } from "./message-notice.ts";

/** A pushed "started" event older than this no longer rings (the call rang out, or was answered). */
const RING_FRESH_MS = 60_000;

/** The notification tag of call `callId`. */
export const callTag = (callId: string): string => `parley-call:${callId}`;

const where = (name: string, channel: NoticeChannel): string =>
  channel.kind === "dm" ? name : channel.kind === "group_dm" ? `${name} in ${channel.title}` : `${name} in #${channel.title}`;

/** The notification of a call ringing this user. */
export function ringNotice(r: { callId: string; channelId: string }, caller: string, channel: NoticeChannel): MessageNotice {
  return { title: where(caller, channel), body: "Incoming call", tag: callTag(r.callId), data: { channelId: r.channelId, seq: 0, threadRoot: null } };
}

/** The notification of a call to this user that nobody answered. */
export function missedNotice(m: { callId: string; channelId: string }, caller: string, channel: NoticeChannel): MessageNotice {
  return { title: where(caller, channel), body: "Missed call", tag: callTag(m.callId), data: { channelId: m.channelId, seq: 0, threadRoot: null } };
}

/**
 * Whether a call event message is worth a notification: a fresh "started" (the call may still be
 * ringing: "Incoming call") and a "missed" one; an end is not news.
 */
export function callEventNotifies(call: CallEventContent, createdAt: number, now: number): boolean {
  if (call.event === "missed") return call.reason === undefined || call.reason === "missed" || call.reason === "cancelled";
  return call.event === "started" && now - createdAt < RING_FRESH_MS;
}

/**
 * The notification of a decrypted call event message (a push opened with no tab running): named
 * after who started the call, not who posted the event (any device of the call may post it).
 * Undefined for a message that is no call event.
 */
export function callMessageNotice(e: ReceivedEvent, name: (userId: string) => string, channel: NoticeChannel): MessageNotice | undefined {
  const call = callEventOf(e.content);
  if (!call) return undefined;
  const caller = name(call.startedBy ?? e.senderId);
  const m = { callId: call.callId, channelId: e.channelId };
  if (call.event === "missed") return { ...missedNotice(m, caller, channel), data: { channelId: e.channelId, seq: e.seq, threadRoot: null } };
  const n = ringNotice(m, caller, channel);
  const direct = channel.kind === "dm" || channel.kind === "group_dm";
  return {
    ...n,
    body: call.event !== "started" ? "Call ended" : direct ? "Incoming call" : "Started a call",
    data: { channelId: e.channelId, seq: e.seq, threadRoot: null },
  };
}
