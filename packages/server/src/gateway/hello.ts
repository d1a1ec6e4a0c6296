/**
 * `hello`: authenticate, join the live indexes, send `ready`, then replay.
 * Order matters for "no gap, no duplicate": the connection is indexed (with a
 * pending queue) before its channel list and replay pages are read.
 */
import { CLOSE_CODES, type ClientFrame } from "@parley/protocol";
import { mfaEnrollmentRequired, resolvePrincipal } from "../modules/accounts/principal.ts";
import { checkIpAllowed } from "../modules/accounts/session-policy.ts";
import { AppError } from "../core/errors.ts";
import type { DeviceActor } from "../context.ts";
import { writable, type Conn } from "./connection.ts";
import type { GatewayCore } from "./core.ts";
import { countConns, joinChannel, leaveChannel, registerConn } from "./registry.ts";
import { replay } from "./replay.ts";
import { markSeen, publishLocal } from "./presence-sync.ts";
import { getMe } from "../modules/accounts/me.ts";
import { channelHeads, listMyChannelHeads } from "../modules/channels/commands.ts";

type Hello = Extract<ClientFrame, { t: "hello" }>;

/**
 * Per-device and per-user caps on open connections (this node). Each replaying
 * or live connection may hold up to PARLEY_WS_MAX_BUFFERED, so without a cap
 * one token could make the server hold any amount of memory. The new
 * connection is the one refused: an existing one may be mid-replay.
 */
function refuseOverCap(core: GatewayCore, c: Conn, p: DeviceActor): boolean {
  const { wsMaxConnectionsPerDevice: perDevice, wsMaxConnectionsPerUser: perUser } = core.deps.config;
  const open = countConns(core.registry, p.userId, p.deviceId);
  const over = open.device >= perDevice ? { scope: "device", limit: perDevice } : open.user >= perUser ? { scope: "user", limit: perUser } : null;
  if (!over) return false;
  core.log.info({ conn: c.id, user: p.userId, device: p.deviceId, ...over }, "too many connections: refusing");
  core.send(c, {
    t: "error",
    code: "too_many_connections",
    details: over,
    message: `this ${over.scope} already has ${over.limit} open connections on this server; close one or retry later`,
  });
  core.close(c, CLOSE_CODES.tooManyConnections, "too_many_connections");
  return true;
}

export async function handleHello(core: GatewayCore, c: Conn, hello: Hello, onEarly: (c: Conn, data: Buffer) => void): Promise<void> {
  const { deps } = core;
  if (c.helloTimer) {
    clearTimeout(c.helloTimer);
    c.helloTimer = null;
  }
  c.early = [];
  try {
    const principal = await resolvePrincipal(deps, deps.keys, hello.token, c.ip);
    // A session restricted to enrolling an authenticator gets no realtime stream.
    if (principal.restricted) throw mfaEnrollmentRequired();
    await checkIpAllowed(deps, principal.orgId, c.ip);
    // A hello costs a token check and possibly a full replay: it counts against the
    // user's request allowance like an HTTP call, so a reconnect loop is throttled.
    await deps.limits.user.consume(principal.userId);
    if (!writable(c)) return;
    // From this check to registerConn() below nothing awaits, so parallel hellos
    // cannot all slip under the cap; a refused socket never gets a principal.
    if (refuseOverCap(core, c, principal)) return;
    c.principal = principal;
  } catch (err) {
    if (err instanceof AppError && err.code === "rate_limited") {
      core.send(c, { t: "error", code: err.code, message: err.message, details: err.details });
      core.close(c, CLOSE_CODES.rateLimited, err.code);
      return;
    }
    const code = err instanceof AppError ? err.code : "unauthorized";
    if (!(err instanceof AppError)) core.log.error({ conn: c.id, err }, "hello: token check failed unexpectedly");
    core.send(c, { t: "error", code, message: err instanceof AppError ? err.message : "invalid access token" });
    core.close(c, CLOSE_CODES.unauthorized, code);
    return;
  }
  const p = c.principal;
  c.pending = [];
  c.memberOps = [];
  registerConn(core.registry, c);
  deps.metrics.wsConnections.inc();
  try {
    const [info, heads] = await Promise.all([getMe(deps, p), listMyChannelHeads(deps.db, p)]);
    if (!writable(c)) return;
    for (const id of heads.keys()) joinChannel(core.registry, c, id);
    // Membership changes that raced the query win over its (possibly stale) result.
    for (const op of c.memberOps) {
      if (op.add) joinChannel(core.registry, c, op.channelId);
      else leaveChannel(core.registry, c, op.channelId);
    }
    c.memberOps = null;
    // The heads above were read before this connection joined its channels (and, on NATS, before
    // the node subscribed to them): an event committed in between would be neither replayed nor
    // live. Once the subscriptions are in place (the bus confirms them), read the heads again.
    await deps.bus.flush?.();
    if (!writable(c)) return;
    const fresh = c.channels.size ? await channelHeads(deps.db, p.orgId, c.channels) : new Map<string, number>();
    if (!writable(c)) return;
    core.send(c, {
      t: "ready",
      user: info.user,
      org: info.org,
      deviceId: p.deviceId,
      sessionId: p.sessionId,
      connectionId: c.id,
      serverTime: deps.now(),
      heartbeatMs: core.heartbeatMs,
      framesPerSecond: deps.config.wsFramesPerSecond,
    });
    core.log.info({ conn: c.id, user: p.userId, device: p.deviceId, channels: c.channels.size, live: hello.live ?? false }, "connection authenticated");
    publishLocal(core, p.orgId, p.userId);
    markSeen(core, p.deviceId);
    // Frames the client pipelined behind `hello` (already counted by the rate limiter).
    const early = c.early;
    c.early = null;
    for (const data of early) onEarly(c, data);
    const stats = await replay(core, c, hello.cursors, hello.live ?? false, fresh);
    if (stats) core.log.info({ conn: c.id, ...stats }, "replay finished");
  } catch (err) {
    core.log.error({ conn: c.id, err }, "hello: replay failed");
    if (writable(c)) {
      core.send(c, { t: "error", code: "internal", message: "replay failed; reconnect" });
      core.close(c, 1011, "internal");
    }
  }
}
