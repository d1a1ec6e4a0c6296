// The media of this device's group call (a channel's call through the SFU; docs/calls.md, "Web
// app"). It is a CallMedia — the same local tracks, mute, camera, screen share, device switch and
// media state told to the server — whose tracks go to the SFU's publisher instead of a peer, plus
// one subscription to every other device's feed. Feeds are subscribed one at a time, so the
// m-lines each new offer adds name their device (group-streams.ts). Audio plays from elements
// owned here, not by the screen, so it goes on in picture-in-picture; `remote` holds the video
// the picture-in-picture view shows (a shared screen, else the active speaker's camera).
import type { Call, SfuFeed } from "@parley/protocol";
import type { RemoteCalls } from "../client/remote-calls.ts";
import type { PageCallKeys } from "../worker/protocol.ts";
import { CallMedia } from "./call-media.ts";
import type { LocalMedia } from "./local-media.ts";
import type { Slot } from "./peer-link.ts";
import { countPackets, emptyLinkStats, readSelectedPair, type LinkStats } from "./link-stats.ts";
import { Publisher, Subscriber, type LinkContext } from "./group-links.ts";
import { playThroughSpeaker } from "./speaker.ts";
import {
  audioOnlyByDefault,
  levelBetween,
  newFeedMids,
  pickSpeaker,
  simulcastLayers,
  SPEAKING_LEVEL,
  videoStreamWishes,
  type FeedMids,
} from "./group-streams.ts";
import { detectSFrameMode, SFrameMedia, startSFrameWorker, type SFrameStats } from "./sframe-transform.ts";
import { undecryptableSenders } from "./call-health.ts";

/** Another device's media in the call. */
export interface GroupFeed {
  deviceId: string;
  userId: string;
  mids: FeedMids;
  camera: MediaStream;
  screen: MediaStream;
  audio: MediaStream;
}

type GroupCalls = Pick<RemoteCalls, "followKeys" | "signal" | "setMedia" | "sfu" | "on">;

/** One group call's media on this device. */
export class GroupMedia extends CallMedia {
  /** Other devices' media by device id (subscribed feeds). */
  readonly feeds = new Map<string, GroupFeed>();
  /** Devices speaking now (this device's id too), and the active speaker. */
  speaking = new Set<string>();
  activeSpeaker: string | undefined;
  /** Another device sharing its screen now (from the call's state). */
  sharingDevice: string | undefined;
  /** Remote videos are not shown and the camera is not sent (large calls; the user can turn it off). */
  audioOnly = false;
  /** Devices whose frames arrive but none of which this device could decrypt in the last couple of seconds (their tile says so). */
  undecryptable = new Set<string>();
  readonly #calls: GroupCalls;
  readonly #ownDeviceId: string;
  readonly #changed: () => void;
  readonly #offs: Array<() => void> = [];
  readonly #audio = new Map<string, { el: HTMLAudioElement; release: () => void }>();
  readonly #energy = new Map<string, { energy: number; duration: number }>();
  #audioOnlyChosen = false;
  #keys: PageCallKeys | null | undefined;
  #firstKeys: Promise<PageCallKeys | null>;
  #sframe: SFrameMedia | undefined;
  #worker: Worker | undefined;
  #ctx: LinkContext | undefined;
  #pub: Publisher | undefined;
  #sub: Subscriber | undefined;
  #feedQueue: Promise<void> = Promise.resolve();
  #latestFeeds: SfuFeed[] = [];
  #timer: ReturnType<typeof setInterval> | undefined;
  #ticks = 0;
  #lastSFrame: SFrameStats | undefined;
  #onConnected: () => void = () => undefined;
  #closed = false;
  /** The device shown large (pinned or speaker view): its camera comes in the high simulcast layer. */
  #large: string | undefined;
  /** What the SFU was last told per video m-line of the subscription (JSON of the wish). */
  readonly #told = new Map<string, string>();

