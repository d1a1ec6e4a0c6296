// The media path of a 1:1 call (docs/calls.md, "Web app"): one RTCPeerConnection to the other
// device, with the ICE servers of GET /calls/ice-servers (coturn), signalling relayed by the
// server (client.calls.signal), and SFrame on every sender and receiver (SFrameMedia), so the
// relay and the server see only ciphertext. Three transceivers in a fixed order — microphone,
// camera, screen — are set up by the caller's offer; the screen's sends nothing until the user
// shares, so sharing is a replaceTrack and never a renegotiation. Negotiation follows the
// "perfect negotiation" pattern (the callee is the polite side), which also covers ICE restarts.
import type { CallSignal } from "@parley/protocol";
import type { PageCallKeys } from "../worker/protocol.ts";
import { detectSFrameMode, encryptableVideoCodecs, peerConnectionConfig, SFrameMedia, startSFrameWorker } from "./sframe-transform.ts";
import { countPackets, emptyLinkStats, readSelectedPair, type LinkStats } from "./link-stats.ts";

/** Which transceiver carries what (m-line order of the caller's offer). */
export const SLOT = { audio: 0, camera: 1, screen: 2 } as const;
/** One of the three media slots. */
export type Slot = keyof typeof SLOT;

/** What a PeerLink needs from its call. */
export interface PeerLinkOptions {
  iceServers: RTCIceServer[];
  /** The caller makes the offer (impolite); the callee answers (polite). */
  polite: boolean;
  /** Relay one signalling message to the other device. */
  send: (signal: CallSignal) => Promise<void>;
  /** The peer connection's state changed (connected, failed…). */
  onState: (state: RTCPeerConnectionState) => void;
}

/** The peer connection of a 1:1 call and its encryption. */
export class PeerLink {
  readonly pc: RTCPeerConnection;
  readonly #media: SFrameMedia;
  readonly #worker: Worker;
  readonly #opts: PeerLinkOptions;
  readonly #protected = new WeakSet<RTCRtpTransceiver>();
  #makingOffer = false;
  #ignoreOffer = false;
  #pendingCandidates: RTCIceCandidateInit[] = [];
  #queue: Promise<void> = Promise.resolve();
  /** The callee's tracks, sent once the caller's offer has created the transceivers. */
  #local: Record<Slot, MediaStreamTrack | null> | undefined;

  constructor(opts: PeerLinkOptions) {
    this.#opts = opts;
    const mode = detectSFrameMode();
    this.#worker = startSFrameWorker();
    this.#media = new SFrameMedia(this.#worker, mode); // throws when the browser cannot encrypt frames: no call in clear
    this.pc = new RTCPeerConnection(peerConnectionConfig(mode, { iceServers: opts.iceServers }));
    this.pc.onicecandidate = (e) => {
      const c = e.candidate;
      if (c) void this.#send({ type: "candidate", candidate: c.candidate, sdpMid: c.sdpMid, sdpMLineIndex: c.sdpMLineIndex });
    };
    this.pc.onnegotiationneeded = () => void this.#offer();
    this.pc.onconnectionstatechange = () => {
      // A dropped network: restart ICE from the offering side (fresh relay allocations on both).
      if (this.pc.connectionState === "failed" && !opts.polite) this.pc.restartIce();
      opts.onState(this.pc.connectionState);
    };
  }

  /** The call's keys for this channel's epoch (again on each rotation); null wipes them: nothing is sent or accepted. */
  setKeys(keys: PageCallKeys | null): void {
    if (keys) this.#media.setKeys(keys);
    else this.#media.clearKeys();
  }

  /** The caller: set up the three transceivers with the local tracks; the offer follows (negotiationneeded). */
  open(tracks: Record<Slot, MediaStreamTrack | null>, stream: MediaStream): void {
    this.pc.addTransceiver(tracks.audio ?? "audio", { direction: "sendrecv", streams: [stream] });
    this.pc.addTransceiver(tracks.camera ?? "video", { direction: "sendrecv", streams: [stream] });
    this.pc.addTransceiver(tracks.screen ?? "video", { direction: "sendrecv" });
    this.#protectAll();
  }

  /** The callee: the tracks to send once the caller's offer has created the transceivers. */
  expect(tracks: Record<Slot, MediaStreamTrack | null>): void {
    this.#local = { ...tracks };
  }

