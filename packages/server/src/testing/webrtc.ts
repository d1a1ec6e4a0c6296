/**
 * A real WebRTC endpoint in Node for the SFU tests (werift): a publisher that offers audio and
 * video and, once connected, sends an audio RTP packet every 20 ms (opaque bytes: what an
 * SFrame-encrypted frame is to the SFU), and a subscriber that answers the SFU's offer and counts
 * the RTP packets it receives. Their ICE and DTLS really complete with Janus on 127.0.0.1, so
 * Janus lists their feeds and forwards their media as it would a browser's. Candidates are
 * gathered before the SDP is handed over (no trickle needed).
 */
import { RTCPeerConnection, MediaStreamTrack, RtpHeader, RtpPacket } from "werift";

export interface TestPeer {
  pc: RTCPeerConnection;
  /** The local SDP (offer or answer) with its candidates. */
  sdp: string;
  /** Resolves once the peer connection is `connected` (rejects after `ms`). */
  connected(ms?: number): Promise<void>;
  /** RTP packets received so far (a subscriber: media the SFU forwarded); of one kind with `kind`. */
  received(kind?: "audio" | "video"): number;
  close(): Promise<void>;
}

async function gathered(pc: RTCPeerConnection): Promise<string> {
  for (let i = 0; i < 200 && pc.iceGatheringState !== "complete"; i++) await new Promise((r) => setTimeout(r, 25));
  return pc.localDescription!.sdp;
}

/** A peer connection counting the RTP packets it receives (tracks announced from the first remote description on). */
function counting(): { pc: RTCPeerConnection; received: (kind?: "audio" | "video") => number } {
  // max-bundle: one ICE transport from the start (werift does not close the unbundled ones an answer drops).
  const pc = new RTCPeerConnection({ bundlePolicy: "max-bundle" });
  const received = { audio: 0, video: 0 };
  pc.onTrack.subscribe((track) => track.onReceiveRtp.subscribe(() => void received[track.kind === "audio" ? "audio" : "video"]++));
  return { pc, received: (kind) => (kind ? received[kind] : received.audio + received.video) };
}

function wrap({ pc, received }: ReturnType<typeof counting>, sdp: string, onClose: () => void = () => undefined): TestPeer {
  return {
    pc,
    sdp,
    connected: (ms = 10_000) =>
      new Promise<void>((resolve, reject) => {
        if (pc.connectionState === "connected") return resolve();
        const timer = setTimeout(() => reject(new Error(`peer connection not connected within ${ms} ms (${pc.connectionState})`)), ms);
        const sub = pc.connectionStateChange.subscribe((s) => {
          if (s !== "connected") return;
          clearTimeout(timer);
          sub.unSubscribe();
          resolve();
        });
      }),
    received,
    close: async () => {
      onClose();
      await pc.close();
    },
  };
}

/** What a publisher sends while connected: an audio packet of `audioBytes` every 20 ms, and `videoPacketsPerFrame` video packets of `videoBytes` at `fps` (none by default). */
export interface PublisherMedia {
  audioBytes?: number;
  videoBytes?: number;
  videoPacketsPerFrame?: number;
  fps?: number;
}

/** A publisher offering sendonly audio (Opus) and video (VP8); it sends audio packets (and, with `media`, video packets) while connected. */
export async function publisherPeer(media: PublisherMedia = {}): Promise<TestPeer> {
  const peer = counting();
  const { pc } = peer;
  const audio = new MediaStreamTrack({ kind: "audio" });
  const video = new MediaStreamTrack({ kind: "video" });
  pc.addTransceiver(audio, { direction: "sendonly" });
  pc.addTransceiver(video, { direction: "sendonly" });
  await pc.setLocalDescription(await pc.createOffer());
  let seq = 0;
  const timer = setInterval(() => {
    if (pc.connectionState !== "connected") return;
    seq++;
    audio.writeRtp(
      new RtpPacket(new RtpHeader({ sequenceNumber: seq & 0xffff, timestamp: seq * 960, marker: false }), Buffer.alloc(media.audioBytes ?? 40, seq & 0xff)),
    );
  }, 20);
  let vseq = 0;
  const perFrame = media.videoPacketsPerFrame ?? 0;
  const videoTimer = setInterval(
    () => {
      if (pc.connectionState !== "connected" || perFrame === 0) return;
      const ts = Math.floor(performance.now() * 90) >>> 0;
      for (let i = 0; i < perFrame; i++) {
        vseq++;
        const header = new RtpHeader({ sequenceNumber: vseq & 0xffff, timestamp: ts, marker: i === perFrame - 1 });
        video.writeRtp(new RtpPacket(header, Buffer.alloc(media.videoBytes ?? 1000, vseq & 0xff)));
      }
    },
    1000 / (media.fps ?? 30),
  );
  return wrap(peer, await gathered(pc), () => {
    clearInterval(timer);
    clearInterval(videoTimer);
  });
}

/** A subscriber answering the SFU's offer. */
export async function subscriberPeer(offer: string): Promise<TestPeer> {
  const peer = counting();
  const { pc } = peer;
  await pc.setRemoteDescription({ type: "offer", sdp: offer });
  await pc.setLocalDescription(await pc.createAnswer());
  return wrap(peer, await gathered(pc));
}
