/**
 * The SFU on Janus's VideoRoom plugin, driven through janode: one WebSocket connection and
 * one Janus session per node, a control handle for rooms, and per participant a publisher and a
 * (multistream) subscriber handle. Rooms are named by call id (Janus's `string_ids`), guarded
 * by a secret derived per call (room-key.ts) that clients never see, and require end-to-end
 * encrypted media, so Janus relays SFrame frames it cannot read.
 *
 * When the connection drops (Janus restarted, network), every room and handle on it is gone:
 * the adapter forgets them, reports `down`, reconnects with backoff and reports `reconnected`;
 * rooms are created again on demand (ensureRoom) when clients re-join.
 */
import Janode, { type JanodeConnection, type JanodeSession, type Jsep } from "janode";
import VideoRoomPlugin, { type VideoRoomHandle } from "janode/plugins/videoroom";
import { Gauge, Histogram, type Registry } from "prom-client";
import type { Logger } from "../log.ts";
import {
  SfuError,
  type IceCandidate,
  type SessionDescription,
  type Sfu,
  type SfuEvent,
  type SfuHealth,
  type SfuRole,
  type SfuStreamSettings,
} from "./types.ts";

export interface JanusSfuOptions {
  /** ws://HOST:PORT of Janus's WebSocket transport. */
  url: string;
  apiSecret?: string | undefined;
  /** The VideoRoom admin_key (room creation). */
  adminKey?: string | undefined;
  /** A call's room secret (room-key.ts). */
  roomSecret: (callId: string) => string;
  log: Logger;
  /** Where parley_sfu_up, parley_sfu_rooms, parley_sfu_ping_seconds and parley_sfu_publish_setup_seconds are registered. */
  registry?: Registry;
  /** Largest publishers per room (group calls: 3 to 50). */
  maxPublishers?: number;
  /** First reconnect delay, ms (doubles up to 10 s). */
  retryMs?: number;
  /** How long parley_sfu_ping_seconds waits for Janus's answer at a scrape before reporting NaN, ms (default 2,000). */
  pingTimeoutMs?: number;
}

/** Janus error code of a janode error ("427 Room already exists"), or undefined. */
const codeOf = (err: unknown): number | undefined => {
  const e = err as { _code?: number; message?: string };
  return e._code ?? (Number(/^(\d{3}) /.exec(e.message ?? "")?.[1]) || undefined);
};
const ROOM_EXISTS = 427;
const NO_SUCH_ROOM = 426;
const NO_SUCH_FEED = 428;
const ALREADY_JOINED = 425;
const ALREADY_PUBLISHED = 434;
const ID_EXISTS = 436;

/** A media operation's failure as an SfuError (Janus's VideoRoom error codes mapped to reasons). */
async function guarded<T>(what: string, f: () => Promise<T>): Promise<T> {
  try {
    return await f();
  } catch (err) {
    if (err instanceof SfuError) throw err;
    const code = codeOf(err);
    if (code === NO_SUCH_FEED) throw new SfuError("not_published", `${what}: a feed asked for sends no media`, code);
    if (code === ALREADY_JOINED || code === ALREADY_PUBLISHED || code === ID_EXISTS)
      throw new SfuError("already_published", `${what}: already published`, code);
    throw new SfuError("refused", `${what}: ${(err as Error).message}`, code);
  }
}

const asJsep = (d: SessionDescription): Jsep => ({ type: d.type, sdp: d.sdp });
function description(j: Jsep | undefined, what: string): SessionDescription {
  if (!j) throw new Error(`Janus gave no SDP for ${what}`);
  return { type: j.type, sdp: j.sdp };
}

interface Participant {
  publisher?: VideoRoomHandle;
  subscriber?: VideoRoomHandle;
  /** The mids of the subscription's m-lines, as Janus last listed them (join, update). */
  mids?: Set<string>;
}