  constructor(calls: GroupCalls, channelId: string, local: LocalMedia, onChange: () => void, ownDeviceId: string) {
    super(calls, channelId, local, onChange);
    this.#calls = calls;
    this.#ownDeviceId = ownDeviceId;
    this.#changed = onChange;
    let first: (k: PageCallKeys | null) => void = () => undefined;
    this.#firstKeys = new Promise((resolve) => (first = resolve));
    this.#offs.push(
      calls.followKeys(channelId, (keys) => {
        first(keys);
        this.#keys = keys;
        if (keys) this.#sframe?.setKeys(keys);
        else this.#sframe?.clearKeys();
      }),
      calls.sfu.on("feeds", ({ callId, feeds }) => callId === this.callId() && this.#onFeeds(feeds)),
      calls.sfu.on("reconnect", ({ callId }) => callId === this.callId() && void this.#rebuild()),
      calls.on("state", ({ call }) => call.id === this.callId() && this.#onCall(call)),
    );
  }

  /**
   * Publish to the SFU and subscribe to the others once the keys are here (nothing leaves
   * unencrypted; the browser must be able to transform frames, or this throws).
   */
  async join(o: { call: Call; iceServers: RTCIceServer[]; onConnected: () => void }): Promise<void> {
    const keys = await this.#firstKeys;
    if (this.#closed) return;
    if (!keys) throw new Error("this device holds no keys for this conversation, so the call cannot be encrypted");
    this.#onConnected = o.onConnected;
    this.#worker = startSFrameWorker();
    this.#sframe = new SFrameMedia(this.#worker, detectSFrameMode());
    this.#sframe.setKeys(this.#keys ?? keys);
    this.#ctx = {
      callId: o.call.id,
      sfu: this.#calls.sfu,
      iceServers: o.iceServers,
      sframe: this.#sframe,
      onState: (role, state) => this.#onLinkState(role, state),
    };
    this.#onCall(o.call);
    this.#timer = setInterval(() => void this.#measure(), 500);
    await this.#connect();
  }

  /** Show remote videos and send the camera again, or stop both (audio-only). */
  async setAudioOnly(on: boolean): Promise<void> {
    this.#audioOnlyChosen = true;
    if (on === this.audioOnly) return;
    this.audioOnly = on;
    await this.#pub?.replace("camera", on ? null : this.local.camera);
    // The SFU stops forwarding the others' videos (not only hidden here: no bandwidth, no decoding).
    void this.#tellSfu();
    this.#changed();
    const callId = this.callId();
    // The others show this device's avatar instead of a frozen frame.
    if (callId) await this.#calls.setMedia(callId, { videoMuted: on || this.videoMuted }).catch(() => undefined);
  }

  /** The device whose tile is large now (undefined: none, e.g. grid view or a shared screen): the layers asked of the SFU follow. */
  showLarge(deviceId: string | undefined): void {
    if (deviceId === this.#large) return;
    this.#large = deviceId;
    void this.#tellSfu();
  }

  override async replace(slot: Slot, track: MediaStreamTrack | null): Promise<void> {
    await this.#pub?.replace(slot, slot === "camera" && this.audioOnly ? null : track);
  }

  /** Decoding figures of the subscription (all feeds together) and the SFrame counters. */
  override async stats(): Promise<LinkStats | undefined> {
    const sub = this.#sub;
    if (!sub || !this.#sframe) return undefined;
    const screens = new Set([...this.feeds.values()].map((f) => f.mids.screen));
    const sum = { video: 0, screen: 0, audio: 0 };
    // The figures are the subscription's: the SFU is the other end of its transport (its round trip, loss from it).
    const out = emptyLinkStats(await this.#sframe.stats());
    const report = await sub.pc.getStats();
    readSelectedPair(out, report);
    report.forEach((s: Record<string, unknown>) => {
      if (s.type !== "inbound-rtp") return;
      countPackets(out, s);
      if (s.kind === "audio") sum.audio += Number(s.totalAudioEnergy ?? 0);
      else sum[screens.has(s.mid as string) ? "screen" : "video"] += Number(s.framesDecoded ?? 0);
    });
    return { ...out, framesDecoded: sum.video, screenFramesDecoded: sum.screen, totalAudioEnergy: sum.audio };
  }

  override close(): void {
    this.#closed = true;
    clearInterval(this.#timer);
    for (const off of this.#offs.splice(0)) off();
    this.#disconnect();
    this.#worker?.terminate();
    super.close();
  }

  // ---- connections ----------------------------------------------------------

  async #connect(): Promise<void> {
    const ctx = this.#ctx!;
    const tracks = { audio: this.local.audio, camera: this.audioOnly ? null : this.local.camera, screen: this.local.screen };
    const camera = this.local.camera?.getSettings() ?? {};
    this.#pub = new Publisher(ctx, tracks, this.local.stream, simulcastLayers(camera));
    this.#sub = new Subscriber(ctx);
    const feeds = await this.#pub.publish();
    this.#onFeeds(feeds);
  }

  #disconnect(): void {
    this.#pub?.close();
    this.#sub?.close();
    this.#pub = this.#sub = undefined;
    for (const id of [...this.feeds.keys()]) this.#forget(id);
    this.#energy.clear();
    this.#told.clear();
  }

  // The SFU lost this device's sessions (it restarted, or a reconnect reached another node): new connections, publish and subscribe again.
  async #rebuild(): Promise<void> {
    if (this.#closed || !this.#ctx) return;
    this.#disconnect();
    this.#changed();
    await this.#connect().catch(() => undefined);
  }

  #onLinkState(role: "publisher" | "subscriber", state: RTCPeerConnectionState): void {
    if (role === "publisher" && state === "connected") this.#onConnected();
    // A dropped network: restart ICE through the server; a session the server no longer holds: start over.
    if (state === "failed") {
      const restart = role === "publisher" ? this.#pub?.restartIce() : this.#sub?.restartIce();
      void restart?.catch(() => this.#rebuild());
    }
    this.#changed();
  }

  // ---- feeds ----------------------------------------------------------------

  #onFeeds(feeds: SfuFeed[]): void {
    this.#latestFeeds = feeds;
    this.#feedQueue = this.#feedQueue.then(() => this.#follow()).catch(() => undefined);
  }

  // Forget feeds that stopped, subscribe to new ones one by one (a refused one is retried on the next `feeds`).
  async #follow(): Promise<void> {
    const feeds = this.#latestFeeds;
    for (const id of [...this.feeds.keys()]) if (!feeds.some((f) => f.deviceId === id)) this.#forget(id);
    for (const f of feeds) {
      const sub = this.#sub;
      if (!sub || this.#closed) return;
      if (f.deviceId === this.#ownDeviceId || this.feeds.has(f.deviceId)) continue;
      const held = new Set([...this.feeds.values()].flatMap((x) => [x.mids.audio, x.mids.camera, x.mids.screen].filter((m) => m !== undefined)));
      let offer: string;
      try {
        offer = await sub.subscribe(f.deviceId);
      } catch {
        continue;
      }
      if (sub !== this.#sub) return;
      this.#add(f, newFeedMids(offer, held), sub);
    }
  }

  #add(f: SfuFeed, mids: FeedMids, sub: Subscriber): void {
    const stream = (mid: string | undefined) => new MediaStream([sub.track(mid)].filter((t) => t !== undefined));
    const feed: GroupFeed = { ...f, mids, camera: stream(mids.camera), screen: stream(mids.screen), audio: stream(mids.audio) };
    this.feeds.set(f.deviceId, feed);
    const el = new Audio();
    el.autoplay = true;
    el.srcObject = feed.audio;
    const release = playThroughSpeaker(el);
    void el.play().catch(() => undefined);
    this.#audio.set(f.deviceId, { el, release });
    this.#showInPip();
    void this.#tellSfu();
    this.#changed();
  }

  // Tell the SFU what changed in what this device wants forwarded: audio-only stops every video
  // m-line; otherwise the large tile's camera in the high layer and the others in a low one.
  async #tellSfu(): Promise<void> {
    const sub = this.#sub;
    if (!sub) return;
    const changed = videoStreamWishes(this.feeds.values(), { audioOnly: this.audioOnly, large: this.#large }).filter(
      (w) => this.#told.get(w.mid) !== JSON.stringify(w),
    );
    if (!changed.length) return;
    for (const w of changed) this.#told.set(w.mid, JSON.stringify(w));
    try {
      await sub.configure(changed);
    } catch {
      // The subscription may be renegotiating, or the server slow to answer: asked again in a
      // second (a grid tile would otherwise stay in the SFU's default, high layer until the next change).
      if (sub !== this.#sub) return;
      for (const w of changed) this.#told.delete(w.mid);
      setTimeout(() => !this.#closed && sub === this.#sub && void this.#tellSfu(), 1000);
    }
  }

  #forget(deviceId: string): void {
    const audio = this.#audio.get(deviceId);
    if (audio) {
      audio.el.pause();
      audio.el.srcObject = null;
      audio.release();
    }
    this.#audio.delete(deviceId);
    const gone = this.feeds.get(deviceId)?.mids;
    // An m-line the SFU reuses for a later feed starts forwarded again, in its default layer.
    for (const mid of [gone?.camera, gone?.screen]) if (mid) this.#told.delete(mid);
    this.feeds.delete(deviceId);
    this.#energy.delete(deviceId);
    this.speaking.delete(deviceId);
    if (this.activeSpeaker === deviceId) this.activeSpeaker = undefined;
    this.#showInPip();
    this.#changed();
  }

  // The call's participants changed: audio-only comes on by itself once the call grows past the threshold (unless the user chose).
  #onCall(call: Call): void {
    this.sharingDevice = call.participants.find((p) => p.screenSharing && p.deviceId !== this.#ownDeviceId)?.deviceId;
    if (!this.#audioOnlyChosen && !this.audioOnly && audioOnlyByDefault(call.participants.length)) {
      void this.setAudioOnly(true).then(() => (this.#audioOnlyChosen = false));
    }
    this.#showInPip();
  }

  // ---- speakers -------------------------------------------------------------

  // Audio levels twice a second: the received feeds' (subscriber inbound-rtp) and this device's microphone (publisher media-source).
  async #measure(): Promise<void> {
    const sub = this.#sub;
    const pub = this.#pub;
    if (!sub || !pub) return;
    if (this.#ticks++ % 4 === 0) void this.#checkDecrypting();
    const byMid = new Map([...this.feeds.values()].map((f) => [f.mids.audio, f.deviceId]));
    const levels = new Map<string, number>();
    const read = (id: string | undefined, s: Record<string, unknown>) => {
      if (!id) return;
      const now = { energy: Number(s.totalAudioEnergy ?? 0), duration: Number(s.totalSamplesDuration ?? 0) };
      levels.set(id, levelBetween(this.#energy.get(id), now));
      this.#energy.set(id, now);
    };
    const [subStats, pubStats] = await Promise.all([sub.pc.getStats(), pub.pc.getStats()]).catch(() => [undefined, undefined]);
    subStats?.forEach((s: Record<string, unknown>) => s.type === "inbound-rtp" && s.kind === "audio" && read(byMid.get(s.mid as string), s));
    pubStats?.forEach((s: Record<string, unknown>) => s.type === "media-source" && s.kind === "audio" && read(this.#ownDeviceId, s));
    if (this.audioMuted) levels.set(this.#ownDeviceId, 0);
    const speaking = new Set([...levels].filter(([, l]) => l > SPEAKING_LEVEL).map(([id]) => id));
    const speaker = pickSpeaker(levels, this.activeSpeaker);
    const same = speaker === this.activeSpeaker && speaking.size === this.speaking.size && [...speaking].every((id) => this.speaking.has(id));
    this.speaking = speaking;
    this.activeSpeaker = speaker;
    if (same) return;
    this.#showInPip();
    this.#changed();
  }

  // Every 2 s: which senders' frames arrive and do not decrypt here (per sender counters of the SFrame worker, by the epoch's leaf → device).
  async #checkDecrypting(): Promise<void> {
    const now = await this.#sframe?.stats();
    const prev = this.#lastSFrame;
    this.#lastSFrame = now;
    if (!now || !prev) return;
    const leaves = this.#keys?.deviceOfLeaf ?? {};
    const stuck = new Set(undecryptableSenders(prev, now).flatMap((leaf) => leaves[leaf] ?? []));
    if (stuck.size === this.undecryptable.size && [...stuck].every((d) => this.undecryptable.has(d))) return;
    this.undecryptable = stuck;
    this.#changed();
  }

  // Picture-in-picture shows `remote`: the shared screen, else the active speaker's camera (another device's).
  #showInPip(): void {
    const feeds = [...this.feeds.values()];
    const speaker = this.activeSpeaker === undefined ? undefined : this.feeds.get(this.activeSpeaker);
    const track = (
      feeds.find((f) => f.screen.getTracks().length && this.sharingDevice === f.deviceId)?.screen ?? (speaker ?? feeds[0])?.camera
    )?.getVideoTracks()[0];
    for (const t of this.remote.getTracks()) if (t !== track) this.remote.removeTrack(t);
    if (track && !this.remote.getTracks().includes(track)) this.remote.addTrack(track);
  }
}
