// The web app's calls (docs/calls.md, "Web app"): the ring of an incoming call, this device's
// call in progress (a DM's 1:1 call: one PeerLink to the other device), and the ongoing calls of
// the user's channels for their headers. Signalling is client.calls of the worker's client
// (RemoteCalls); media keys are the channel's, followed across MLS epochs, so a membership
// change rotates them mid-call. The components read this through useCalls().
import type { Call } from "@parley/protocol";
import type { CallEndedNotice, CallRinging, CallSignalNotice, CallStateNotice } from "@parley/sdk";
import type { RemoteClient } from "../client/remote-client.ts";
import { LocalMedia, type MediaDevice } from "./local-media.ts";
import type { LinkStats } from "./link-stats.ts";
import { CallMedia } from "./call-media.ts";
import { GroupMedia } from "./group-media.ts";
import { RingTone } from "./ring-tone.ts";
import { ENDED } from "./call-status.ts";

const DROPPED = "You left the call: this device was offline too long.";

/** Where this device's call is: ringing the peer, setting up media, or media flowing. */
export type CallPhase = "calling" | "connecting" | "connected";

/** This device's call in progress. */
export interface ActiveCall {
  channelId: string;
  /** Undefined until the server acknowledged the start. */
  callId: string | undefined;
  outgoing: boolean;
  phase: CallPhase;
  peerUserId: string | undefined;
  peerDeviceId: string | undefined;
  /** The call as the server last described it (participants and their media state). */
  call: Call | undefined;
  connectedAt: number | undefined;
  /** Local tracks and their state (muted, camera off, sharing), keys (`media.epoch`), the link and the peer's streams. */
  media: CallMedia;
}

/** What the call store uses of the signed-in app. */
export interface CallHost {
  client: Pick<RemoteClient, "calls" | "api" | "session">;
  userName(userId: string): string;
  channel(channelId: string): { kind?: string; dmUserIds?: string[] | undefined } | undefined;
  me: { id: string };
}

