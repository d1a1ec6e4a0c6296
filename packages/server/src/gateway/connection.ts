/**
 * One WebSocket connection's state. A plain object (no class, no per-frame
 * closures) so 10k idle connections stay cheap: the fan-out loop only reads
 * `ws`, `socket` and `pending`.
 */
import type { Duplex } from "node:stream";
import type { WebSocket } from "ws";
import type { DeviceActor } from "../context.ts";

/** A frame that arrived while the connection was replaying (flushed afterwards). */
export interface PendingFrame {
  /** PENDING_* kind: channel events and user items are de-duplicated against replay. */
  kind: number;
  channelId: string | null;
  seq: number;
  frame: Buffer;
}
export const PENDING_EPHEMERAL = 0;
export const PENDING_EVENT = 1;
export const PENDING_USER = 2;

/** A membership change that arrived while the connection's channel list was loading. */
export interface MemberOp {
  channelId: string;
  add: boolean;
}

export interface Conn {
  id: string;
  ws: WebSocket;
  /** The raw TCP socket; live fan-out writes pre-framed buffers to it directly. */
  socket: Duplex;
  /** The client's address (X-Forwarded-For's first entry behind a trusted proxy). */
  ip: string;
  /** Set once `hello` is verified. */
  principal: DeviceActor | null;
  /** Channels this connection receives (mirror of the gateway's channel index). */
  channels: Set<string>;
  /** Non-null while replay runs: live frames wait here, then those replay did not cover are flushed. */
  pending: PendingFrame[] | null;
  pendingBytes: number;
  /** Non-null while the membership list is loading: changes that raced the query. */
  memberOps: MemberOp[] | null;
  /** Client frames received before `ready` (processed once authenticated). */
  early: Buffer[] | null;
  /** Answered the last heartbeat ping. */
  alive: boolean;
  /** We decided to close it: nothing more is written. */
  closing: boolean;
  /** Close code we chose (for the metric), if any. */
  closeReason: string | null;
  /** This connection's own presence (aggregated per user by presence.ts). */
  presence: "online" | "away";
  /** The presence last published for this connection, when, and a trailing publish if throttled. */
  presencePublished: "online" | "away";
  presenceAt: number;
  presenceTimer: NodeJS.Timeout | null;
  /** Users whose presence this connection watches (`presence.watch`). */
  watching: readonly string[] | null;
  /** Token bucket for the per-connection frame rate. */
  tokens: number;
  refillAt: number;
  /** Invalid-frame strikes inside the current window. */
  strikes: number;
  strikeWindowAt: number;
  /** Last typing notice per channel (rate limit); allocated on first use. */
  typingAt: Map<string, number> | null;
  helloTimer: NodeJS.Timeout | null;
  /** The gateway's write turn of this connection's last write, and whether its socket is corked until the turn ends (registry.ts). */
  writeTurn: number;
  corked: boolean;
  /** Bytes written since the socket was corked: held by us for the turn, not refused by a slow reader. */
  corkedBytes: number;
}

export function newConn(id: string, ws: WebSocket, socket: Duplex, burst: number, now: number, ip = "unknown"): Conn {
  return {
    id,
    ws,
    socket,
    ip,
    principal: null,
    channels: new Set(),
    pending: null,
    pendingBytes: 0,
    memberOps: null,
    early: null,
    alive: true,
    closing: false,
    closeReason: null,
    presence: "online",
    presencePublished: "online",
    presenceAt: 0,
    presenceTimer: null,
    watching: null,
    tokens: burst,
    refillAt: now,
    strikes: 0,
    strikeWindowAt: now,
    typingAt: null,
    helloTimer: null,
    writeTurn: -1,
    corked: false,
    corkedBytes: 0,
  };
}

/** Whether frames may still be written to this connection. */
export function writable(c: Conn): boolean {
  return !c.closing && c.ws.readyState === 1;
}

/** Bytes written to the socket that the kernel has not taken (not counting those corked for the current write turn). */
export function backlog(c: Conn): number {
  return c.socket.writableLength - c.corkedBytes;
}

/**
 * Bytes the server holds for this connection and has not handed to the
 * kernel: the socket's write buffer plus live frames queued during replay.
 * PARLEY_WS_MAX_BUFFERED caps this sum, whatever put the bytes there.
 */
export function unsentBytes(c: Conn): number {
  return backlog(c) + c.pendingBytes;
}

/** Take one token; false means the client is flooding. Burst = 4x the sustained rate. */
export function takeToken(c: Conn, perSecond: number, now: number): boolean {
  const burst = perSecond * 4;
  const refill = ((now - c.refillAt) * perSecond) / 1000;
  if (refill > 0) {
    c.tokens = Math.min(burst, c.tokens + refill);
    c.refillAt = now;
  }
  if (c.tokens < 1) return false;
  c.tokens -= 1;
  return true;
}

/** Invalid frames tolerated per window before the connection is closed with 4400. */
const MAX_STRIKES = 3;
const STRIKE_WINDOW_MS = 60_000;

/** Count one invalid frame; true when the connection has used up its strikes. */
export function strike(c: Conn, now: number): boolean {
  if (now - c.strikeWindowAt > STRIKE_WINDOW_MS) {
    c.strikes = 0;
    c.strikeWindowAt = now;
  }
  c.strikes += 1;
  return c.strikes >= MAX_STRIKES;
}
