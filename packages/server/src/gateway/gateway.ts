/**
 * The WebSocket gateway at WS_PATH: accepts upgrades on the HTTP server,
 * authenticates with `hello`, replays, then streams live frames; heartbeats;
 * drain on shutdown. docs/protocol.md describes the frames and close codes.
 *
 * Parts: connection.ts (per-socket state, rate limit), client-frames.ts
 * (incoming frames), hello.ts + replay.ts (auth and sync), live.ts + registry.ts
 * (bus -> fan-out), presence.ts + presence-sync.ts (aggregation across devices
 * and nodes, watches).
 */
import type { IncomingMessage, Server } from "node:http";
import type { Duplex } from "node:stream";
import { WebSocketServer, type WebSocket } from "ws";
import { CLOSE_CODES, DEFAULT_LIMITS, WS_PATH, type PresenceStatus, type ServerFrame } from "@parley/protocol";
import { AppError } from "../core/errors.ts";
import type { Deps } from "../context.ts";
import { newConn, unsentBytes, writable, type Conn } from "./connection.ts";
import type { GatewayCore } from "./core.ts";
import { chargeFrame, onMessage } from "./client-frames.ts";
import { subscribeLive } from "./live.ts";
import { newPresenceState, statusOf, unwatch } from "./presence.ts";
import { markSeen, publishLocal, startPresence } from "./presence-sync.ts";
import { beforeWrite, countConns, newRegistry, newWriteTurns, unregisterConn } from "./registry.ts";
import { deviceWentOffline } from "../modules/calls/presence.ts";

export interface Gateway {
  /** Serve WebSocket upgrades of `server` at WS_PATH. */
  attach(server: Server): void;
  /** Stop accepting, close every socket with 1012, wait (up to shutdownGraceMs) for them to go. */
  drain(): Promise<void>;
  /** Open sockets (authenticated or not). */
  connectionCount(): number;
  /** A user's presence across every node as this node knows it (the mention email's "is the user here"). */
  presenceOf(orgId: string, userId: string): PresenceStatus;
  /** Unsent output held for all sockets (each capped at PARLEY_WS_MAX_BUFFERED); also the `parley_ws_buffered_bytes` gauge. */
  bufferedBytes(): number;
}

export interface GatewayOptions {
  /** WebSocket ping interval; a connection that missed the previous pong is terminated. Default 30 s. */
  heartbeatMs?: number;
  /** Time allowed for the `hello` frame. Default 10 s. */
  helloTimeoutMs?: number;
}

/** Answer an upgrade request with an HTTP error (and Retry-After seconds) instead of a WebSocket. */
function refuse(socket: Duplex, status: string, retryAfter?: number): void {
  socket.on("error", () => socket.destroy());
  socket.end(`HTTP/1.1 ${status}\r\n${retryAfter ? `Retry-After: ${retryAfter}\r\n` : ""}Connection: close\r\nContent-Length: 0\r\n\r\n`);
}

/** How long a slow consumer gets to read our 4430 close frame before the socket is cut. */
const SLOW_CONSUMER_GRACE_MS = 1000;

