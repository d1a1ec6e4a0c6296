/**
 * Call signalling for apps (issue 14): `client.calls` starts, answers, joins and leaves calls,
 * sets this device's media state, and relays WebRTC signalling to another device of the call.
 * Each request is a `call.*` WebSocket frame with a `ref` (paced like sends), answered by
 * `call.ack` (or `error`, thrown as a ParleyError; `network` when not connected). Events: `ringing`, `state`, `signal`, `ended` and `missed` (a call
 * that rang nobody answered). `client.calls.sfu` negotiates a group call's media with the SFU through the server. The media path (RTCPeerConnection, SFrame keys from the MLS epoch)
 * is the app's; docs/calls.md ("Signalling") describes the flow.
 *
 * The server never writes content into a channel: call events in a channel's history are
 * ordinary encrypted messages whose content carries `call` ({@link CallEventContent}) beside a
 * text fallback, posted by participants' devices under the rule of call-events.ts (every client
 * runs it); {@link CallsApi.postEvent} posts one by hand.
 */
import type { Call, CallEndReason, CallKind, CallSignal, ServerFrame, ServerFrameOf } from "@parley/protocol";
import type { CallRequestFrame } from "./connection.ts";
import { CallSfuApi } from "./call-sfu.ts";
import { Emitter } from "./emitter.ts";
import { ParleyError } from "./errors.ts";
import type { MessageContent } from "./codec.ts";

/** A call ringing this user (the `call.ring` frame). */
export type CallRinging = Omit<ServerFrameOf<"call.ring">, "t">;
/** A call of one of the user's channels changed (a device joined or left, or its media state). */
export type CallStateNotice = Omit<ServerFrameOf<"call.state">, "t">;
/** Signalling from another device of a call. */
export type CallSignalNotice = Omit<ServerFrameOf<"call.signal">, "t">;
/** A call ended. */
export type CallEndedNotice = Omit<ServerFrameOf<"call.ended">, "t">;

/** Events of {@link CallsApi}. */
export interface CallEvents {
  [key: string]: unknown;
  ringing: CallRinging;
  state: CallStateNotice;
  signal: CallSignalNotice;
  ended: CallEndedNotice;
  /** A call ended as `missed` (also emitted as `ended`); the client posts the "missed call" event itself (call-events.ts). */
  missed: CallEndedNotice;
}

/** What a call event in a channel's history says (sealed inside an MLS message). */
export interface CallEventContent {
  event: "started" | "ended" | "missed";
  callId: string;
  kind: CallKind;
  /** Why it ended (`ended` and `missed`). */
  reason?: CallEndReason;
  /** How long it lasted, ms (`ended`): from the answer (the second device joining) to the end. */
  durationMs?: number;
  /** Who started it (user id). */
  startedBy?: string;
  /** When it started (server time, ms). */
  startedAt?: number;
  /** Who took part (user ids, in the order they joined; `ended`). */
  participants?: string[];
}

/** Message content for a call event: `call` for clients that know it, `text` for those that do not. */
export function callEventContent(info: CallEventContent): MessageContent {
  const text =
    info.event === "started"
      ? "📞 Call started"
      : info.event === "missed"
        ? "📞 Missed call"
        : `📞 Call ended${info.durationMs !== undefined ? ` (${formatCallDuration(info.durationMs)})` : ""}`;
  return { text, call: { ...info } };
}

/** The idempotency key of a call's event: the same on every device, so the channel holds it once (call-events.ts). */
export function callEventClientId(event: CallEventContent["event"], callId: string): string {
  return `call-${event}-${callId}`;
}

