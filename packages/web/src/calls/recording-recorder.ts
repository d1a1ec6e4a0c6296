// Recording a call on this device (docs/calls.md, "Recording"): MediaRecorder over what this
// device plays and says — the decoded remote media (after SFrame decryption) and the local
// microphone, mixed with Web Audio into one track, and one video. A 1:1 call's video is the
// peer's screen while they share it, else their camera, else this device's camera; a group
// call's is a composite of everyone (recording-composite.ts), and the audio of people who join
// later is mixed in as they come. The file never leaves the device unencrypted: the caller
// uploads it as an encrypted attachment (recording-session.ts).
import type { CallMedia } from "./call-media.ts";
import { GroupMedia } from "./group-media.ts";
import { Composite, type CompositeScene } from "./recording-composite.ts";

/** Container and codecs the recorder asks for, best first (Chromium and Firefox record WebM). */
const TYPES = ["video/webm;codecs=vp8,opus", "video/webm;codecs=vp9,opus", "video/webm", "audio/webm;codecs=opus", "audio/webm"];

/** One recording in progress. */
export class CallRecorder {
  readonly startedAt = Date.now();
  readonly mimeType: string;
  readonly #recorder: MediaRecorder;
  readonly #audio: AudioContext;
  readonly #chunks: Blob[] = [];
  readonly #done: Promise<Blob>;
  readonly #mix: MediaStreamAudioDestinationNode;
  /** Audio tracks mixed in so far (by id). */
  readonly #mixed = new Set<string>();
  #composite: Composite | undefined;
  #follow: ReturnType<typeof setInterval> | undefined;

  private constructor(media: CallMedia, names: RecordingNames) {
    this.#audio = new AudioContext();
    const mix = (this.#mix = this.#audio.createMediaStreamDestination());
    const sources = () =>
      media instanceof GroupMedia ? [media.local.stream, ...[...media.feeds.values()].map((f) => f.audio)] : [media.local.stream, media.remote];
    this.#mixIn(sources());
    // A track that carries no frames (muted: the peer's screen slot while they do not share) would
    // hold the whole file back: the WebM muxer waits for every track's first frame.
    const live = (s: MediaStream) => s.getVideoTracks().find((t) => t.readyState === "live" && !t.muted);
    let video: MediaStreamTrack | undefined;
    if (media instanceof GroupMedia) {
      this.#composite = new Composite(() => groupScene(media, names));
      video = this.#composite.track;
      this.#follow = setInterval(() => this.#mixIn(sources()), 1000);
    } else video = live(media.remoteScreen) ?? live(media.remote) ?? live(media.local.stream);
    const tracks = [...(video ? [video] : []), ...mix.stream.getAudioTracks()];
    const type = TYPES.find((t) => (video || t.startsWith("audio/")) && MediaRecorder.isTypeSupported(t));
    this.#recorder = new MediaRecorder(new MediaStream(tracks), type ? { mimeType: type } : {});
    this.mimeType = (this.#recorder.mimeType || type || "video/webm").split(";")[0]!;
    this.#done = new Promise((resolve, reject) => {
      this.#recorder.ondataavailable = (e) => {
        if (e.data.size > 0) this.#chunks.push(e.data);
      };
      this.#recorder.onstop = () => resolve(new Blob(this.#chunks, { type: this.mimeType }));
      this.#recorder.onerror = () => reject(new Error("the browser stopped recording"));
    });
    // A chunk a second: a long recording is not held as one growing buffer inside the recorder.
    this.#recorder.start(1000);
  }

  /** Start recording a call's media now (`names` label a group call's pictures). */
  static start(media: CallMedia, names: RecordingNames = { of: () => "", me: "" }): CallRecorder {
    return new CallRecorder(media, names);
  }

  #mixIn(streams: MediaStream[]): void {
    for (const s of streams) {
      for (const t of s.getAudioTracks()) {
        if (t.readyState !== "live" || this.#mixed.has(t.id)) continue;
        this.#mixed.add(t.id);
        this.#audio.createMediaStreamSource(new MediaStream([t])).connect(this.#mix);
      }
    }
  }

  /** Stop and return the recording (a WebM file). */
  async stop(): Promise<Blob> {
    clearInterval(this.#follow);
    if (this.#recorder.state !== "inactive") this.#recorder.stop();
    try {
      return await this.#done;
    } finally {
      void this.#audio.close().catch(() => undefined);
      this.#composite?.stop();
    }
  }
}

/** The names on a group recording's pictures: a user's, and this device's user's. */
export interface RecordingNames {
  of(userId: string): string;
  me: string;
}

/** One stream per screen track of this device (the composite keys its elements by stream). */
const ownScreens = new WeakMap<MediaStreamTrack, MediaStream>();

/** What a group call's composite shows: the shared screen (another's or this device's), and every camera. */
function groupScene(media: GroupMedia, names: RecordingNames): CompositeScene {
  const sharer = media.sharingDevice ? media.feeds.get(media.sharingDevice) : undefined;
  const own = media.sharing ? media.local.screen : null;
  if (own && !ownScreens.has(own)) ownScreens.set(own, new MediaStream([own]));
  const screen = sharer
    ? { name: names.of(sharer.userId), stream: sharer.screen }
    : own
      ? { name: names.of(names.me), stream: ownScreens.get(own)! }
      : undefined;
  const cameras = [
    { key: "self", name: names.of(names.me), stream: media.videoMuted ? undefined : media.local.stream },
    ...[...media.feeds.values()].map((f) => ({ key: f.deviceId, name: names.of(f.userId), stream: f.camera })),
  ];
  return { screen, cameras };
}

/** The file name of a recording that started at `startedAt` (local time, no characters file systems refuse). */
export function recordingFileName(startedAt: number, mimeType: string): string {
  const d = new Date(startedAt);
  const p = (n: number) => String(n).padStart(2, "0");
  const ext = mimeType.includes("webm") ? "webm" : "bin";
  return `Call recording ${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}.${p(d.getMinutes())}.${p(d.getSeconds())}.${ext}`;
}