export function createGateway(deps: Deps, opts: GatewayOptions = {}): Gateway {
  const log = deps.log.child({ module: "gateway" });
  const heartbeatMs = opts.heartbeatMs ?? 30_000;
  const helloTimeoutMs = opts.helloTimeoutMs ?? 10_000;
  const wss = new WebSocketServer({ noServer: true, maxPayload: DEFAULT_LIMITS.frameBytes, perMessageDeflate: false, clientTracking: false });
  const all = new Set<Conn>();
  let draining = false;
  let counter = 0;
  let onEmpty: (() => void) | null = null;

  function close(c: Conn, code: number, reason: string): void {
    if (c.closing) return;
    c.closing = true;
    c.closeReason = reason;
    c.pending = null;
    c.pendingBytes = 0;
    if (c.helloTimer) {
      clearTimeout(c.helloTimer);
      c.helloTimer = null;
    }
    if (c.ws.readyState === 1 || c.ws.readyState === 0) c.ws.close(code, reason);
  }

  function cutSlow(c: Conn): void {
    if (c.closing) return;
    log.warn({ conn: c.id, buffered: unsentBytes(c) }, "slow consumer: closing");
    close(c, CLOSE_CODES.slowConsumer, "slow_consumer");
    // It is not reading, so it may never see the close frame: do not hold its buffer for ws's 30 s close timeout.
    setTimeout(() => c.ws.terminate(), SLOW_CONSUMER_GRACE_MS).unref();
  }

  const core: GatewayCore = {
    deps,
    log,
    // The bus delivers channel, user and org messages to this node only while it serves one.
    registry: newRegistry((key, on) => deps.bus.interest(key, on)),
    presence: newPresenceState(deps.nodeId),
    all,
    heartbeatMs,
    fan: { ...newWriteTurns(), maxBuffered: deps.config.wsMaxBufferedBytes, onSlow: cutSlow, onPendingOverflow: cutSlow },
    send(c: Conn, frame: ServerFrame) {
      if (!writable(c)) return;
      // The cap covers every frame written to a connection (replay pages, acks,
      // errors, pongs), not only fan-out; checked before writing like fanout(),
      // so a connection holds at most the cap plus one frame.
      if (unsentBytes(c) > deps.config.wsMaxBufferedBytes) {
        cutSlow(c);
        return;
      }
      const text = JSON.stringify(frame);
      beforeWrite(core.fan, c, Buffer.byteLength(text));
      c.ws.send(text);
    },
    close,
  };
  const unsubscribeLive = subscribeLive(core);
  const stopPresence = startPresence(core);
  // Back on the bus after a disconnect (a NATS restart, a partition): what other nodes published
  // meanwhile never came here, so every client reconnects and replays from its cursors.
  const offReconnect = deps.bus.onReconnect?.(() => {
    log.warn({ connections: all.size }, "bus reconnected: closing sockets with 1012 so clients replay what they missed");
    for (const c of [...all]) close(c, CLOSE_CODES.serviceRestart, "bus_reconnected");
  });
  const unsubscribe = () => {
    unsubscribeLive();
    stopPresence();
    offReconnect?.();
  };
  const bufferedBytes = () => {
    let n = 0;
    for (const c of all) n += unsentBytes(c);
    return n;
  };
  deps.metrics.wsBufferedSources.add(bufferedBytes);

  const heartbeat = setInterval(() => {
    for (const c of all) {
      if (!c.alive) {
        c.closeReason ??= "heartbeat";
        log.info({ conn: c.id }, "missed heartbeat: terminating");
        c.ws.terminate();
        continue;
      }
      c.alive = false;
      if (c.ws.readyState === 1) c.ws.ping();
    }
  }, heartbeatMs);
  heartbeat.unref();

  function onClose(c: Conn, code: number): void {
    all.delete(c);
    c.closing = true;
    c.pending = null;
    c.pendingBytes = 0;
    if (c.helloTimer) {
      clearTimeout(c.helloTimer);
      c.helloTimer = null;
    }
    if (c.presenceTimer) {
      clearTimeout(c.presenceTimer);
      c.presenceTimer = null;
    }
    const p = c.principal;
    if (p) {
      unregisterConn(core.registry, c);
      deps.metrics.wsConnections.dec();
      unwatch(core.presence, c);
      publishLocal(core, p.orgId, p.userId);
      markSeen(core, p.deviceId);
      if (countConns(core.registry, p.userId, p.deviceId).device === 0) {
        const d = { orgId: p.orgId, userId: p.userId, deviceId: p.deviceId };
        deviceWentOffline(deps, d).catch((err: unknown) => log.error({ err, device: p.deviceId }, "scheduling the call presence check failed"));
      }
    }
    const reason = c.closeReason ?? "client";
    deps.metrics.wsClosed.inc({ reason });
    log.info({ conn: c.id, code, reason }, "connection closed");
    if (all.size === 0 && onEmpty) onEmpty();
  }

  function onConnection(ws: WebSocket, socket: Duplex, ip: string): void {
    const c = newConn(`${deps.nodeId}-${(++counter).toString(36)}`, ws, socket, deps.config.wsFramesPerSecond * 4, Date.now(), ip);
    all.add(c);
    c.helloTimer = setTimeout(() => {
      c.helloTimer = null;
      core.send(c, { t: "error", code: "unauthorized", message: `no hello within ${helloTimeoutMs} ms` });
      close(c, CLOSE_CODES.helloTimeout, "hello_timeout");
    }, helloTimeoutMs);
    ws.on("message", (data, isBinary) => onMessage(core, c, data as Buffer, isBinary));
    // ws answers pings by itself; they still count against the frame allowance.
    ws.on("ping", () => {
      chargeFrame(core, c);
    });
    ws.on("pong", () => {
      if (chargeFrame(core, c)) c.alive = true;
    });
    ws.on("error", (err: Error & { code?: string }) => {
      // ws closes the socket itself (e.g. 1009 for a frame above maxPayload).
      c.closeReason ??= err.code === "WS_ERR_UNSUPPORTED_MESSAGE_LENGTH" ? "too_large" : "protocol_error";
      log.info({ conn: c.id, code: err.code, msg: err.message }, "socket error");
    });
    ws.on("close", (code) => onClose(c, code));
    log.debug({ conn: c.id }, "connection opened");
  }

  function onUpgrade(this: Server, req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const path = (req.url ?? "").split("?", 1)[0];
    if (path !== WS_PATH) {
      // Leave it to another upgrade handler if there is one.
      if (this.listenerCount("upgrade") > 1) return;
      return refuse(socket, "404 Not Found");
    }
    if (draining) return refuse(socket, "503 Service Unavailable", 1);
    // Upgrades count against the address's request allowance like HTTP requests.
    const forwarded = deps.config.trustProxy
      ? String(req.headers["x-forwarded-for"] ?? "")
          .split(",")[0]
          ?.trim()
      : undefined;
    const ip = forwarded || (req.socket.remoteAddress ?? "unknown");
    deps.limits.ip.consume(ip).then(
      () => {
        // The drain may have started while the check ran (Redis answers asynchronously): a socket
        // accepted now would never get its 1012 and would hold the drain until the grace ends.
        if (draining) return refuse(socket, "503 Service Unavailable", 1);
        wss.handleUpgrade(req, socket, head, (ws) => onConnection(ws, socket, ip));
      },
      (err: unknown) => refuse(socket, "429 Too Many Requests", err instanceof AppError && err.retryAfter ? err.retryAfter : 60),
    );
  }

  let drained: Promise<void> | undefined;
  return {
    attach(server) {
      server.on("upgrade", onUpgrade);
    },
    connectionCount: () => all.size,
    presenceOf: (orgId, userId) => statusOf(core.presence, userId, orgId),
    bufferedBytes,
    drain() {
      drained ??= (async () => {
        draining = true;
        clearInterval(heartbeat);
        unsubscribe();
        deps.metrics.wsBufferedSources.delete(bufferedBytes);
        log.info({ connections: all.size }, "draining: closing sockets with 1012");
        if (all.size > 0) {
          const empty = new Promise<void>((resolve) => {
            onEmpty = resolve;
          });
          for (const c of all) close(c, CLOSE_CODES.serviceRestart, "service_restart");
          let timer: NodeJS.Timeout | undefined;
          const grace = new Promise<void>((resolve) => {
            timer = setTimeout(resolve, deps.config.shutdownGraceMs);
          });
          await Promise.race([empty, grace]);
          clearTimeout(timer);
          for (const c of all) c.ws.terminate();
        }
        wss.close();
      })();
      return drained;
    },
  };
}
