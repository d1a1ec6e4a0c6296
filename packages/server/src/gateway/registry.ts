/**
 * The connection registry: who receives what. Three indexes (channel, user,
 * org -> connections) and the fan-out loop.
 *
 * Fan-out is the hot path (benchmarked against a bare `ws` broadcast): the
 * frame is serialised and framed ONCE per event (ws's own Sender.frame), then
 * the same Buffer is written to every socket. The loop allocates nothing per
 * connection and calls no closures; metrics are recorded once per event.
 */
import * as wsModule from "ws";
import { backlog, type Conn } from "./connection.ts";
import type { BusKey } from "../platform/bus/bus.ts";

interface SenderStatic {
  frame(data: Buffer, options: { fin: boolean; rsv1: boolean; opcode: number; mask: boolean; readOnly: boolean }): Buffer[];
}
// @types/ws does not declare Sender, but ws exports it (lib/sender.js); we use
// its framing rather than writing WebSocket headers by hand.
const Sender = (wsModule as unknown as { Sender: SenderStatic }).Sender;

/** A complete, unmasked WebSocket text frame carrying `json`. */
export function textFrame(json: string): Buffer {
  const parts = Sender.frame(Buffer.from(json), { fin: true, rsv1: false, opcode: 1, mask: false, readOnly: false });
  return parts.length === 1 ? parts[0]! : Buffer.concat(parts);
}

export interface Registry {
  byChannel: Map<string, Set<Conn>>;
  byUser: Map<string, Set<Conn>>;
  byOrg: Map<string, Set<Conn>>;
  /**
   * Told when the node gets its first connection for a channel, user or org (`on`) and when it
   * loses the last one: the bus delivers the messages keyed by it to this node only in between.
   */
  interest(key: BusKey, on: boolean): void;
}

export function newRegistry(interest: (key: BusKey, on: boolean) => void = () => {}): Registry {
  return { byChannel: new Map(), byUser: new Map(), byOrg: new Map(), interest };
}

type Index = "byChannel" | "byUser" | "byOrg";
const PREFIX = { byChannel: "c", byUser: "u", byOrg: "o" } as const;

function addTo(r: Registry, index: Index, key: string, c: Conn): void {
  const map = r[index];
  let set = map.get(key);
  if (!set) {
    map.set(key, (set = new Set()));
    r.interest(`${PREFIX[index]}.${key}`, true);
  }
  set.add(c);
}

function removeFrom(r: Registry, index: Index, key: string, c: Conn): void {
  const map = r[index];
  const set = map.get(key);
  if (!set) return;
  set.delete(c);
  if (set.size === 0) {
    map.delete(key);
    r.interest(`${PREFIX[index]}.${key}`, false);
  }
}

/** Register an authenticated connection under its user and org. */
export function registerConn(r: Registry, c: Conn): void {
  addTo(r, "byUser", c.principal!.userId, c);
  addTo(r, "byOrg", c.principal!.orgId, c);
}

export function joinChannel(r: Registry, c: Conn, channelId: string): void {
  c.channels.add(channelId);
  addTo(r, "byChannel", channelId, c);
}

export function leaveChannel(r: Registry, c: Conn, channelId: string): void {
  c.channels.delete(channelId);
  removeFrom(r, "byChannel", channelId, c);
}

/** Open connections (not being closed) of a user on this node, and of one of their devices. */
export function countConns(r: Registry, userId: string, deviceId: string): { user: number; device: number } {
  let user = 0;
  let device = 0;
  for (const c of r.byUser.get(userId) ?? []) {
    if (c.closing) continue;
    user++;
    if (c.principal!.deviceId === deviceId) device++;
  }
  return { user, device };
}

/** Forget a connection everywhere (on close). */
export function unregisterConn(r: Registry, c: Conn): void {
  for (const ch of c.channels) removeFrom(r, "byChannel", ch, c);
  c.channels.clear();
  if (c.principal) {
    removeFrom(r, "byUser", c.principal.userId, c);
    removeFrom(r, "byOrg", c.principal.orgId, c);
  }
}

export interface FanoutTarget {
  /** Write turns (see {@link beforeWrite}): the current one, and whether its end is scheduled. */
  turn: number;
  turnEnding: boolean;
  /** Most unsent bytes a connection may hold before it is a slow consumer. */
  maxBuffered: number;
  /** Called for a connection whose buffer overflowed (closes it with 4430). */
  onSlow(c: Conn): void;
  /** Called when a replaying connection's pending queue overflowed. */
  onPendingOverflow(c: Conn): void;
}

/** A gateway's write-batching state, to spread into its {@link FanoutTarget}. */
export const newWriteTurns = (): Pick<FanoutTarget, "turn" | "turnEnding"> => ({ turn: 0, turnEnding: false });

function endTurn(t: FanoutTarget): void {
  t.turn++;
  t.turnEnding = false;
}

function uncork(c: Conn): void {
  c.corked = false;
  c.corkedBytes = 0;
  c.socket.uncork();
}

/**
 * Call before every write to a connection's socket. A turn lasts until the
 * pending nextTick callbacks run (after the microtasks of the current task): a
 * batch commit resolves hundreds of sends and the bus delivers their events in
 * one such turn. The first frame of a turn to a socket is written at once (one
 * frame per socket, the fan-out case, pays nothing extra); from the second one
 * the socket is corked, and uncorked when the turn ends, so its frames go to
 * the kernel in one writev instead of one write system call each.
 */
export function beforeWrite(t: FanoutTarget, c: Conn, bytes: number): void {
  if (!t.turnEnding) {
    t.turnEnding = true;
    process.nextTick(endTurn, t);
  }
  if (c.writeTurn === t.turn) {
    if (!c.corked) {
      c.corked = true;
      c.socket.cork();
      process.nextTick(uncork, c);
    }
    c.corkedBytes += bytes;
  } else c.writeTurn = t.turn;
}

/**
 * Write `frame` to every open connection in `set` (except those of
 * `skipUserId`). Connections still replaying queue it instead; `kind`,
 * `channelId` and `seq` let replay drop what it already sent. Returns how many
 * sockets were written.
 */
export function fanout(
  t: FanoutTarget,
  set: Set<Conn>,
  frame: Buffer,
  kind: number,
  channelId: string | null,
  seq: number,
  skipUserId: string | null,
  allow?: (c: Conn) => boolean,
): number {
  let n = 0;
  const max = t.maxBuffered;
  for (const c of set) {
    if (c.closing) continue;
    if (skipUserId !== null && c.principal!.userId === skipUserId) continue;
    if (allow && !allow(c)) continue;
    if (c.pending !== null) {
      c.pending.push({ kind, channelId, seq, frame });
      c.pendingBytes += frame.length;
      // The queue and the replay pages already in the socket share one cap.
      if (c.pendingBytes + backlog(c) > max) t.onPendingOverflow(c);
      continue;
    }
    if (c.ws.readyState !== 1) continue;
    if (backlog(c) > max) {
      t.onSlow(c);
      continue;
    }
    beforeWrite(t, c, frame.length);
    c.socket.write(frame);
    n++;
  }
  return n;
}
