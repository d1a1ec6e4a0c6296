/**
 * Replay after `hello`: per-user stream items after cursors.user, then for
 * every channel of the user the events after the client's cursor, in pages,
 * then `synced`, then the live frames that arrived meanwhile.
 *
 * No gap, no duplicate: the connection is in the live indexes (with
 * `pending` set) BEFORE the first replay query, so anything committed after
 * a query is caught live; at the end, queued live channel events / user items
 * with seq <= what replay already sent are dropped.
 */
import { DEFAULT_LIMITS, type Cursors } from "@parley/protocol";
import { listUserStream } from "../modules/streams/user-stream.ts";
import { PENDING_EVENT, PENDING_USER, writable, type Conn } from "./connection.ts";
import type { GatewayCore } from "./core.ts";
import { listEventsAfter } from "../modules/messages/commands.ts";
import { orgPresence } from "./presence.ts";

const PAGE = DEFAULT_LIMITS.pageSize;
/** Pause replay while this much output is unsent (the client reads slower than we query). */
const REPLAY_HIGH_WATER = 1 << 20;

function waitForRoom(c: Conn): Promise<void> | undefined {
  if (!writable(c) || c.ws.bufferedAmount <= REPLAY_HIGH_WATER) return undefined;
  return new Promise<void>((resolve) => {
    const done = () => { c.socket.off("drain", done); c.ws.off("close", done); resolve(); };
    c.socket.on("drain", done);
    c.ws.on("close", done);
  });
}

/** Run replay for an authenticated connection whose `pending` queue is already set. */
export async function replay(core: GatewayCore, c: Conn, cursors: Cursors, live: boolean): Promise<void> {
  const { db } = core.deps;
  const userId = c.principal!.userId;
  let userSeq = cursors.user;
  const sent = new Map<string, number>();
  if (!live) {
    for (;;) {
      const { items, hasMore } = await listUserStream(db, userId, userSeq, PAGE);
      if (!writable(c)) return;
      if (items.length > 0) {
        await waitForRoom(c);
        if (!writable(c)) return;
        core.send(c, { t: "sync.user", items });
        userSeq = items[items.length - 1]!.seq;
      }
      if (!hasMore) break;
    }
    // Copy: membership may change while we page.
    for (const channelId of [...c.channels]) {
      let after = cursors.channels[channelId] ?? 0;
      for (;;) {
        const { events, hasMore } = await listEventsAfter(db, channelId, after, PAGE);
        if (!writable(c)) return;
        if (events.length === 0) break;
        await waitForRoom(c);
        if (!writable(c)) return;
        core.send(c, { t: "sync", channelId, events });
        after = events[events.length - 1]!.seq;
        if (!hasMore) break;
      }
      sent.set(channelId, after);
    }
  }
  core.send(c, { t: "synced" });
  flushPending(core, c, cursors, sent, userSeq, live);
  for (const [uid, status] of orgPresence(core.presence, c.principal!.orgId)) {
    core.send(c, { t: "presence", userId: uid, status });
  }
}

/** Write the live frames queued during replay that replay did not already cover. */
function flushPending(core: GatewayCore, c: Conn, cursors: Cursors, sent: Map<string, number>, userSeq: number, live: boolean): void {
  const queue = c.pending ?? [];
  c.pending = null;
  c.pendingBytes = 0;
  for (const p of queue) {
    if (!writable(c)) return;
    if (!live && p.kind === PENDING_EVENT) {
      const last = sent.get(p.channelId!) ?? cursors.channels[p.channelId!] ?? 0;
      if (p.seq <= last) continue;
      sent.set(p.channelId!, p.seq);
    } else if (!live && p.kind === PENDING_USER) {
      if (p.seq <= userSeq) continue;
      userSeq = p.seq;
    }
    if (c.socket.writableLength > core.fan.maxBuffered) { core.fan.onSlow(c); return; }
    c.socket.write(p.frame);
  }
}
