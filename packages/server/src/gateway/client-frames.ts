/**
 * Client -> server frames. Every frame is parsed with the protocol schema;
 * handlers stay thin (authorize/act via one command) like HTTP routes.
 *
 * Abuse rules (each affects only the offending connection):
 * - every frame — WebSocket pings and pongs included — costs one token of a
 *   per-connection bucket (wsFramesPerSecond, burst 4x); an empty bucket ->
 *   `error` rate_limited + close 4429;
 * - a binary or non-JSON frame -> `error` validation_failed + close 4400 at once
 *   (the client is not speaking the protocol at all);
 * - JSON that fails the schema (unknown `t`, bad fields) -> `error`
 *   validation_failed (with the frame's `ref` when it has one); the third such
 *   frame within 60 s closes with 4400;
 * - before `ready`: anything but a valid `hello` closes (4400 if invalid,
 *   4401 if it is another frame type).
 */
import { mayWrite } from "../modules/accounts/scopes.ts";
import { CLOSE_CODES, ClientFrame, type ErrorCode } from "@parley/protocol";
import { AppError } from "../core/errors.ts";
import { strike, takeToken, writable, type Conn } from "./connection.ts";
import type { GatewayCore } from "./core.ts";
import { handleHello } from "./hello.ts";
import { publishLocal, watchPresence } from "./presence-sync.ts";
import { markRead, sendEvent } from "../modules/messages/commands.ts";
import { channelFor } from "../modules/channels/access.ts";
import { inSpan, SpanKind, tracingOn } from "../platform/tracing.ts";
import { handleCallFrame } from "../modules/calls/frames.ts";

/** Least time between two typing notices of one connection for one channel. */
const TYPING_INTERVAL_MS = 1000;
/**
 * Presence changes go on the bus to every node, so one connection publishes
 * at most one change per interval; a change inside the interval is
 * published at its end (the latest state wins, nothing is lost).
 */
const PRESENCE_INTERVAL_MS = 2000;

function refOf(value: unknown): string | undefined {
  const ref = (value as { ref?: unknown } | null)?.ref;
  return typeof ref === "string" && ref.length > 0 && ref.length <= 64 ? ref : undefined;
}

function sendError(core: GatewayCore, c: Conn, ref: string | undefined, err: unknown): void {
  if (!writable(c)) return;
  if (err instanceof AppError) {
    core.send(c, { t: "error", ...(ref ? { ref } : {}), code: err.code, message: err.message, ...(err.details !== undefined ? { details: err.details } : {}) });
    return;
  }
  core.log.error({ conn: c.id, err }, "frame handler failed");
  core.send(c, { t: "error", ...(ref ? { ref } : {}), code: "internal" satisfies ErrorCode, message: "internal error; it has been logged" });
}

/**
 * Charge one frame to the connection's allowance; false (and the connection
 * closing with 4429) when it is used up. Data frames and WebSocket ping/pong
 * control frames alike: each costs the server a wake-up (and a ping an
 * automatic pong), so a ping flood is a flood.
 */
export function chargeFrame(core: GatewayCore, c: Conn): boolean {
  if (c.closing) return false;
  if (takeToken(c, core.deps.config.wsFramesPerSecond, Date.now())) return true;
  core.send(c, { t: "error", code: "rate_limited", message: "too many frames; slow down and reconnect" });
  core.close(c, CLOSE_CODES.rateLimited, "rate_limited");
  return false;
}

/** Entry point for every WebSocket message of a connection. */
export function onMessage(core: GatewayCore, c: Conn, data: Buffer, isBinary: boolean): void {
  if (!chargeFrame(core, c)) return;
  // `hello` is being verified: keep what the client pipelined behind it.
  if (c.early !== null) {
    c.early.push(data);
    return;
  }
  handleFrame(core, c, data, isBinary);
}

function handleFrame(core: GatewayCore, c: Conn, data: Buffer, isBinary: boolean): void {
  let value: unknown;
  try {
    if (isBinary) throw new Error("binary");
    value = JSON.parse(data.toString("utf8"));
  } catch {
    core.send(c, { t: "error", code: "validation_failed", message: "frames are JSON text messages" });
    core.close(c, CLOSE_CODES.badFrame, "bad_frame");
    return;
  }
  const parsed = ClientFrame.safeParse(value);
  if (!parsed.success) {
    const ref = refOf(value);
    const issues = parsed.error.issues.map((i) => ({ path: i.path, message: i.message, code: i.code }));
    core.send(c, { t: "error", ...(ref ? { ref } : {}), code: "validation_failed", message: "invalid frame", details: { issues } });
    if (c.principal === null || strike(c, Date.now())) core.close(c, CLOSE_CODES.badFrame, "bad_frame");
    return;
  }
  const frame = parsed.data;
  // With tracing on, one span per frame, ending when the work the frame started does (platform/tracing.ts).
  if (tracingOn()) void inSpan(`ws ${frame.t}`, { "parley.frame.type": frame.t, "parley.conn": c.id }, () => dispatchFrame(core, c, frame), SpanKind.SERVER);
  else void dispatchFrame(core, c, frame);
}

