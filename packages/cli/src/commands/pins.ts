/**
 * `parley pins list|add|remove`: a channel's pinned messages. The server keeps references
 * (seq, who pinned it, when); the text shown is what this device decrypts of each message.
 */
import type { Event } from "@parley/protocol";
import { int, type Command } from "../command.ts";
import { foldTimeline } from "../render.ts";
import { beforeJoin } from "../content.ts";
import { directory, resolveChannel, withClient } from "../session.ts";

const seqArg = (v: string | undefined) => int(v?.replace(/^#/, ""), "SEQ")!;

export const pinCommands: Command[] = [
  {
    name: ["pins", "list"],
    usage: "CHANNEL",
    summary: "A channel's pinned messages, newest pin first (text as this device decrypts it)",
    min: 1,
    async run(ctx) {
      const o = await withClient(
        ctx,
        async ({ api, client }) => {
          const ch = await resolveChannel(client, ctx.args[0]!);
          const [{ pins }, dir] = await Promise.all([api.call("listPins", { params: { channelId: ch.id } }), directory(api)]);
          // One small page per pin (at most 100): the pinned event itself, decrypted here.
          const events: Event[] = [];
          for (const p of pins) {
            const page = await api.call("listEvents", { params: { channelId: ch.id }, query: { after: p.seq - 1, limit: 1 } });
            if (page.events[0]?.seq === p.seq) events.push(page.events[0]);
          }
          const decoded = (await client.decode(events)).filter((r) => !beforeJoin(r.content)).map((r) => ({ event: r.raw, content: r.content }));
          const text = new Map(foldTimeline(decoded, dir.name).map((m) => [m.seq, m.decodeError ? undefined : m.text]));
          return { ch, rows: pins.map((p) => ({ ...p, pinnedByName: dir.name(p.pinnedBy), text: text.get(p.seq) ?? null })) };
        },
        { sync: true },
      );
      ctx.out.result({ channel: o.ch.name, channelId: o.ch.id, pins: o.rows }, () =>
        o.rows.length
          ? o.rows.map(
              (p) => `#${p.seq} ${p.text ?? "(message not available on this device)"} — pinned by ${p.pinnedByName} ${new Date(p.pinnedAt).toISOString()}`,
            )
          : `nothing is pinned in #${o.ch.name}`,
      );
    },
  },
  {
    name: ["pins", "add"],
    usage: "CHANNEL SEQ",
    summary: "Pin message SEQ in a channel (members who may post)",
    min: 2,
    async run(ctx) {
      const seq = seqArg(ctx.args[1]);
      const { ch, pin } = await withClient(ctx, async ({ api, client }) => {
        const ch = await resolveChannel(client, ctx.args[0]!);
        return { ch, pin: await api.call("pinMessage", { params: { channelId: ch.id, seq } }) };
      });
      ctx.out.result({ pin }, `Pinned #${seq} in #${ch.name}.`);
    },
  },
  {
    name: ["pins", "remove"],
    usage: "CHANNEL SEQ",
    summary: "Unpin message SEQ in a channel",
    min: 2,
    async run(ctx) {
      const seq = seqArg(ctx.args[1]);
      const ch = await withClient(ctx, async ({ api, client }) => {
        const ch = await resolveChannel(client, ctx.args[0]!);
        await api.call("unpinMessage", { params: { channelId: ch.id, seq } });
        return ch;
      });
      ctx.out.result({ channelId: ch.id, seq, pinned: false }, `Unpinned #${seq} in #${ch.name}.`);
    },
  },
];