/** A call's length as people say it: "45 s", "4 min", "1 h 5 min". */
export function formatCallDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s} s`;
  const min = Math.round(s / 60);
  return min < 60 ? `${min} min` : `${Math.floor(min / 60)} h${min % 60 ? ` ${min % 60} min` : ""}`;
}

/** The call event a decoded message carries, if any (checks its shape: content comes from other devices). */
export function callEventOf(content: MessageContent): CallEventContent | undefined {
  const c = content["call"] as Partial<CallEventContent> | undefined;
  if (!c || typeof c !== "object") return undefined;
  if (c.event !== "started" && c.event !== "ended" && c.event !== "missed") return undefined;
  if (typeof c.callId !== "string" || (c.kind !== "p2p" && c.kind !== "sfu")) return undefined;
  return {
    event: c.event,
    callId: c.callId,
    kind: c.kind,
    ...(typeof c.reason === "string" ? { reason: c.reason } : {}),
    ...(typeof c.durationMs === "number" ? { durationMs: c.durationMs } : {}),
    ...(typeof c.startedBy === "string" ? { startedBy: c.startedBy } : {}),
    ...(typeof c.startedAt === "number" ? { startedAt: c.startedAt } : {}),
    ...(Array.isArray(c.participants) ? { participants: c.participants.filter((u): u is string => typeof u === "string").slice(0, 50) } : {}),
  };
}

/** What the calls API needs from its client. */
export interface CallsHost {
  /** Send a call frame on the live connection and wait for its `call.ack` (ParleyError on `error`, timeout or disconnect). */
  request(frame: CallRequestFrame): Promise<Omit<ServerFrameOf<"call.ack">, "t" | "ref">>;
  /** Post message content in a channel (encrypted by the client's codec), with this idempotency key. */
  post(channelId: string, content: MessageContent, clientId: string): Promise<unknown>;
  /** GET /calls. */
  list(all: boolean): Promise<Call[]>;
}

/** `client.calls`: call signalling over the client's connection. */
export class CallsApi extends Emitter<CallEvents> {
  readonly #host: CallsHost;
  /** Group calls' media through the server and the SFU: publish, subscribe, trickle, ICE restart; events `feeds`, `reconnect`. */
  readonly sfu: CallSfuApi;

  constructor(host: CallsHost) {
    super();
    this.#host = host;
    this.sfu = new CallSfuApi(host);
  }

  /** Start a call in a channel or DM (rings a DM's peer); this device joins. */
  start(channelId: string): Promise<Call> {
    return this.#call({ t: "call.start", channelId });
  }
  /** Accept a ringing call on this device (joins it). */
  accept(callId: string): Promise<Call> {
    return this.#call({ t: "call.accept", callId });
  }
  /** Decline a ringing call (`busy`: because the user is in another call). */
  decline(callId: string, opts: { busy?: boolean } = {}): Promise<Call> {
    return this.#call({ t: opts.busy ? "call.busy" : "call.decline", callId });
  }
  /** Hang up a call nobody answered yet (the caller only). */
  cancel(callId: string): Promise<Call> {
    return this.#call({ t: "call.cancel", callId });
  }
  /** Join an ongoing call of one of the user's channels. */
  join(callId: string): Promise<Call> {
    return this.#call({ t: "call.join", callId });
  }
  /** Leave a call (the last device leaving ends it). */
  leave(callId: string): Promise<Call> {
    return this.#call({ t: "call.leave", callId });
  }
  /** This device's media state. */
  setMedia(callId: string, media: { audioMuted?: boolean; videoMuted?: boolean; screenSharing?: boolean }): Promise<Call> {
    return this.#call({ t: "call.media", callId, ...media });
  }
  /** Raise or lower this device's hand. */
  raiseHand(callId: string, raised = true): Promise<Call> {
    return this.#call({ t: "call.hand", callId, raised });
  }
  /**
   * Tell the call this device starts (`true`) or stops (`false`) recording it; every participant
   * gets `state` naming who records. The recording itself is made by the app (on the device) and
   * posted as an encrypted attachment. Starting rejects with `call_recording_not_allowed` unless
   * the org allows it (`api.call("getCallPolicy")`), and with `call_not_joined` outside the call.
   */
  record(callId: string, recording: boolean): Promise<Call> {
    return this.#call({ t: "call.record", callId, recording });
  }
  /** Relay WebRTC signalling (an SDP offer or answer, an ICE candidate) to another device of the call. */
  async signal(callId: string, toDeviceId: string, signal: CallSignal): Promise<void> {
    await this.#request({ t: "call.signal", callId, toDeviceId, signal });
  }
  /** Active calls of the user's channels (`all`: the org's, owners and admins). */
  list(opts: { all?: boolean } = {}): Promise<Call[]> {
    return this.#host.list(opts.all ?? false);
  }
  /**
   * Post a call event (started, ended, missed) in the call's channel as an encrypted message, under
   * the call's key for that event (the client posts them itself: call-events.ts; a second post of
   * the same event is refused `already_exists`, or the original comes back for the same user).
   */
  postEvent(channelId: string, info: CallEventContent): Promise<unknown> {
    return this.#host.post(channelId, callEventContent(info), callEventClientId(info.event, info.callId));
  }

  async #call(frame: CallRequestFrame): Promise<Call> {
    const call = await this.#request(frame);
    if (!call) throw new ParleyError({ code: "bad_response", message: `${frame.t}: the server answered without the call` });
    return call;
  }

  async #request(frame: CallRequestFrame): Promise<Call | undefined> {
    return (await this.#host.request(frame)).call;
  }

  /** A server frame: true when it was a call frame (or the error answering a call request) and is handled. */
  receive(f: ServerFrame): boolean {
    if (this.sfu.receive(f)) return true;
    switch (f.t) {
      case "call.ring":
        this.emit("ringing", {
          callId: f.callId,
          channelId: f.channelId,
          kind: f.kind,
          fromUserId: f.fromUserId,
          fromDeviceId: f.fromDeviceId,
          startedAt: f.startedAt,
          expiresAt: f.expiresAt,
        });
        return true;
      case "call.state":
        this.emit("state", { call: f.call, change: f.change });
        return true;
      case "call.signal":
        this.emit("signal", { callId: f.callId, fromUserId: f.fromUserId, fromDeviceId: f.fromDeviceId, signal: f.signal });
        return true;
      case "call.ended": {
        const notice = { callId: f.callId, channelId: f.channelId, reason: f.reason, endedAt: f.endedAt };
        this.emit("ended", notice);
        if (f.reason === "missed") this.emit("missed", notice);
        return true;
      }
      default:
        return false;
    }
  }
}
