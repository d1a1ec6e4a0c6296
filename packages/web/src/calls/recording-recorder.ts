// Recording a call on this device (docs/calls.md, "Recording"): MediaRecorder over what this
// device plays and says — the decoded remote media (after SFrame decryption) and the local
// microphone, mixed with Web Audio into one track, and one video: the peer's screen while they
// share it, else their camera, else this device's camera. The file never leaves the device
// unencrypted: the caller uploads it as an encrypted attachment (recording-session.ts).
import type { CallMedia } from "./call-media.ts";

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

  private constructor(media: CallMedia) {
    this.#audio = new AudioContext();
    const mix = this.#audio.createMediaStreamDestination();
    for (const stream of [media.local.stream, media.remote]) {
      const tracks = stream.getAudioTracks().filter((t) => t.readyState === "live");
      if (tracks.length) this.#audio.createMediaStreamSource(new MediaStream(tracks)).connect(mix);
    }
    // A track that carries no frames (muted: the peer's screen slot while they do not share) would
    // hold the whole file back: the WebM muxer waits for every track's first frame.
    const live = (s: MediaStream) => s.getVideoTracks().find((t) => t.readyState === "live" && !t.muted);
    const video = live(media.remoteScreen) ?? live(media.remote) ?? live(media.local.stream);
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

  /** Start recording a call's media now. */
  static start(media: CallMedia): CallRecorder {
    return new CallRecorder(media);
  }

  /** Stop and return the recording (a WebM file). */
  async stop(): Promise<Blob> {
    if (this.#recorder.state !== "inactive") this.#recorder.stop();
    try {
      return await this.#done;
    } finally {
      void this.#audio.close().catch(() => undefined);
    }
  }
}

/** The file name of a recording that started at `startedAt` (local time, no characters file systems refuse). */
export function recordingFileName(startedAt: number, mimeType: string): string {
  const d = new Date(startedAt);
  const p = (n: number) => String(n).padStart(2, "0");
  const ext = mimeType.includes("webm") ? "webm" : "bin";
  return `Call recording ${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}.${p(d.getMinutes())}.${p(d.getSeconds())}.${ext}`;
}