export async function createJanusSfu(o: JanusSfuOptions): Promise<Sfu> {
  Janode.Logger.setLevel("none");
  const log = o.log.child({ module: "sfu" });
  const listeners = new Set<(e: SfuEvent) => void>();
  const emit = (e: SfuEvent) => {
    for (const l of listeners) l(e);
  };
  let connection: JanodeConnection | undefined;
  let session: JanodeSession | undefined;
  let control: VideoRoomHandle | undefined;
  let closed = false;
  let reconnects = 0;
  let retry: NodeJS.Timeout | undefined;
  const rooms = new Set<string>();
  const participants = new Map<string, Participant>();
  /** Participants whose sessions a connection loss ended, reported with the next `reconnected`. */
  let lostSessions: Array<{ callId: string; participantId: string }> = [];
  const key = (callId: string, participantId: string) => `${callId}\u0000${participantId}`;

  if (o.registry) {
    new Gauge({
      name: "parley_sfu_up",
      help: "1 while connected to the SFU (Janus) with a live session",
      registers: [o.registry],
      collect() {
        this.set(session ? 1 : 0);
      },
    });
    new Gauge({
      name: "parley_sfu_rooms",
      help: "SFU rooms (calls) this node created and has not destroyed",
      registers: [o.registry],
      collect() {
        this.set(rooms.size);
      },
    });
    new Gauge({
      name: "parley_sfu_ping_seconds",
      help: "Round trip of an info request to the SFU (Janus) at scrape time; NaN while it is unreachable or does not answer in time",
      registers: [o.registry],
      async collect() {
        this.set(await ping());
      },
    });
  }
  /** From a publish request to Janus's `webrtcup` on that publisher: the feed's media is flowing (server-observed group-call setup). */
  const publishSetup = o.registry
    ? new Histogram({
        name: "parley_sfu_publish_setup_seconds",
        help: "Time from a publish request to the SFU (Janus) reporting the publisher's media up (its feed published)",
        buckets: [0.1, 0.25, 0.5, 1, 2, 5, 10, 30],
        registers: [o.registry],
      })
    : undefined;

  /** Seconds for Janus to answer an `info` request on the live connection; NaN when down or slower than the timeout. */
  async function ping(): Promise<number> {
    const c = connection;
    if (!c || !session) return NaN;
    const t0 = performance.now();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<number>((resolve) => {
      timer = setTimeout(() => resolve(NaN), o.pingTimeoutMs ?? 2000);
    });
    try {
      return await Promise.race([c.getInfo().then(() => (performance.now() - t0) / 1000), timeout]);
    } catch {
      return NaN;
    } finally {
      clearTimeout(timer);
    }
  }

  function lost(why: string): void {
    if (!session && !connection) return;
    log.warn({ why }, "SFU connection lost: rooms and media sessions on it are gone; reconnecting");
    connection = session = control = undefined;
    rooms.clear();
    for (const k of participants.keys()) {
      const [callId, participantId] = k.split("\u0000") as [string, string];
      lostSessions.push({ callId, participantId });
    }
    participants.clear();
    emit({ kind: "down" });
    schedule(o.retryMs ?? 250);
  }

  function schedule(delay: number): void {
    if (closed || retry) return;
    retry = setTimeout(() => {
      retry = undefined;
      connect().then(
        () => {
          reconnects++;
          log.info({ reconnects }, "SFU connection back");
          const sessions = lostSessions;
          lostSessions = [];
          emit({ kind: "reconnected", sessions });
        },
        (err: Error) => {
          log.warn({ err: err.message, nextMs: Math.min(delay * 2, 10_000) }, "SFU reconnect failed");
          schedule(Math.min(delay * 2, 10_000));
        },
      );
    }, delay);
  }

  async function connect(): Promise<void> {
    const c = await Janode.connect({ address: { url: o.url, ...(o.apiSecret ? { apisecret: o.apiSecret } : {}) }, retry_time_secs: 1, max_retries: 1 });
    try {
      const s = await c.create(15);
      const h = await s.attach(VideoRoomPlugin);
      if (closed) throw new Error("closed");
      connection = c;
      session = s;
      control = h;
      c.once(Janode.EVENT.CONNECTION_CLOSED, () => lost("connection closed"));
      c.once(Janode.EVENT.CONNECTION_ERROR, (err: Error) => lost(err.message));
      s.once(Janode.EVENT.SESSION_DESTROYED, () => lost("session destroyed"));
    } catch (err) {
      await c.close().catch(() => undefined);
      throw err;
    }
  }

  function live(): { session: JanodeSession; control: VideoRoomHandle } {
    if (!session || !control) throw new SfuError("unavailable", "the SFU is unavailable (reconnecting)");
    return { session, control };
  }

  async function attach(callId: string, participantId: string, role: SfuRole): Promise<VideoRoomHandle> {
    const h = await live().session.attach(VideoRoomPlugin);
    const hangup = (reason: string) => emit({ kind: "hangup", callId, participantId, role, reason });
    h.on(Janode.EVENT.HANDLE_HANGUP, (d: { reason?: string }) => hangup(d?.reason ?? "hangup"));
    h.on(Janode.EVENT.HANDLE_ICE_FAILED, () => hangup("ice_failed"));
    if (role === "publisher") {
      const feeds = () =>
        void listFeeds(callId).then(
          (f) => emit({ kind: "feeds", callId, feeds: f }),
          () => undefined,
        );
      h.on(VideoRoomPlugin.EVENT.VIDEOROOM_PUB_LIST, feeds);
      h.on(VideoRoomPlugin.EVENT.VIDEOROOM_UNPUBLISHED, feeds);
      h.on(VideoRoomPlugin.EVENT.VIDEOROOM_LEAVING, feeds);
    }
    return h;
  }

  async function listFeeds(callId: string): Promise<string[]> {
    const { participants: list } = await live().control.listParticipants({ room: callId, secret: o.roomSecret(callId) });
    return list.filter((p) => p.publisher).map((p) => String(p.feed));
  }

  function handleOf(callId: string, participantId: string, role: SfuRole): VideoRoomHandle {
    const h = participants.get(key(callId, participantId))?.[role];
    if (!h) throw new SfuError("no_session", `no ${role} session for this participant on the SFU`);
    return h;
  }

  // Janus down at boot does not stop the server: the adapter reports down and keeps trying.
  await connect().catch((err: Error) => {
    log.warn({ err: err.message }, "SFU unreachable at start; retrying");
    emit({ kind: "down" });
    schedule(o.retryMs ?? 250);
  });

  const sfu: Sfu = {
    async ensureRoom(callId) {
      if (rooms.has(callId)) return;
      try {
        await live().control.create({
          room: callId,
          secret: o.roomSecret(callId),
          ...(o.adminKey ? { admin_key: o.adminKey } : {}),
          is_private: true,
          max_publishers: o.maxPublishers ?? 50,
          audiocodec: "opus",
          videocodec: "vp8",
          require_e2ee: true,
          notify_joining: true,
          talking_events: true,
        });
      } catch (err) {
        // Another node made it, or this node before a reconnect to the same Janus.
        if (codeOf(err) !== ROOM_EXISTS) throw err;
      }
      rooms.add(callId);
    },
    async destroyRoom(callId) {
      rooms.delete(callId);
      for (const k of [...participants.keys()]) if (k.startsWith(`${callId}\u0000`)) await sfu.leave(callId, k.slice(callId.length + 1));
      try {
        await live().control.destroy({ room: callId, secret: o.roomSecret(callId) });
      } catch (err) {
        if (codeOf(err) !== NO_SUCH_ROOM) throw err;
      }
    },
    publish: (callId, participantId, offer, display) => guarded("publish", () => publish(callId, participantId, offer, display)),
    configure: (callId, participantId, c) => guarded("configure", () => configure(callId, participantId, c)),
    subscribe: (callId, participantId, feeds) => guarded("subscribe", () => subscribe(callId, participantId, feeds)),
    start: (callId, participantId, answer) =>
      guarded("start", async () => {
        await handleOf(callId, participantId, "subscriber").start({ jsep: asJsep(answer), e2ee: true });
      }),
    configureSubscription: (callId, participantId, streams) => guarded("configure", () => configureSubscription(callId, participantId, streams)),
    restartSubscriber: (callId, participantId) =>
      guarded("restart", async () => {
        const res = await handleOf(callId, participantId, "subscriber").configure({ restart: true });
        return { offer: description(res.jsep, "an ICE restart") };
      }),
    trickle: (callId, participantId, role, candidate: IceCandidate) =>
      guarded("trickle", async () => {
        const h = handleOf(callId, participantId, role);
        if (candidate) await h.trickle(candidate);
        else await h.trickleComplete();
      }),
    async leave(callId, participantId) {
      const p = participants.get(key(callId, participantId));
      participants.delete(key(callId, participantId));
      for (const h of [p?.publisher, p?.subscriber]) {
        if (h) await h.detach().catch(() => undefined);
      }
    },
    health(): SfuHealth {
      return { up: !!session, rooms: rooms.size, reconnects };
    },
    onEvent(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async close() {
      closed = true;
      clearTimeout(retry);
      const c = connection;
      connection = session = control = undefined;
      await c?.close().catch(() => undefined);
    },
  };

  async function publish(callId: string, participantId: string, offer: SessionDescription, display?: string) {
    if (participants.get(key(callId, participantId))?.publisher)
      throw new SfuError("already_published", "this participant already publishes: renegotiate instead");
    const t0 = performance.now();
    await sfu.ensureRoom(callId);
    const h = await attach(callId, participantId, "publisher");
    h.once(Janode.EVENT.HANDLE_WEBRTCUP, () => publishSetup?.observe((performance.now() - t0) / 1000));
    const p = participants.get(key(callId, participantId)) ?? {};
    participants.set(key(callId, participantId), { ...p, publisher: h });
    try {
      const joined = await h.joinConfigurePublisher({ room: callId, feed: participantId, e2ee: true, jsep: asJsep(offer), ...(display ? { display } : {}) });
      return { answer: description(joined.jsep, "a publisher"), feeds: joined.publishers.map((x) => String(x.feed)) };
    } catch (err) {
      participants.set(key(callId, participantId), { ...p });
      await h.detach().catch(() => undefined);
      throw err;
    }
  }

  async function configure(callId: string, participantId: string, c: { audio?: boolean; video?: boolean; offer?: SessionDescription }) {
    const h = handleOf(callId, participantId, "publisher");
    const res = await h.configure({
      ...(c.audio !== undefined ? { audio: c.audio } : {}),
      ...(c.video !== undefined ? { video: c.video } : {}),
      ...(c.offer ? { jsep: asJsep(c.offer), e2ee: true } : {}),
    });
    return { answer: res.jsep ? description(res.jsep, "a configure") : undefined };
  }

  /** Remember the subscription's mids (Janus lists every m-line of it after a join or an update). */
  function noteMids(callId: string, participantId: string, streams: { mid: string }[] | undefined): void {
    const p = participants.get(key(callId, participantId));
    if (p && streams) p.mids = new Set([...(p.mids ?? []), ...streams.map((x) => String(x.mid))]);
  }

  async function configureSubscription(callId: string, participantId: string, streams: SfuStreamSettings[]) {
    const h = handleOf(callId, participantId, "subscriber");
    const mids = participants.get(key(callId, participantId))?.mids ?? new Set<string>();
    // Janus skips an unknown mid silently: refuse the whole request instead, so nothing half-applies.
    const unknown = streams.find((x) => !mids.has(x.mid));
    if (unknown) throw new SfuError("no_stream", `configure: mid ${unknown.mid} is not a stream of this subscription`);
    await h.configure({
      streams: streams.map((x) => ({
        mid: x.mid,
        ...(x.send !== undefined ? { send: x.send } : {}),
        ...(x.substream !== undefined ? { substream: x.substream } : {}),
        ...(x.temporal !== undefined ? { temporal: x.temporal } : {}),
      })),
    });
  }

  async function subscribe(callId: string, participantId: string, feeds: string[]) {
    const existing = participants.get(key(callId, participantId))?.subscriber;
    if (existing) {
      // One multistream subscription per participant: add the feeds it lacks.
      const res = await existing.update({ subscribe: feeds.map((feed) => ({ feed })) });
      noteMids(callId, participantId, res.streams);
      return { offer: description(res.jsep, "a subscription update") };
    }
    const h = await attach(callId, participantId, "subscriber");
    try {
      const joined = await h.joinSubscriber({ room: callId, streams: feeds.map((feed) => ({ feed })), autoupdate: true });
      participants.set(key(callId, participantId), { ...participants.get(key(callId, participantId)), subscriber: h });
      noteMids(callId, participantId, joined.streams);
      return { offer: description(joined.jsep, "a subscription") };
    } catch (err) {
      await h.detach().catch(() => undefined);
      throw err;
    }
  }

  return sfu;
}