/** Calls of one signed-in session. */
export class CallStore {
  readonly host: CallHost;
  incoming: CallRinging | undefined;
  active: ActiveCall | undefined;
  /** A short line after a call ended or failed ("Call declined"). */
  notice: string | undefined;
  /** Ongoing calls by channel (for channel headers). */
  readonly ongoing = new Map<string, Call>();
  version = 0;
  readonly #listeners = new Set<() => void>();
  readonly #off: Array<() => void> = [];
  readonly #ring = new RingTone();
  #iceServers: RTCIceServer[] = [];
  #noticeTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(host: CallHost) {
    this.host = host;
  }

  subscribe = (fn: () => void): (() => void) => {
    this.#listeners.add(fn);
    return () => this.#listeners.delete(fn);
  };
  getVersion = (): number => this.version;

  get #calls() {
    return this.host.client.calls;
  }
  get #deviceId(): string {
    return this.host.client.session?.deviceId ?? "";
  }

  /** Listen to call signalling and load the ongoing calls. */
  start(): void {
    const calls = this.#calls;
    this.#off.push(
      calls.on("ringing", (r) => this.#onRinging(r)),
      calls.on("state", (s) => this.#onState(s)),
      calls.on("signal", (s) => this.#onSignal(s)),
      calls.on("ended", (e) => this.#onEnded(e)),
    );
    void this.resync();
  }

  /**
   * The ongoing calls, read again (at start and after each reconnect: `call.state` frames are not
   * replayed); a call of this device's that no longer lists it — the server dropped the device
   * while it had no connection (`disconnected`) — ends here too.
   */
  async resync(): Promise<void> {
    const list = await this.#calls.list().catch(() => undefined);
    if (!list) return;
    this.ongoing.clear();
    for (const c of list) this.ongoing.set(c.channelId, c);
    const a = this.active;
    if (a?.callId && !list.some((c) => c.id === a.callId && c.participants.some((p) => p.deviceId === this.#deviceId))) {
      this.#teardown();
      this.#say(DROPPED);
    }
    this.#changed();
  }

  stop(): void {
    for (const off of this.#off.splice(0)) off();
    this.#ring.stop();
    this.#teardown();
  }

  /** Call the other member of a DM. */
  async call(channelId: string): Promise<void> {
    if (this.active) return;
    const local = await this.#openMedia();
    if (!local) return;
    const a = this.#begin(
      { channelId, callId: undefined, outgoing: true, phase: "calling", peerUserId: this.#peerOf(channelId), peerDeviceId: undefined },
      local,
    );
    try {
      this.#iceServers = await this.#fetchIceServers();
      const call = await this.#calls.start(channelId);
      if (!this.#current(a)) return void this.#calls.cancel(call.id).catch(() => undefined);
      a.callId = call.id;
      a.call = call;
      this.ongoing.set(channelId, call);
      this.#changed();
    } catch (err) {
      this.#fail(err);
    }
  }

  /** Answer the ringing call on this device. */
  async accept(): Promise<void> {
    const r = this.incoming;
    if (!r || this.active) return;
    this.incoming = undefined;
    this.#ring.stop();
    const local = await this.#openMedia();
    if (!local) return void this.#calls.decline(r.callId).catch(() => undefined);
    // A group DM's call rings like a DM's but carries its media through the SFU: answering joins the group call.
    if (r.kind === "sfu") return this.#joinGroup(r.channelId, local, () => this.#calls.accept(r.callId));
    const a = this.#begin(
      { channelId: r.channelId, callId: r.callId, outgoing: false, phase: "connecting", peerUserId: r.fromUserId, peerDeviceId: r.fromDeviceId },
      local,
    );
    try {
      this.#iceServers = await this.#fetchIceServers();
      a.call = await this.#calls.accept(r.callId);
      await this.#connect(a, r.fromDeviceId, true);
    } catch (err) {
      this.#fail(err);
    }
  }

  /** Start a channel's (or group DM's) group call, or join the one in progress (media through the SFU). */
  async joinChannel(channelId: string): Promise<void> {
    if (this.active) return;
    const local = await this.#openMedia();
    if (local) await this.#joinGroup(channelId, local, () => this.#startOrJoin(channelId));
  }

  // Become the channel's group call device: `enter` starts, joins or accepts the call on the server, then media goes through the SFU.
  async #joinGroup(channelId: string, local: LocalMedia, enter: () => Promise<Call>): Promise<void> {
    const init = { channelId, callId: undefined, outgoing: false, phase: "connecting", peerUserId: undefined, peerDeviceId: undefined } as const;
    const a = this.#begin(init, local, true);
    try {
      this.#iceServers = await this.#fetchIceServers();
      const call = await enter();
      if (!this.#current(a)) return void this.#calls.leave(call.id).catch(() => undefined);
      a.callId = call.id;
      a.call = call;
      this.ongoing.set(channelId, call);
      this.#changed();
      const onConnected = () => {
        a.phase = "connected";
        a.connectedAt ??= Date.now();
      };
      await (a.media as GroupMedia).join({ call, iceServers: this.#iceServers, onConnected });
    } catch (err) {
      this.#fail(err);
    }
  }

  /** Raise or lower this device's hand. */
  async toggleHand(): Promise<void> {
    const a = this.active;
    const mine = a?.call?.participants.find((p) => p.deviceId === this.#deviceId);
    if (a?.callId) await this.#calls.raiseHand(a.callId, !mine?.handRaised).catch(() => undefined);
  }

  /** Refuse the ringing call. */
  async decline(): Promise<void> {
    const r = this.incoming;
    this.incoming = undefined;
    this.#ring.stop();
    this.#changed();
    if (r) await this.#calls.decline(r.callId).catch(() => undefined);
  }

  /** Leave the call (the caller cancels one nobody answered yet). */
  async hangUp(): Promise<void> {
    const a = this.active;
    if (!a) return;
    this.#teardown();
    this.#say("Call ended");
    if (!a.callId) return;
    const unanswered = (a.outgoing && !a.peerDeviceId) || this.#ringingAlone(a);
    await (unanswered ? this.#calls.cancel(a.callId) : this.#calls.leave(a.callId)).catch(() => this.#calls.leave(a.callId!).catch(() => undefined));
  }

  /** Mute or unmute the microphone. */
  toggleAudio(): Promise<void> {
    return this.active?.media.setAudioMuted(!this.active.media.audioMuted) ?? Promise.resolve();
  }

  /** Turn the camera off or on. */
  toggleVideo(): Promise<void> {
    return this.active?.media.setVideoMuted(!this.active.media.videoMuted) ?? Promise.resolve();
  }

  /** Share the screen (a second video track beside the camera) or stop sharing. */
  toggleScreen(): Promise<void> {
    return this.active?.media.toggleScreen() ?? Promise.resolve();
  }

  /** Switch the microphone or the camera mid-call. */
  switchDevice(kind: MediaDevice["kind"], deviceId: string): Promise<void> {
    return this.active?.media.switchDevice(kind, deviceId) ?? Promise.resolve();
  }

  /** Decoding and transport figures of the call's link (undefined before it exists). */
  stats(): Promise<LinkStats | undefined> {
    return this.active?.media.stats() ?? Promise.resolve(undefined);
  }

  // ---- events -------------------------------------------------------------

  #onRinging(r: CallRinging): void {
    if (this.active || this.incoming) return void this.#calls.decline(r.callId, { busy: true }).catch(() => undefined);
    this.incoming = r;
    this.#ring.start();
    this.#changed();
  }

  #onState({ call, change }: CallStateNotice): void {
    this.ongoing.set(call.channelId, call);
    const a = this.active;
    if (this.incoming?.callId === call.id && change.kind === "joined" && change.userId === this.host.client.session?.userId) {
      // Answered on another of this user's devices.
      this.incoming = undefined;
      this.#ring.stop();
    }
    if (a && a.callId === call.id && change.kind === "left" && change.deviceId === this.#deviceId) {
      // This device was dropped (disconnected too long, removed, revoked) while the page went on.
      this.#teardown();
      this.#say(change.reason === "disconnected" ? DROPPED : "You are no longer in the call.");
    } else if (a && (a.callId === call.id || (!a.callId && a.outgoing && a.channelId === call.channelId))) {
      a.callId ??= call.id;
      a.call = call;
      if (a.outgoing && !a.peerDeviceId && change.kind === "joined" && change.deviceId !== this.#deviceId) {
        a.peerUserId = change.userId;
        a.peerDeviceId = change.deviceId;
        a.phase = "connecting";
        void this.#connect(a, change.deviceId, false).catch((err: unknown) => this.#fail(err));
      }
    }
    this.#changed();
  }

  #onSignal(s: CallSignalNotice): void {
    const a = this.active;
    if (!a || s.callId !== a.callId || (a.peerDeviceId && s.fromDeviceId !== a.peerDeviceId)) return;
    a.media.receive(s.signal);
  }

  #onEnded(e: CallEndedNotice): void {
    this.ongoing.delete(e.channelId);
    if (this.incoming?.callId === e.callId) {
      this.incoming = undefined;
      this.#ring.stop();
    }
    if (this.active && (this.active.callId === e.callId || (!this.active.callId && this.active.channelId === e.channelId))) {
      this.#teardown();
      this.#say(ENDED[e.reason]);
    }
    this.#changed();
  }

  // Call events in the conversation (started, ended, missed) are posted by the worker's client (sdk call-events.ts).

  // ---- media ----------------------------------------------------------------

  async #openMedia(): Promise<LocalMedia | undefined> {
    try {
      return await LocalMedia.open();
    } catch (err) {
      this.#say(`Cannot use the microphone: ${err instanceof Error ? err.message : String(err)}`);
      return undefined;
    }
  }

  async #fetchIceServers(): Promise<RTCIceServer[]> {
    const { iceServers } = await this.host.client.api.call("getIceServers");
    return iceServers.map((s) => ({ urls: s.urls, ...(s.username ? { username: s.username, credential: s.credential } : {}) }));
  }

  #begin(init: Pick<ActiveCall, "channelId" | "callId" | "outgoing" | "phase" | "peerUserId" | "peerDeviceId">, local: LocalMedia, group = false): ActiveCall {
    const changed = () => this.#changed();
    const a: ActiveCall = {
      ...init,
      call: undefined,
      connectedAt: undefined,
      media: group ? new GroupMedia(this.#calls, init.channelId, local, changed, this.#deviceId) : new CallMedia(this.#calls, init.channelId, local, changed),
    };
    a.media.callId = () => a.callId;
    this.active = a;
    this.notice = undefined;
    this.#changed();
    return a;
  }

  async #connect(a: ActiveCall, peerDeviceId: string, polite: boolean): Promise<void> {
    if (!a.callId) return;
    const onConnected = () => {
      a.phase = "connected";
      a.connectedAt ??= Date.now();
    };
    await a.media.connect({ callId: a.callId, peerDeviceId, polite, iceServers: this.#iceServers, onConnected });
  }

  // The channel's call in progress (joined), or a new one; a call started meanwhile elsewhere is joined (call_active names it).
  async #startOrJoin(channelId: string): Promise<Call> {
    const ongoing = this.ongoing.get(channelId);
    if (ongoing && !ongoing.endedAt) return this.#calls.join(ongoing.id);
    try {
      return await this.#calls.start(channelId);
    } catch (err) {
      const callId =
        (err as { code?: string; details?: { callId?: string } }).code === "call_active"
          ? (err as { details?: { callId?: string } }).details?.callId
          : undefined;
      if (callId) return this.#calls.join(callId);
      throw err;
    }
  }

  #teardown(): void {
    this.active?.media.close();
    this.active = undefined;
    this.#changed();
  }

  #fail(err: unknown): void {
    const a = this.active;
    this.#teardown();
    this.#say(`The call failed: ${err instanceof Error ? err.message : String(err)}`);
    if (a?.callId) void this.#calls.leave(a.callId).catch(() => undefined);
  }

  #say(notice: string): void {
    this.notice = notice;
    clearTimeout(this.#noticeTimer);
    this.#noticeTimer = setTimeout(() => {
      this.notice = undefined;
      this.#changed();
    }, 5000);
    this.#changed();
  }

  // This device started a group DM's call that still rings (nobody else in it): hanging up cancels it, so it ends as
  // not answered rather than as a call that took place (the server refuses a cancel once anyone answered; then it leaves).
  #ringingAlone(a: ActiveCall): boolean {
    const me = this.host.client.session?.userId ?? this.host.me.id;
    return this.host.channel(a.channelId)?.kind === "group_dm" && a.call?.startedBy === me && a.call.participants.every((p) => p.deviceId === this.#deviceId);
  }

  // A DM's other member (the one a 1:1 call rings).
  #peerOf(channelId: string): string | undefined {
    return this.host.channel(channelId)?.dmUserIds?.find((id) => id !== this.host.me.id);
  }

  // Narrowing-proof: an await may have ended or replaced the call.
  #current(a: ActiveCall): boolean {
    return this.active === a;
  }

  #changed(): void {
    this.version++;
    for (const fn of this.#listeners) fn();
  }
}
