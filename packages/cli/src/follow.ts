/**
 * `parley read --follow`: stream a channel live over the SDK's realtime
 * connection (reconnects with backoff; the sync engine replays what a
 * reconnect missed, dedups and orders by seq) until Ctrl-C.
 */
import type { Event } from "@parley/protocol";
import { Connection, SyncEngine } from "@parley/sdk/node";
import type { Ctx } from "./command.ts";
import { CliError } from "./errors.ts";
import { liveLine } from "./render.ts";
import { directory, signedIn } from "./session.ts";
import { decode } from "./content.ts";

export async function follow(ctx: Ctx, channelId: string, afterSeq: number): Promise<void> {
  const o = await signedIn(ctx);
  const dir = await directory(o.api);
  // Print strictly in order even though decoding is async.
  let printing: Promise<void> = Promise.resolve();
  const print = (events: Event[]) => {
    printing = printing.then(async () => {
      for (const e of events) {
        const c = await decode(e);
        ctx.out.item({ seq: e.seq, kind: e.kind, threadRoot: e.threadRoot, target: e.target, sender: dir.name(e.senderId), senderId: e.senderId, createdAt: e.createdAt, text: c.text ?? null, emoji: c.emoji ?? null }, liveLine(e, c, dir.name));
      }
    });
  };
  const sync = new SyncEngine({
    // Only this channel matters; the user stream starts "now" so nothing old is replayed.
    cursors: { user: Number.MAX_SAFE_INTEGER, channels: { [channelId]: afterSeq } },
    fetchChannelEvents: (id, after) => o.api.call("listEvents", { params: { channelId: id }, query: { after, limit: 100 } }),
    fetchUserItems: async () => ({ items: [], hasMore: false }),
    onEvents: (id, events) => { if (id === channelId) print(events); },
    onUserItems: () => undefined,
  });
  let failure: CliError | undefined;
  const stopped = new Promise<void>((resolve) => {
    if (ctx.signal.aborted) resolve();
    ctx.signal.addEventListener("abort", () => resolve(), { once: true });
    const conn = new Connection({
      baseUrl: o.session.baseUrl,
      accessToken: () => o.auth.accessToken(),
      onUnauthorized: (t) => o.auth.onUnauthorized(t),
      cursors: () => ({ user: 0, channels: { [channelId]: sync.channelCursor(channelId) } }),
      onFrame: (f) => {
        if (f.t === "sync" && f.channelId === channelId) sync.receiveEvents(channelId, f.events);
        else if (f.t === "event" && f.event.channelId === channelId) sync.receiveEvents(channelId, [f.event]);
      },
      onState: (s) => {
        if (s.state === "live") sync.setLive(true);
        if (s.state === "offline" && !ctx.out.json) ctx.out.note(`connection lost (${s.reason || s.closeCode}); reconnecting${s.retryInMs ? ` in ${Math.round(s.retryInMs / 1000)}s` : ""}...`);
        if (s.state === "revoked") {
          failure = new CliError("session_ended", "the server ended this session", "sign in again with `parley login`");
          resolve();
        }
      },
    });
    conn.start();
    ctx.signal.addEventListener("abort", () => conn.stop(), { once: true });
    if (failure) conn.stop();
  });
  sync.track(channelId, afterSeq);
  await stopped;
  sync.close();
  await printing;
  await o.close();
  if (failure) throw failure;
}
