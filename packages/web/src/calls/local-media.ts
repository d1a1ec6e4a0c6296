// This device's side of a call's media: the microphone and camera (getUserMedia), switching
// either to another device (enumerateDevices), muting, and sharing the screen
// (getDisplayMedia). The call store sends what this holds through its PeerLink.

/** A microphone or camera the user may pick. */
export interface MediaDevice {
  deviceId: string;
  kind: "audioinput" | "videoinput";
  label: string;
}

/** The local tracks of a call. */
export class LocalMedia {
  /** Microphone and camera, shown in the self view. */
  readonly stream = new MediaStream();
  #screen: MediaStreamTrack | undefined;

  /** Open the microphone and camera (the camera is optional: a call goes on with audio alone). */
  static async open(): Promise<LocalMedia> {
    const media = new LocalMedia();
    let stream: MediaStream;
    try {
      stream = await navigator.mediaDevices.getUserMedia({ audio: true, video: { width: 640, height: 480 } });
    } catch {
      stream = await navigator.mediaDevices.getUserMedia({ audio: true });
    }
    for (const t of stream.getTracks()) media.stream.addTrack(t);
    return media;
  }

  get audio(): MediaStreamTrack | null {
    return this.stream.getAudioTracks()[0] ?? null;
  }
  get camera(): MediaStreamTrack | null {
    return this.stream.getVideoTracks()[0] ?? null;
  }
  get screen(): MediaStreamTrack | null {
    return this.#screen ?? null;
  }

  /** Mute or unmute the microphone (a muted track sends silence). */
  setAudioMuted(muted: boolean): void {
    if (this.audio) this.audio.enabled = !muted;
  }

  /** Turn the camera off or on (an off track sends black frames; the peer hides the video from `call.state`). */
  setVideoMuted(muted: boolean): void {
    if (this.camera) this.camera.enabled = !muted;
  }

  /** Microphones and cameras (labels once the user allowed media). */
  static async devices(): Promise<MediaDevice[]> {
    const all = await navigator.mediaDevices.enumerateDevices();
    return all
      .filter((d): d is MediaDeviceInfo & { kind: MediaDevice["kind"] } => d.kind === "audioinput" || d.kind === "videoinput")
      .map((d, i) => ({ deviceId: d.deviceId, kind: d.kind, label: d.label || `${d.kind === "audioinput" ? "Microphone" : "Camera"} ${i + 1}` }));
  }

  /** The device id of the track now in use for `kind`. */
  current(kind: MediaDevice["kind"]): string | undefined {
    const t = kind === "audioinput" ? this.audio : this.camera;
    return t?.getSettings().deviceId;
  }

  /** Switch the microphone or camera: the new track (already in the self view), keeping the mute state. */
  async use(kind: MediaDevice["kind"], deviceId: string): Promise<MediaStreamTrack> {
    const audio = kind === "audioinput";
    const got = await navigator.mediaDevices.getUserMedia(
      audio ? { audio: { deviceId: { exact: deviceId } } } : { video: { deviceId: { exact: deviceId }, width: 640, height: 480 } },
    );
    const track = (audio ? got.getAudioTracks() : got.getVideoTracks())[0]!;
    const old = audio ? this.audio : this.camera;
    if (old) {
      track.enabled = old.enabled;
      this.stream.removeTrack(old);
      old.stop();
    }
    this.stream.addTrack(track);
    return track;
  }

  /** Ask the user for a screen, window or tab to share; `onEnded` hears when they stop it from the browser's own bar. */
  async shareScreen(onEnded: () => void): Promise<MediaStreamTrack> {
    const got = await navigator.mediaDevices.getDisplayMedia({ video: { frameRate: 15 }, audio: false });
    const track = got.getVideoTracks()[0]!;
    track.contentHint = "detail";
    track.onended = onEnded;
    this.#screen = track;
    return track;
  }

  stopScreen(): void {
    this.#screen?.stop();
    this.#screen = undefined;
  }

  /** Stop every track (the camera light goes off). */
  stop(): void {
    for (const t of this.stream.getTracks()) t.stop();
    this.stopScreen();
  }
}
