/**
 * Who posts a call's events into its channel (issue 14). The server writes no content, so a
 * call's "started", "ended" and (an unanswered DM or group DM call's) "missed" events are ordinary encrypted
 * messages posted by devices. Every client runs this rule; it needs nothing but the `call.*`
 * frames the device already receives, and no device has to agree with another:
 *
 * - **One event per call and kind, whoever posts it.** Each event is sent with the clientId
 *   {@link callEventClientId} (`call-<event>-<callId>`). The server keeps one event per clientId
 *   and channel, so a second device posting the same event is refused (`already_exists`; the
 *   same user's other device gets the original back) and the channel holds it once.
 * - **Who tries, and when.** "started": the device that started the call, at once; each device
 *   that joins it later checks after its turn's delay (in case the starter went away before
 *   posting). "ended" / "missed": the devices that took part, in the order they first joined
 *   (the starter first), the n-th waiting n × `stepMs`; a device rung by an unanswered call waits
 *   after all of them. Each waiting device looks the event up by its clientId first and posts
 *   only if nobody has. So the earliest joiner still there posts; if its device went away (tab
 *   closed, crashed, offline), the next one does a step later.
 * - **What they say** is computed from server facts every device has alike: the call's start and
 *   end times, when the second device joined (duration counts from the answer), and the users
 *   seen in it (`call.state` carries the whole participant list each time).
 *
 * Limits (docs/calls.md, "Call events"): a device hears only the calls of its live connection —
 * when no device that took part (or was rung) is connected as the call ends, nobody posts its
 * end; the clientId tells the server which event is a call's (it knows the call anyway).
 */
import type { Call, CallEndReason } from "@parley/protocol";
import type { CallEndedNotice, CallEventContent, CallRinging, CallsApi, CallStateNotice } from "./calls.ts";
import { callEventClientId, callEventContent } from "./calls.ts";
import type { MessageContent } from "./codec.ts";
import { isParleyError } from "./errors.ts";

/** Default wait between one poster's turn and the next one's. */
export const CALL_EVENT_STEP_MS = 3_000;

/** What the rule needs of its client. */
export interface CallEventHost {
  calls: Pick<CallsApi, "on">;
  /** This device's id (undefined when signed out). */
  deviceId(): string | undefined;
  /** Post `content` with this clientId (encrypted like any message). */
  post(channelId: string, content: MessageContent, clientId: string): Promise<unknown>;
  /** Whether the channel already holds an event with this clientId. */
  exists(channelId: string, clientId: string): Promise<boolean>;
  /** Report a failure that is not "someone else posted it". */
  onError(err: unknown): void;
}

/** Options of the rule (ClientOptions.callEvents). */
export interface CallEventOptions {
  /** Wait between posters' turns (default {@link CALL_EVENT_STEP_MS}). */
  stepMs?: number;
}

/** What this device saw of one call. */
interface Seen {
  callId: string;
  channelId: string;
  kind: Call["kind"];
  startedBy: string;
  startedAt: number;
  /** Devices that took part: first join time and user. */
  devices: Map<string, { userId: string; joinedAt: number }>;
  /** The call rang this device's user. */
  rung: boolean;
}

/**
 * Whether a call nobody else joined ended as a ring nobody answered: any such end of a DM's call;
 * a group DM's call (kind `sfu`, which rings its members) when it rang out, every rung member
 * refused, or the caller gave up (`cancelled`). A channel's call rings nobody: the starter leaving
 * alone ends it as `hangup`, an "ended" event.
 */
function rangOut(kind: Call["kind"], reason: CallEndReason): boolean {
  return kind === "p2p" || reason === "missed" || reason === "declined" || reason === "busy" || reason === "cancelled";
}

/** How long a record of a call nobody ended is kept (a call this device stopped hearing about). */
const FORGET_MS = 24 * 3600_000;

/** Runs the rule for one client; {@link stop} ends it (pending turns are dropped). */
export class CallEventPoster {
  readonly #host: CallEventHost;
  readonly #step: number;
  readonly #seen = new Map<string, Seen>();
  readonly #timers = new Set<ReturnType<typeof setTimeout>>();
  readonly #off: Array<() => void>;

