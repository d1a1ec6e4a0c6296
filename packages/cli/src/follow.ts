/**
 * `parley read --follow`: stream a channel live through the SDK client
 * (realtime connection with reconnect and backoff; its sync engine replays
 * what a reconnect missed, dedups and orders by seq) until Ctrl-C.
 */
import type { Ctx } from "./command.ts";
import { CliError } from "./errors.ts";
import { liveLine } from "./render.ts";
import { HISTORY_NOTE } from "./content.ts";
import { directory, signedIn } from "./session.ts";

export async function follow(ctx: Ctx, channelId: string, afterSeq: number): Promise<void> {
  const o = await signedIn(ctx, async (store) => {
    // History up to afterSeq is already printed: the client's sync starts this channel there.
    const cursors = await store.loadCursors();
    if ((cursors.channels[channelId] ?? 0) < afterSeq) await store.setChannelCursor(channelId, afterSeq);
  });
  const { client } = o;
  const dir = await directory(o.api);
  let printed = afterSeq;
  let failure: CliError | undefined;
  await new Promise<void>((resolve) => {
    if (ctx.signal.aborted) return resolve();
    ctx.signal.addEventListener("abort", () => resolve(), { once: true });
    client.on("event", (e) => {
      // Other channels are synced too (the client keeps every cursor); only this one is shown.
      if (e.channelId !== channelId || e.seq <= printed) return;
      printed = e.seq;
      ctx.out.item(
        {
          seq: e.seq,
          kind: e.kind,
          threadRoot: e.threadRoot,
          target: e.target,
          sender: dir.name(e.senderId),
          senderId: e.senderId,
          createdAt: e.createdAt,
          text: e.text ?? null,
          emoji: e.emoji ?? null,
        },
        liveLine(e.raw, e.content, dir.name),
      );
    });
    client.on("historyUnavailable", (h) => {
      if (h.channelId === channelId) ctx.out.note(HISTORY_NOTE);
    });
    client.on("connection", (s) => {
      if (s.state === "offline" && !ctx.out.json)
        ctx.out.note(`connection lost (${s.reason || s.closeCode}); reconnecting${s.retryInMs ? ` in ${Math.round(s.retryInMs / 1000)}s` : ""}...`);
      if (s.state === "revoked") {
        failure = new CliError("session_ended", "the server ended this session", "sign in again with `parley login`");
        resolve();
      }
    });
    client.on("error", () => undefined);
    client.connect();
  });
  await o.close();
  if (failure) throw failure;
}
