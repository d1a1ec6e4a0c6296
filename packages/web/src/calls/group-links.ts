// The two peer connections of a group call (docs/calls.md, "Group calls through the SFU"): the
// publisher (sendonly: microphone, camera, screen — three transceivers in that order, so sharing
// the screen is a replaceTrack on the third, as in a 1:1 call) and the subscriber (recvonly, the
// SFU's multistream offer answered here). Every SDP goes through the server (client.calls.sfu);
// SFrame is on every sender and receiver before its first frame; video negotiates VP8/VP9 only.
// The camera goes out in simulcast (2 or 3 layers by its resolution) when it is large enough; the
// SFU picks a layer per subscriber (call.sfu.configure). The screen is one layer.
import type { SfuFeed } from "@parley/protocol";
import type { RemoteSfu } from "../client/remote-sfu.ts";
import type { Slot } from "./peer-link.ts";
import { cameraEncodings } from "./group-streams.ts";
import { encryptableVideoCodecs, peerConnectionConfig, type SFrameMedia } from "./sframe-transform.ts";

/** The publisher's transceivers, in m-line order. */
const SLOTS: readonly Slot[] = ["audio", "camera", "screen"];

/** What both connections need. */
export interface LinkContext {
  callId: string;
  sfu: Pick<RemoteSfu, "publish" | "renegotiate" | "subscribe" | "start" | "restart" | "trickle" | "configure">;
  iceServers: RTCIceServer[];
  sframe: SFrameMedia;
  /** A connection's state changed (connected, failed…). */
  onState: (role: "publisher" | "subscriber", state: RTCPeerConnectionState) => void;
}

/** Wait for ICE gathering to finish (at most `ms`): the SDP then carries the candidates, and later ones are trickled. */
async function gathered(pc: RTCPeerConnection, ms = 2000): Promise<void> {
  const until = Date.now() + ms;
  while (pc.iceGatheringState !== "complete" && Date.now() < until) await new Promise((r) => setTimeout(r, 30));
}

/** A connection of `role` whose candidates are trickled once `negotiated()` holds (before, they travel in the SDP). */
function newConnection(ctx: LinkContext, role: "publisher" | "subscriber", negotiated: () => boolean): RTCPeerConnection {
  const pc = new RTCPeerConnection(peerConnectionConfig(ctx.sframe.mode, { iceServers: ctx.iceServers }));
  pc.onicecandidate = ({ candidate: c }) => {
    if (negotiated() && c)
      void ctx.sfu.trickle(ctx.callId, role, { candidate: c.candidate, sdpMid: c.sdpMid, sdpMLineIndex: c.sdpMLineIndex }).catch(() => undefined);
  };
  pc.onconnectionstatechange = () => ctx.onState(role, pc.connectionState);
  return pc;
}

/** This device's media to the SFU. */
export class Publisher {
  readonly pc: RTCPeerConnection;
  readonly #ctx: LinkContext;
  #negotiated = false;