  constructor(host: CallEventHost, opts: CallEventOptions = {}) {
    this.#host = host;
    this.#step = opts.stepMs ?? CALL_EVENT_STEP_MS;
    this.#off = [
      host.calls.on("ringing", (r) => this.#onRinging(r)),
      host.calls.on("state", (s) => this.#onState(s)),
      host.calls.on("ended", (e) => this.#onEnded(e)),
    ];
  }

  stop(): void {
    for (const off of this.#off.splice(0)) off();
    for (const t of this.#timers) clearTimeout(t);
    this.#timers.clear();
  }

  #record(call: Pick<Call, "id" | "channelId" | "kind" | "startedBy" | "startedAt">): Seen {
    let s = this.#seen.get(call.id);
    if (!s) {
      s = {
        callId: call.id,
        channelId: call.channelId,
        kind: call.kind,
        startedBy: call.startedBy,
        startedAt: call.startedAt,
        devices: new Map(),
        rung: false,
      };
      this.#seen.set(call.id, s);
      const now = Date.now();
      for (const [id, old] of this.#seen) if (now - old.startedAt > FORGET_MS) this.#seen.delete(id);
    }
    return s;
  }

  #onRinging(r: CallRinging): void {
    const s = this.#record({ id: r.callId, channelId: r.channelId, kind: r.kind, startedBy: r.fromUserId, startedAt: r.startedAt });
    s.rung = true;
  }

  #onState({ call, change }: CallStateNotice): void {
    const s = this.#record(call);
    for (const p of call.participants) if (!s.devices.has(p.deviceId)) s.devices.set(p.deviceId, { userId: p.userId, joinedAt: p.joinedAt });
    const me = this.#host.deviceId();
    if (!me || change.deviceId !== me) return;
    const started = this.#startedContent(s);
    if (change.kind === "started") this.#turn(s.channelId, started, 0, false);
    // A joiner covers for a starter that went away before posting: after the starter's turn and its own.
    else if (change.kind === "joined") this.#turn(s.channelId, started, Math.max(1, this.#rank(s, me)) * this.#step, true);
  }

  #onEnded(e: CallEndedNotice): void {
    const s = this.#seen.get(e.callId);
    this.#seen.delete(e.callId);
    const me = this.#host.deviceId();
    if (!s || !me) return;
    const order = this.#order(s);
    const rank = order.indexOf(me);
    // Devices that took part go first; a rung device (the callee of a missed call) after them all.
    if (rank < 0 && !s.rung) return;
    const delay = (rank < 0 ? Math.max(1, order.length) : rank) * this.#step;
    const answered = order.length > 1;
    const content: CallEventContent =
      !answered && rangOut(s.kind, e.reason) ? { ...this.#base(s, "missed"), reason: e.reason } : this.#endedContent(s, e.endedAt, e.reason);
    this.#turn(s.channelId, content, delay, rank !== 0);
  }

  #base(s: Seen, event: CallEventContent["event"]): CallEventContent {
    return { event, callId: s.callId, kind: s.kind, startedBy: s.startedBy, startedAt: s.startedAt };
  }

  #startedContent(s: Seen): CallEventContent {
    return this.#base(s, "started");
  }

  #endedContent(s: Seen, endedAt: number, reason: CallEndReason): CallEventContent {
    const order = this.#order(s);
    // Talk time: from the second device's arrival (the answer), or the start for a call nobody joined.
    const answeredAt = order.length > 1 ? s.devices.get(order[1]!)!.joinedAt : s.startedAt;
    const users = [...new Set(order.map((d) => s.devices.get(d)!.userId))];
    return { ...this.#base(s, "ended"), reason, durationMs: Math.max(0, endedAt - answeredAt), participants: users };
  }

  /** Devices that took part, by first join time (then id): the posting order. */
  #order(s: Seen): string[] {
    return [...s.devices.entries()].sort(([a, x], [b, y]) => x.joinedAt - y.joinedAt || (a < b ? -1 : a > b ? 1 : 0)).map(([d]) => d);
  }

  #rank(s: Seen, deviceId: string): number {
    const i = this.#order(s).indexOf(deviceId);
    return i < 0 ? s.devices.size : i;
  }

  #turn(channelId: string, info: CallEventContent, delayMs: number, lookFirst: boolean): void {
    const run = async () => {
      const clientId = callEventClientId(info.event, info.callId);
      try {
        if (lookFirst && (await this.#host.exists(channelId, clientId))) return;
        await this.#host.post(channelId, callEventContent(info), clientId);
      } catch (err) {
        // Another device posted it first: that is the rule working.
        if (!isParleyError(err, "already_exists")) this.#host.onError(err);
      }
    };
    if (delayMs <= 0) return void run();
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      void run();
    }, delayMs);
    (timer as unknown as { unref?: () => void }).unref?.();
    this.#timers.add(timer);
  }
}