/** Act on one valid frame; returns the work it started (settling without a rejection), if any. */
function dispatchFrame(core: GatewayCore, c: Conn, frame: ClientFrame): Promise<unknown> | undefined {
  if (c.principal === null) {
    if (frame.t === "hello") {
      return handleHello(core, c, frame, (conn, d) => handleFrame(core, conn, d, false));
    }
    core.send(c, { t: "error", code: "unauthorized", message: "send hello first" });
    core.close(c, CLOSE_CODES.unauthorized, "unauthorized");
    return;
  }
  const { deps } = core;
  const p = c.principal;
  switch (frame.t) {
    case "hello":
      core.send(c, { t: "error", code: "bad_request", message: "already authenticated" });
      return;
    case "send": {
      const { t: _t, ref, channelId, ...input } = frame;
      if (!mayWrite(p)) {
        sendError(core, c, ref, new AppError("forbidden", "this API key lacks the write scope"));
        return;
      }
      return sendEvent(deps, p, channelId, input).then(
        ({ event, duplicate }) => {
          if (writable(c)) core.send(c, { t: "ack", ref, event, duplicate });
        },
        (err: unknown) => sendError(core, c, ref, err),
      );
    }
    case "typing": {
      if (!c.channels.has(frame.channelId)) {
        sendError(core, c, undefined, new AppError("not_found", "channel not found"));
        return;
      }
      const now = Date.now();
      c.typingAt ??= new Map();
      const last = c.typingAt.get(frame.channelId);
      // Silently coalesced: typing is a hint, not worth an error.
      if (last !== undefined && now - last < TYPING_INTERVAL_MS) return;
      // Set before the check, so a refused typist also costs at most one lookup a second.
      c.typingAt.set(frame.channelId, now);
      // Typing announces a post: whoever may not post (readers, an org policy, a read-only API key) is refused like a send.
      if (!mayWrite(p)) {
        sendError(core, c, undefined, new AppError("forbidden", "this API key lacks the write scope"));
        return;
      }
      return channelFor(deps.db, p, frame.channelId, "channel.post").then(
        () => {
          if (c.closing) return;
          deps.bus.publish("channel.typing", { orgId: p.orgId, channelId: frame.channelId, userId: p.userId, threadRoot: frame.threadRoot ?? null });
        },
        (err: unknown) => sendError(core, c, undefined, err),
      );
    }
    case "presence": {
      c.presence = frame.status;
      if (c.presenceTimer) return; // the pending trailing publish sends the latest state
      const publish = () => {
        c.presenceTimer = null;
        if (c.closing || c.presence === c.presencePublished) return;
        c.presencePublished = c.presence;
        c.presenceAt = Date.now();
        publishLocal(core, p.orgId, p.userId);
      };
      const wait = c.presenceAt + PRESENCE_INTERVAL_MS - Date.now();
      if (wait <= 0) publish();
      else c.presenceTimer = setTimeout(publish, wait);
      return;
    }
    case "presence.watch":
      watchPresence(core, c, frame);
      return;
    case "read":
      return markRead(deps, p, frame.channelId, frame.seq).catch((err: unknown) => sendError(core, c, undefined, err));
    case "ping":
      core.send(c, { t: "pong", ...(frame.ref ? { ref: frame.ref } : {}), serverTime: deps.now() });
      return;
    case "call.start":
    case "call.accept":
    case "call.decline":
    case "call.busy":
    case "call.cancel":
    case "call.join":
    case "call.leave":
    case "call.media":
    case "call.hand":
    case "call.record":
    case "call.signal":
    case "call.sfu.publish":
    case "call.sfu.renegotiate":
    case "call.sfu.subscribe":
    case "call.sfu.start":
    case "call.sfu.restart":
    case "call.sfu.trickle":
    case "call.sfu.configure":
    case "call.sfu.leave": {
      const ref = frame.ref;
      // Calls take part like posting does: a read-only API key may not.
      if (!mayWrite(p)) {
        sendError(core, c, ref, new AppError("forbidden", "this API key lacks the write scope"));
        return;
      }
      return handleCallFrame(deps, p, frame).then(
        (ack) => {
          if (ref && writable(c)) core.send(c, { t: "call.ack", ref, ...ack });
        },
        (err: unknown) => sendError(core, c, ref, err),
      );
    }
  }
}