  /** `cameraLayers`: simulcast layers of the camera (simulcastLayers of its resolution; 1: no simulcast). */
  constructor(ctx: LinkContext, tracks: Record<Slot, MediaStreamTrack | null>, stream: MediaStream, cameraLayers: 1 | 2 | 3 = 1) {
    this.#ctx = ctx;
    this.pc = newConnection(ctx, "publisher", () => this.#negotiated);
    for (const slot of SLOTS) {
      const track = tracks[slot];
      const tr = this.pc.addTransceiver(track ?? (slot === "audio" ? "audio" : "video"), {
        direction: "sendonly",
        ...(slot === "screen" ? {} : { streams: [stream] }),
        ...(slot === "camera" && cameraLayers > 1 ? { sendEncodings: cameraEncodings(cameraLayers) } : {}),
      });
      const kind = slot === "audio" ? "audio" : "video";
      if (kind === "video") tr.setCodecPreferences(encryptableVideoCodecs());
      ctx.sframe.protectSender(tr.sender, kind);
    }
  }

  /** Publish: the offer through the server, the SFU's answer; returns the feeds already published. */
  async publish(): Promise<SfuFeed[]> {
    await this.pc.setLocalDescription(await this.pc.createOffer());
    await gathered(this.pc);
    const { answer, feeds } = await this.#ctx.sfu.publish(this.#ctx.callId, this.pc.localDescription!.sdp);
    await this.pc.setRemoteDescription(answer);
    this.#negotiated = true;
    return feeds;
  }

  /** After a network change: a new offer with fresh ICE credentials, answered by the SFU. */
  async restartIce(): Promise<void> {
    await this.pc.setLocalDescription(await this.pc.createOffer({ iceRestart: true }));
    await gathered(this.pc);
    const answer = await this.#ctx.sfu.renegotiate(this.#ctx.callId, this.pc.localDescription!.sdp, { iceRestart: true });
    await this.pc.setRemoteDescription(answer);
  }

  /** Send `track` (or nothing) in a slot: device switch, screen share, audio-only. */
  async replace(slot: Slot, track: MediaStreamTrack | null): Promise<void> {
    await this.pc.getTransceivers()[SLOTS.indexOf(slot)]?.sender.replaceTrack(track);
  }

  close(): void {
    this.pc.close();
  }
}

/** The other devices' media from the SFU: one subscription, grown feed by feed. */
export class Subscriber {
  readonly pc: RTCPeerConnection;
  readonly #ctx: LinkContext;
  readonly #protected = new WeakSet<RTCRtpReceiver>();
  #queue: Promise<unknown> = Promise.resolve();
  #negotiated = false;

  constructor(ctx: LinkContext) {
    this.#ctx = ctx;
    this.pc = newConnection(ctx, "subscriber", () => this.#negotiated);
  }

  /** Subscribe to one more device's feed: the SFU's offer for the whole subscription, answered. Returns the offer. */
  subscribe(feed: string): Promise<string> {
    return this.#serial(async () => {
      const offer = await this.#ctx.sfu.subscribe(this.#ctx.callId, [feed]);
      await this.#answer(offer.sdp);
      return offer.sdp;
    });
  }

  /** After a network change: the SFU's fresh offer (ICE restart), answered. */
  restartIce(): Promise<void> {
    return this.#serial(async () => {
      const offer = await this.#ctx.sfu.restart(this.#ctx.callId);
      await this.#answer(offer.sdp);
    });
  }

  /** Tell the SFU what to forward on these m-lines of the subscription (stop / resume, simulcast layer). */
  configure(streams: Array<{ mid: string; send?: boolean; substream?: number }>): Promise<void> {
    return this.#serial(() => this.#ctx.sfu.configure(this.#ctx.callId, streams));
  }

  /** The track received on an m-line. */
  track(mid: string | undefined): MediaStreamTrack | undefined {
    return mid === undefined ? undefined : this.pc.getTransceivers().find((t) => t.mid === mid)?.receiver.track;
  }

  close(): void {
    this.pc.close();
  }

  async #answer(sdp: string): Promise<void> {
    await this.pc.setRemoteDescription({ type: "offer", sdp });
    // Decrypt from the first frame: every new receiver gets the SFrame transform before the answer lets media flow.
    for (const tr of this.pc.getTransceivers()) {
      if (this.#protected.has(tr.receiver)) continue;
      this.#protected.add(tr.receiver);
      this.#ctx.sframe.protectReceiver(tr.receiver, tr.receiver.track.kind as "audio" | "video");
    }
    await this.pc.setLocalDescription(await this.pc.createAnswer());
    await gathered(this.pc);
    await this.#ctx.sfu.start(this.#ctx.callId, this.pc.localDescription!.sdp);
    this.#negotiated = true;
  }

  #serial<T>(step: () => Promise<T>): Promise<T> {
    const done = this.#queue.then(step);
    this.#queue = done.catch(() => undefined);
    return done;
  }
}
