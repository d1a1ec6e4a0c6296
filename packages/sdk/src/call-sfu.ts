/**
 * Group-call media through the server (issue 14): `client.calls.sfu`. A device in a group (`sfu`)
 * call publishes its media and subscribes to the other participants' feeds; the server drives the
 * SFU (Janus) and hands back its SDP, so the app never talks to the SFU's API — only its media
 * (SFrame-encrypted) goes to the SFU. Typical use:
 *
 * ```ts
 * const pub = new RTCPeerConnection(config); // tracks added sendonly, SFrame transforms on
 * await pub.setLocalDescription(await pub.createOffer());
 * const { answer, feeds } = await client.calls.sfu.publish(callId, pub.localDescription!.sdp);
 * await pub.setRemoteDescription(answer);
 * pub.onicecandidate = (e) => void client.calls.sfu.trickle(callId, "publisher", e.candidate);
 * client.calls.sfu.on("feeds", async ({ callId, feeds }) => {
 *   const offer = await client.calls.sfu.subscribe(callId, feeds.map((f) => f.deviceId));
 *   await sub.setRemoteDescription(offer);
 *   await sub.setLocalDescription(await sub.createAnswer());
 *   await client.calls.sfu.start(callId, sub.localDescription!.sdp);
 * });
 * client.calls.sfu.on("reconnect", ({ callId }) => { ... publish and subscribe again ... });
 * ```
 */
import type { SfuDescription, SfuFeed, SfuRole, SfuStreamSettings, ServerFrame, ServerFrameOf } from "@parley/protocol";
import type { CallRequestFrame } from "./connection.ts";
import { Emitter } from "./emitter.ts";
import { ParleyError } from "./errors.ts";

/** Events of {@link CallSfuApi}. */
export interface CallSfuEvents {
  [key: string]: unknown;
  /** The feeds now published in a group call this device is in: subscribe to the new ones. */
  feeds: { callId: string; feeds: SfuFeed[] };
  /** The SFU restarted: this device's media sessions are gone; publish and subscribe again (with new peer connections). */
  reconnect: { callId: string };
}

/** An ICE candidate as `RTCPeerConnection.onicecandidate` gives it (null: no more candidates). */
export type SfuCandidate = { candidate: string; sdpMid?: string | null; sdpMLineIndex?: number | null } | null;

/** What the SFU API needs from its client: a call frame sent on the live connection, answered by its `call.ack`. */
export interface CallSfuHost {
  request(frame: CallRequestFrame): Promise<Omit<ServerFrameOf<"call.ack">, "t" | "ref">>;
}

/** `client.calls.sfu`: publish to and subscribe from a group call's SFU through the server. */
export class CallSfuApi extends Emitter<CallSfuEvents> {
  readonly #host: CallSfuHost;

  constructor(host: CallSfuHost) {
    super();
    this.#host = host;
  }

  /** Publish this device's media with an SDP offer: the SFU's answer and the feeds already published. */
  async publish(callId: string, offer: string): Promise<{ answer: SfuDescription; feeds: SfuFeed[] }> {
    const ack = await this.#host.request({ t: "call.sfu.publish", callId, offer });
    return { answer: described(ack.description, "call.sfu.publish"), feeds: ack.feeds ?? [] };
  }
  /** A new offer for what this device publishes (tracks changed; `iceRestart` after a network change): the SFU's answer. */
  async renegotiate(callId: string, offer: string, opts: { iceRestart?: boolean } = {}): Promise<SfuDescription> {
    const ack = await this.#host.request({ t: "call.sfu.renegotiate", callId, offer, ...(opts.iceRestart ? { iceRestart: true } : {}) });
    return described(ack.description, "call.sfu.renegotiate");
  }
  /** Receive these devices' feeds (added to what this device already receives): the SFU's offer, to answer with {@link start}. */
  async subscribe(callId: string, feeds: string[]): Promise<SfuDescription> {
    return described((await this.#host.request({ t: "call.sfu.subscribe", callId, feeds })).description, "call.sfu.subscribe");
  }
  /** Complete a subscription (or a subscriber ICE restart) with this device's answer. */
  async start(callId: string, answer: string): Promise<void> {
    await this.#host.request({ t: "call.sfu.start", callId, answer });
  }
  /** Restart ICE of this device's subscription: a fresh offer, to answer with {@link start}. */
  async restart(callId: string): Promise<SfuDescription> {
    return described((await this.#host.request({ t: "call.sfu.restart", callId })).description, "call.sfu.restart");
  }
  /** Pass an ICE candidate of the publisher or subscriber connection (null: the end of candidates). */
  async trickle(callId: string, role: SfuRole, candidate: SfuCandidate): Promise<void> {
    await this.#host.request({
      t: "call.sfu.trickle",
      callId,
      role,
      candidate: candidate?.candidate ?? "",
      sdpMid: candidate?.sdpMid ?? null,
      sdpMLineIndex: candidate?.sdpMLineIndex ?? null,
    });
  }
  /**
   * Change what the SFU forwards on streams of this device's subscription, by the `mid` of each
   * m-line: `send: false` stops one (audio-only mode), `true` resumes it; `substream` (0-2) picks a
   * simulcast layer. No renegotiation.
   */
  async configure(callId: string, streams: SfuStreamSettings[]): Promise<void> {
    await this.#host.request({ t: "call.sfu.configure", callId, streams });
  }
  /** Stop publishing and receiving (this device stays in the call). */
  async leave(callId: string): Promise<void> {
    await this.#host.request({ t: "call.sfu.leave", callId });
  }

  /** A server frame: true when it was an SFU frame and is handled. */
  receive(f: ServerFrame): boolean {
    if (f.t === "call.sfu.feeds") this.emit("feeds", { callId: f.callId, feeds: f.feeds });
    else if (f.t === "call.sfu.reconnect") this.emit("reconnect", { callId: f.callId });
    else return false;
    return true;
  }
}

function described(d: SfuDescription | undefined, what: string): SfuDescription {
  if (!d) throw new ParleyError({ code: "bad_response", message: `${what}: the server answered without an SDP` });
  return d;
}
