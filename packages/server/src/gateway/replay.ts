/**
 * Replay after `hello`: per-user stream items after cursors.user, then for
 * every channel of the user the events after the client's cursor, in pages,
 * then `synced`, then the live frames that arrived meanwhile. Only channels
 * whose last seq (read with the channel list, in one query) is past the
 * client's cursor are queried: a reconnect with nothing new costs no query
 * per channel.
 *
 * No gap, no duplicate: the connection is in the live indexes (with
 * `pending` set) BEFORE the first replay query, so anything committed after
 * a query is caught live; at the end, queued live channel events / user items
 * with seq <= what replay already sent are dropped.
 */
import { beforeWrite } from "./registry.ts";
import { DEFAULT_LIMITS, type Cursors } from "@parley/protocol";
import { listUserStream } from "../modules/streams/user-stream.ts";
import { backlog, PENDING_EPHEMERAL, PENDING_EVENT, PENDING_USER, writable, type Conn } from "./connection.ts";
import type { GatewayCore } from "./core.ts";
import { listEventsAfter } from "../modules/messages/commands.ts";
import { policyAllowsRead } from "./channel-policy.ts";

const PAGE = DEFAULT_LIMITS.pageSize;
/** Content bytes per page: a page (and the memory replay holds for it) stays small whatever the events' sizes. */
const PAGE_BYTES = DEFAULT_LIMITS.syncPageBytes;

/**
 * Pause replay while this much output is unsent (the client reads slower than
 * we query). At most half the connection's cap, so the page written after the
 * pause never trips the cap of a client that does read; a client that stops
 * reading stalls its replay here, holding at most this plus one page.
 */
function highWater(core: GatewayCore): number {
  return Math.min(1 << 20, core.fan.maxBuffered >> 1);
}

function waitForRoom(c: Conn, highWater: number): Promise<void> | undefined {
  if (!writable(c) || c.ws.bufferedAmount <= highWater) return undefined;
  return new Promise<void>((resolve) => {
    const done = () => {
      c.socket.off("drain", done);
      c.ws.off("close", done);
      resolve();
    };
    c.socket.on("drain", done);
    c.ws.on("close", done);
  });
}

/** What replay did, for the log line (and tests that check the live buffer was exercised). */
export interface ReplayStats {
  pages: number;
  /** Channels whose events were queried (the others had nothing after the client's cursor). */
  queried: number;
  /** Live channel events / user items buffered during replay and sent after it. */
  flushed: number;
  /** Live ones buffered during replay that replay had already sent. */
  dropped: number;
}

/**
 * Run replay for an authenticated connection whose `pending` queue is already set.
 * `heads`: each channel's last seq, read after the connection joined the live indexes, so
 * anything committed after that read arrives live; a channel missing from it (joined while
 * the list was read) is queried.
 */
export async function replay(
  core: GatewayCore,
  c: Conn,
  cursors: Cursors,
  live: boolean,
  heads: ReadonlyMap<string, number>,
): Promise<ReplayStats | undefined> {
  const { db } = core.deps;
  const userId = c.principal!.userId;
  let userSeq = cursors.user;
  const sent = new Map<string, number>();
  let pages = 0;
  let queried = 0;
  const room = highWater(core);
  if (!live) {
    for (;;) {
      // Wait for room BEFORE querying, so a page is as fresh as it can be when sent.
      await waitForRoom(c, room);
      const { items, hasMore } = await listUserStream(db, userId, userSeq, PAGE);
      if (!writable(c)) return;
      if (items.length > 0) {
        core.send(c, { t: "sync.user", items });
        pages++;
        userSeq = items[items.length - 1]!.seq;
      }
      if (!hasMore) break;
    }
    // A copy (membership may change while we page), in id order so replay is deterministic.
    for (const channelId of [...c.channels].sort()) {
      // An org policy that forbids reading the channel: nothing of it is replayed (nor sent live).
      if (!policyAllowsRead(c, channelId)) continue;
      let after = cursors.channels[channelId] ?? 0;
      const head = heads.get(channelId);
      // Nothing committed after the cursor when the heads were read; later events arrive live.
      if (head !== undefined && head <= after) continue;
      queried++;
      for (;;) {
        await waitForRoom(c, room);
        // A kick or leave while we page removes the channel from c.channels at
        // once: stop before reading anything posted after the member left.
        if (!c.channels.has(channelId)) break;
        const { events, hasMore } = await listEventsAfter(db, channelId, after, PAGE, PAGE_BYTES);
        if (!c.channels.has(channelId)) break;
        if (!writable(c)) return;
        if (events.length === 0) break;
        core.send(c, { t: "sync", channelId, events });
        pages++;
        after = events[events.length - 1]!.seq;
        if (!hasMore) break;
      }
      sent.set(channelId, after);
    }
  }
  core.send(c, { t: "synced" });
  const { flushed, dropped } = flushPending(core, c, cursors, sent, userSeq, live);
  return { pages, queried, flushed, dropped };
}

/** Write the live frames queued during replay that replay did not already cover. */
function flushPending(
  core: GatewayCore,
  c: Conn,
  cursors: Cursors,
  sent: Map<string, number>,
  userSeq: number,
  live: boolean,
): { flushed: number; dropped: number } {
  const queue = c.pending ?? [];
  c.pending = null;
  c.pendingBytes = 0;
  let flushed = 0;
  let dropped = 0;
  for (const p of queue) {
    if (!writable(c)) break;
    if (!live && p.kind === PENDING_EVENT) {
      const last = sent.get(p.channelId!) ?? cursors.channels[p.channelId!] ?? 0;
      if (p.seq <= last) {
        dropped++;
        continue;
      }
      sent.set(p.channelId!, p.seq);
    } else if (!live && p.kind === PENDING_USER) {
      if (p.seq <= userSeq) {
        dropped++;
        continue;
      }
      userSeq = p.seq;
    }
    if (backlog(c) > core.fan.maxBuffered) {
      core.fan.onSlow(c);
      break;
    }
    beforeWrite(core.fan, c, p.frame.length);
    c.socket.write(p.frame);
    if (p.kind !== PENDING_EPHEMERAL) flushed++;
  }
  return { flushed, dropped };
}
