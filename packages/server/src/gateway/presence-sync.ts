/**
 * Presence on the bus (the state is presence.ts): publish this node's changes,
 * apply every node's changes and heartbeats, expire dead nodes, answer
 * `presence.watch` and send coalesced `presence.users` frames to watchers.
 */
import type { ClientFrame } from "@parley/protocol";
import { writable, type Conn } from "./connection.ts";
import type { GatewayCore } from "./core.ts";
import { applyHeartbeat, applyPresence, expireNodes, heartbeat, localChange, setWatch, statusOf, takeChanges } from "./presence.ts";

/** Changes of watched users are sent at most this often (one frame per watcher). */
const PRESENCE_FLUSH_MS = 500;
/** Each node publishes its whole contribution this often... */
const PRESENCE_HEARTBEAT_MS = 10_000;
/** ...and one not heard of for this long is dead: its users go offline (unless connected elsewhere). */
const PRESENCE_NODE_TTL_MS = 3 * PRESENCE_HEARTBEAT_MS;

/** Recompute this node's aggregate for a user (after a connection opened, closed or changed status); publish if it changed. */
export function publishLocal(core: GatewayCore, orgId: string, userId: string): void {
  const msg = localChange(core.presence, orgId, userId, core.registry.byUser.get(userId));
  if (msg) core.deps.bus.publish("user.presence", msg);
}

/**
 * Record that a device was connected now (`devices.last_seen_at`), when its socket opens and when
 * it closes: with live presence it tells the mention email whether the user was back meanwhile.
 * Also when another node asks about a device in a call (calls/presence.ts): then at least `at`.
 * Not awaited; a failed write is logged (the next open or close writes again).
 */
export function markSeen(core: GatewayCore, deviceId: string, at?: number): void {
  const now = Math.max(core.deps.now(), at ?? 0);
  core.deps.db
    .updateTable("devices")
    .set({ last_seen_at: now })
    .where("id", "=", deviceId)
    // Never back in time: a slow write of an earlier close must not hide a later hello (calls/presence.ts).
    .where((eb) => eb.or([eb("last_seen_at", "is", null), eb("last_seen_at", "<", now)]))
    .execute()
    .catch((err: unknown) => core.log.warn({ err, device: deviceId }, "presence: recording last seen failed"));
}

/**
 * `presence.watch`: replace the connection's watch set and answer with every watched user's
 * status. No database lookup (a watch costs the hello storm nothing): a user is only ever seen
 * as online by connections of their own org, so an id of another org — or no user at all —
 * reads "offline" and never changes, exactly like a missing one.
 */
export function watchPresence(core: GatewayCore, c: Conn, frame: Extract<ClientFrame, { t: "presence.watch" }>): void {
  const ids = [...new Set(frame.userIds)];
  setWatch(core.presence, c, ids);
  const orgId = c.principal!.orgId;
  const users = ids.map((userId) => ({ userId, status: statusOf(core.presence, userId, orgId) }));
  core.send(c, { t: "presence.users", ...(frame.ref ? { ref: frame.ref } : {}), full: true, users });
}

/** Subscribe to presence on the bus and run the heartbeat; returns stop(). */
export function startPresence(core: GatewayCore, opts: { flushMs?: number; heartbeatMs?: number; nodeTtlMs?: number } = {}): () => void {
  const { bus, now } = core.deps;
  const state = core.presence;
  const flushMs = opts.flushMs ?? PRESENCE_FLUSH_MS;
  const heartbeatMs = opts.heartbeatMs ?? PRESENCE_HEARTBEAT_MS;
  const ttlMs = opts.nodeTtlMs ?? PRESENCE_NODE_TTL_MS;
  let timer: NodeJS.Timeout | null = null;

  const flush = () => {
    timer = null;
    for (const [c, users] of takeChanges(state)) {
      if (writable(c)) core.send(c, { t: "presence.users", full: false, users });
    }
  };
  const schedule = () => {
    if (timer === null && state.changed.size > 0) timer = setTimeout(flush, flushMs);
  };
  const unsubs = [
    bus.subscribe("user.presence", (m) => {
      applyPresence(state, m, now());
      schedule();
    }),
    bus.subscribe("presence.heartbeat", (m) => {
      applyHeartbeat(state, m, now());
      schedule();
    }),
  ];
  const beat = setInterval(() => {
    try {
      for (const part of heartbeat(state)) bus.publish("presence.heartbeat", part);
    } catch (err) {
      // A timer must not throw (it would end the process): the next beat tries again, expiry elsewhere waits 3 beats.
      core.log.error({ err }, "presence: publishing the heartbeat failed");
    }
    const dead = expireNodes(state, now(), ttlMs);
    if (dead.length > 0) core.log.warn({ nodes: dead }, "presence: nodes silent too long, their users dropped");
    schedule();
  }, heartbeatMs);
  beat.unref();
  return () => {
    clearInterval(beat);
    if (timer) clearTimeout(timer);
    for (const u of unsubs) u();
  };
}
