// Pure pieces of a group call's media (docs/calls.md, "Web app"): which m-lines of the SFU's
// subscription offer are live, which of them a newly subscribed device owns, who speaks now, and
// when audio-only mode is on by default. No WebRTC objects here, so they are tested directly.

/** One m-line of an SDP: its mid, kind, and whether it carries media (port not 0, not inactive). */
export interface SdpStream {
  mid: string;
  kind: string;
  live: boolean;
}

/** The m-lines of an SDP, in order. */
export function sdpStreams(sdp: string): SdpStream[] {
  return sdp
    .split(/\r?\nm=/)
    .slice(1)
    .map((section) => {
      const [kind = "", port = "0"] = section.split(/\s/, 2);
      const mid = /^a=mid:(\S+)/m.exec(section)?.[1] ?? "";
      return { mid, kind, live: port !== "0" && !/^a=inactive/m.test(section) };
    });
}

/** The mids one device's feed occupies in the subscription: its microphone, camera and screen. */
export interface FeedMids {
  audio: string | undefined;
  camera: string | undefined;
  screen: string | undefined;
}

/**
 * The mids a feed subscribed alone got: the live audio and video m-lines of the new offer that no
 * other subscribed device holds (the SFU adds a feed's streams in its publisher's order —
 * microphone, camera, screen — and may reuse an m-line a departed feed left).
 */
export function newFeedMids(offer: string, held: ReadonlySet<string>): FeedMids {
  const fresh = sdpStreams(offer).filter((s) => s.live && s.mid && !held.has(s.mid));
  const video = fresh.filter((s) => s.kind === "video");
  return { audio: fresh.find((s) => s.kind === "audio")?.mid, camera: video[0]?.mid, screen: video[1]?.mid };
}

/** Above this many people in a call, audio-only mode starts on (each tile's video costs a decoder and bandwidth). */
export const AUDIO_ONLY_ABOVE = 12;

/** Whether a call of `people` devices starts in audio-only mode. */
export function audioOnlyByDefault(people: number): boolean {
  return people > AUDIO_ONLY_ABOVE;
}

/** A level (0-1, RMS) above which a participant counts as speaking. */
export const SPEAKING_LEVEL = 0.01;

/**
 * The RMS audio level between two readings of an inbound or media-source stat:
 * sqrt(Δ totalAudioEnergy / Δ totalSamplesDuration), 0 without new samples.
 */
export function levelBetween(prev: { energy: number; duration: number } | undefined, now: { energy: number; duration: number }): number {
  if (!prev) return 0;
  const d = now.duration - prev.duration;
  return d > 0 ? Math.sqrt(Math.max(0, now.energy - prev.energy) / d) : 0;
}

/**
 * The active speaker: the loudest of those speaking now; the previous speaker stays while nobody
 * speaks, and keeps the place unless someone is clearly louder (no flicker between two voices).
 */
export function pickSpeaker(levels: ReadonlyMap<string, number>, previous: string | undefined): string | undefined {
  let best: string | undefined;
  let top = SPEAKING_LEVEL;
  for (const [id, level] of levels)
    if (level > top) {
      best = id;
      top = level;
    }
  if (!best) return previous;
  const held = previous === undefined ? 0 : (levels.get(previous) ?? 0);
  return previous !== undefined && held > SPEAKING_LEVEL && top < held * 1.5 ? previous : best;
}

/**
 * How many simulcast layers the camera sends, from its resolution: Chromium makes several
 * VP8 layers only from about 640×360 up (two there, three from 960×540), so a smaller camera
 * sends one encoding.
 */
export function simulcastLayers(size: { width?: number | undefined; height?: number | undefined }): 1 | 2 | 3 {
  const short = Math.min(size.width ?? 0, size.height ?? 0);
  return short >= 540 ? 3 : short >= 360 ? 2 : 1;
}

/**
 * The camera's send encodings for `layers` simulcast layers, highest first (the order the SFU,
 * Janus, reads rids in by default): full size, then half, then quarter. One layer: no rids.
 */
export function cameraEncodings(layers: 1 | 2 | 3): RTCRtpEncodingParameters[] {
  if (layers === 1) return [{}];
  return ["h", "m", "l"].slice(0, layers).map((rid, i) => ({ rid, scaleResolutionDownBy: 2 ** i }));
}

/** The simulcast layer (SFU substream) a tile asks for: the highest for the large tile, the lowest for a grid tile. */
export const LARGE_SUBSTREAM = 2;
export const GRID_SUBSTREAM = 0;

/** What this device wants the SFU to forward on one video m-line of its subscription. */
export interface VideoStreamWish {
  mid: string;
  send: boolean;
  /** Cameras only (a shared screen is sent in one layer). */
  substream?: number;
}

/**
 * The wishes for every video m-line of the subscription: nothing at all in audio-only mode (the
 * SFU stops forwarding them); otherwise each camera in the layer its tile needs — the high one
 * for the large tile (pinned or speaker view), a low one in the grid or strip — and every shared
 * screen sent.
 */
export function videoStreamWishes(
  feeds: Iterable<{ deviceId: string; mids: FeedMids }>,
  o: { audioOnly: boolean; large: string | undefined },
): VideoStreamWish[] {
  const out: VideoStreamWish[] = [];
  for (const f of feeds) {
    if (f.mids.camera)
      out.push(
        o.audioOnly
          ? { mid: f.mids.camera, send: false }
          : { mid: f.mids.camera, send: true, substream: f.deviceId === o.large ? LARGE_SUBSTREAM : GRID_SUBSTREAM },
      );
    if (f.mids.screen) out.push({ mid: f.mids.screen, send: !o.audioOnly });
  }
  return out;
}
