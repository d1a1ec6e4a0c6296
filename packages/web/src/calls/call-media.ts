// The media of this device's call: the local tracks, the channel's call keys (followed across
// MLS epochs: a new epoch's keys go to the SFrame worker at once, none wipes them), the
// PeerLink to the other device once it is known, and the streams the peer sends. Signalling that
// arrives before the link exists waits here.
import type { CallSignal } from "@parley/protocol";
import type { RemoteCalls } from "../client/remote-calls.ts";
import type { PageCallKeys } from "../worker/protocol.ts";
import type { LocalMedia, MediaDevice } from "./local-media.ts";
import { PeerLink, type Slot } from "./peer-link.ts";
import type { LinkStats } from "./link-stats.ts";

/** One call's media on this device. */
export class CallMedia {
  readonly local: LocalMedia;
  /** What the peer sends: microphone + camera, and the screen. */
  readonly remote = new MediaStream();
  readonly remoteScreen = new MediaStream();
  /** The MLS epoch whose keys encrypt the media now; null: this device has no keys (nothing is sent); undefined: not loaded yet. */
  epoch: bigint | null | undefined;
  audioMuted = false;
  videoMuted: boolean;
  sharing = false;
  /** The call's id once known (media state goes to the server with it). */
  callId: () => string | undefined = () => undefined;
  readonly #calls: Pick<RemoteCalls, "followKeys" | "signal" | "setMedia">;
  readonly #onChange: () => void;
  readonly #keys: Promise<PageCallKeys | null>;
  readonly #offKeys: () => void;
  #link: PeerLink | undefined;
  #buffered: CallSignal[] = [];
  #closed = false;

  constructor(calls: Pick<RemoteCalls, "followKeys" | "signal" | "setMedia">, channelId: string, local: LocalMedia, onChange: () => void) {
    this.#calls = calls;
    this.local = local;
    this.videoMuted = !local.camera;
    this.#onChange = onChange;
    let first: (k: PageCallKeys | null) => void = () => undefined;
    this.#keys = new Promise((resolve) => (first = resolve));
    this.#offKeys = calls.followKeys(channelId, (keys) => {
      first(keys);
      this.epoch = keys?.epoch ?? null;
      this.#link?.setKeys(keys);
      onChange();
    });
  }

  /**
   * Set up the peer connection to the other device (the caller offers, the callee is polite and
   * answers) once the keys are here: no frame leaves unencrypted, none is sent before keys exist.
   */
  async connect(o: { callId: string; peerDeviceId: string; polite: boolean; iceServers: RTCIceServer[]; onConnected: () => void }): Promise<void> {
    const keys = await this.#keys;
    if (this.#closed) return;
    if (!keys) throw new Error("this device holds no keys for this conversation, so the call cannot be encrypted");
    const link = new PeerLink({
      iceServers: o.iceServers,
      polite: o.polite,
      send: (signal) => this.#calls.signal(o.callId, o.peerDeviceId, signal),
      onState: (state) => {
        if (state === "connected") o.onConnected();
        this.#onChange();
      },
    });
    this.#link = link;
    link.setKeys(keys);
    link.pc.addEventListener("track", () => this.#remoteTracks(link));
    const tracks = { audio: this.local.audio, camera: this.local.camera, screen: this.local.screen };
    if (o.polite) link.expect(tracks);
    else link.open(tracks, this.local.stream);
    for (const s of this.#buffered.splice(0)) await link.receive(s).catch(() => undefined);
  }

  /** Signalling from the peer (kept until the link exists). */
  receive(signal: CallSignal): void {
    if (this.#link) void this.#link.receive(signal).catch(() => undefined);
    else this.#buffered.push(signal);
  }

  /** Send another track (or none) in a slot. */
  async replace(slot: Slot, track: MediaStreamTrack | null): Promise<void> {
    await this.#link?.replace(slot, track);
  }

  async setAudioMuted(muted: boolean): Promise<void> {
    this.audioMuted = muted;
    this.local.setAudioMuted(muted);
    this.#onChange();
    await this.#tell({ audioMuted: muted });
  }

  async setVideoMuted(muted: boolean): Promise<void> {
    this.videoMuted = muted;
    this.local.setVideoMuted(muted);
    this.#onChange();
    await this.#tell({ videoMuted: muted });
  }

  /** Share a screen in the screen slot (the picker is the browser's), or stop sharing. */
  async toggleScreen(): Promise<void> {
    if (this.sharing) return this.#stopSharing();
    let track: MediaStreamTrack;
    try {
      track = await this.local.shareScreen(() => void this.#stopSharing());
    } catch {
      return; // the user closed the picker
    }
    await this.replace("screen", track);
    this.sharing = true;
    this.#onChange();
    await this.#tell({ screenSharing: true });
  }

  /** Use another microphone or camera. */
  async switchDevice(kind: MediaDevice["kind"], deviceId: string): Promise<void> {
    const track = await this.local.use(kind, deviceId);
    await this.replace(kind === "audioinput" ? "audio" : "camera", track);
    this.#onChange();
  }

  stats(): Promise<LinkStats | undefined> {
    return this.#link ? this.#link.stats() : Promise.resolve(undefined);
  }

  /** Stop everything: the connection, the SFrame worker, the key follow, the camera and microphone. */
  close(): void {
    this.#closed = true;
    this.#link?.close();
    this.#link = undefined;
    this.#offKeys();
    this.local.stop();
    this.#buffered = [];
  }

  async #stopSharing(): Promise<void> {
    if (!this.sharing) return;
    this.local.stopScreen();
    this.sharing = false;
    this.#onChange();
    await this.replace("screen", null).catch(() => undefined);
    await this.#tell({ screenSharing: false });
  }

  // This device's media state for the other participants (call.state).
  async #tell(state: Parameters<RemoteCalls["setMedia"]>[1]): Promise<void> {
    const callId = this.callId();
    if (callId && !this.#closed) await this.#calls.setMedia(callId, state).catch(() => undefined);
  }

  #remoteTracks(link: PeerLink): void {
    const set = (stream: MediaStream, tracks: Array<MediaStreamTrack | undefined>) => {
      for (const t of stream.getTracks()) if (!tracks.includes(t)) stream.removeTrack(t);
      for (const t of tracks) if (t && !stream.getTracks().includes(t)) stream.addTrack(t);
    };
    set(this.remote, [link.remoteTrack("audio"), link.remoteTrack("camera")]);
    set(this.remoteScreen, [link.remoteTrack("screen")]);
    this.#onChange();
  }
}