  /** Send `track` (or nothing) in a slot: switching devices, sharing the screen. */
  async replace(slot: Slot, track: MediaStreamTrack | null): Promise<void> {
    const tr = this.pc.getTransceivers()[SLOT[slot]];
    if (tr) await tr.sender.replaceTrack(track);
    else if (this.#local) this.#local[slot] = track;
  }

  /** What the peer sends in a slot (a track muted until media arrives), once negotiated. */
  remoteTrack(slot: Slot): MediaStreamTrack | undefined {
    return this.pc.getTransceivers()[SLOT[slot]]?.receiver.track;
  }

  /** Signalling from the other device of the call, applied in arrival order. */
  receive(signal: CallSignal): Promise<void> {
    const done = this.#queue.then(() => this.#apply(signal));
    this.#queue = done.catch(() => undefined);
    return done;
  }

  async #apply(signal: CallSignal): Promise<void> {
    const pc = this.pc;
    if (signal.type === "candidate") {
      const init = { candidate: signal.candidate, sdpMid: signal.sdpMid, sdpMLineIndex: signal.sdpMLineIndex };
      if (!pc.remoteDescription) return void this.#pendingCandidates.push(init);
      await pc.addIceCandidate(init).catch((err: unknown) => {
        if (!this.#ignoreOffer) throw err;
      });
      return;
    }
    const collision = signal.type === "offer" && (this.#makingOffer || pc.signalingState !== "stable");
    this.#ignoreOffer = !this.#opts.polite && collision;
    if (this.#ignoreOffer) return;
    await pc.setRemoteDescription({ type: signal.type, sdp: signal.sdp });
    this.#protectAll();
    for (const c of this.#pendingCandidates.splice(0)) await pc.addIceCandidate(c).catch(() => undefined);
    if (signal.type === "offer") {
      const local = this.#local;
      this.#local = undefined;
      if (local) for (const slot of ["audio", "camera", "screen"] as const) await this.replace(slot, local[slot]);
      for (const tr of pc.getTransceivers()) if (tr.direction !== "stopped") tr.direction = "sendrecv";
      await pc.setLocalDescription();
      await this.#send({ type: "answer", sdp: pc.localDescription!.sdp });
    }
  }

  /** Decoding and transport figures now. */
  async stats(): Promise<LinkStats> {
    const report = await this.pc.getStats();
    const screen = this.pc.getTransceivers()[SLOT.screen];
    const out = emptyLinkStats(await this.#media.stats());
    readSelectedPair(out, report);
    report.forEach((s: Record<string, unknown>) => {
      if (s.type === "inbound-rtp") countPackets(out, s);
      if (s.type === "inbound-rtp" && s.kind === "video") {
        if (screen && (s.mid === screen.mid || s.trackIdentifier === screen.receiver.track.id)) out.screenFramesDecoded += Number(s.framesDecoded ?? 0);
        else out.framesDecoded += Number(s.framesDecoded ?? 0);
      } else if (s.type === "inbound-rtp" && s.kind === "audio") out.totalAudioEnergy += Number(s.totalAudioEnergy ?? 0);
    });
    return out;
  }

  close(): void {
    this.pc.close();
    this.#worker.terminate();
  }

  async #offer(): Promise<void> {
    try {
      this.#makingOffer = true;
      await this.pc.setLocalDescription();
      const sdp = this.pc.localDescription?.sdp;
      if (sdp) await this.#send({ type: "offer", sdp });
    } finally {
      this.#makingOffer = false;
    }
  }

  async #send(signal: CallSignal): Promise<void> {
    await this.#opts.send(signal).catch(() => undefined); // the call ended meanwhile: its end tears the link down
  }

  // Every sender and receiver encrypts / decrypts from its first frame; video negotiates only codecs SFrame handles.
  #protectAll(): void {
    for (const tr of this.pc.getTransceivers()) {
      if (this.#protected.has(tr)) continue;
      this.#protected.add(tr);
      const kind = tr.receiver.track.kind as "audio" | "video";
      if (kind === "video") tr.setCodecPreferences(encryptableVideoCodecs());
      this.#media.protectSender(tr.sender, kind);
      this.#media.protectReceiver(tr.receiver, kind);
    }
  }
}
