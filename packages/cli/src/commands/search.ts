/**
 * `parley search QUERY`: full-text search of every channel this profile reads, on this device
 * (issue 9). The index is the SDK's MessageSearch, kept sealed in the profile (`search.idx`, under
 * a key of the profile's encrypted key store) and brought up to date from history pages before each
 * search — the first run on a new device reads the whole history (archive copies), later runs only
 * what came since. The query never leaves the machine.
 */
import fs from "node:fs/promises";
import path from "node:path";
import { MessageSearch, type SearchIndexStore } from "@parley/sdk/node";
import { int, str, type Command } from "../command.ts";
import { messageLine } from "../render.ts";
import { directory, resolveChannel, withClient } from "../session.ts";
import { profileDir } from "../profile.ts";

/** The sealed index in the profile directory, replaced atomically (written aside, then renamed). */
function fileIndexStore(dir: string): SearchIndexStore {
  const file = path.join(dir, "search.idx");
  return {
    async load() {
      try {
        return new Uint8Array(await fs.readFile(file));
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
        throw err;
      }
    },
    async save(sealed) {
      const tmp = `${file}.tmp`;
      await fs.writeFile(tmp, sealed, { mode: 0o600 });
      await fs.rename(tmp, file);
    },
  };
}

export const searchCommands: Command[] = [
  {
    name: ["search"],
    usage: "QUERY... [--channel CHANNEL] [--limit N]",
    summary: "Search the messages of every channel you are in, on this device (the query never leaves it); --channel limits it to one",
    min: 1,
    options: { channel: { type: "string" }, limit: { type: "string" } },
    async run(ctx) {
      const query = ctx.args.join(" ");
      const limit = int(str(ctx.opts, "limit"), "--limit") ?? 20;
      const found = await withClient(
        ctx,
        async ({ api, client }) => {
          const only = str(ctx.opts, "channel");
          const channels = only ? [await resolveChannel(client, only)] : await client.channels();
          const search = await MessageSearch.open(client, fileIndexStore(profileDir(ctx.opts, ctx.env)));
          try {
            let lastNote = 0;
            const read = await search.backfill(
              client,
              channels.map((c) => c.id),
              ({ read }) => {
                // Long back-fills (a new device reading a big history) say how far they are.
                if (!ctx.out.json && read - lastNote >= 2000) {
                  lastNote = read;
                  ctx.out.note(`indexing… ${read.toLocaleString("en")} events read`);
                }
              },
            );
            if (read > 0) await search.save();
            const dir = await directory(api);
            const names = new Map(channels.map((c) => [c.id, c.name]));
            const hits = search.search(query, { limit, ...(only ? { channelId: channels[0]!.id } : {}) });
            return hits.map((h) => ({ ...h, channel: names.get(h.channelId) ?? h.channelId, sender: dir.name(h.senderId) }));
          } finally {
            search.close();
          }
        },
        { sync: true },
      );
      ctx.out.result(
        {
          query,
          results: found.map((h) => ({
            channel: h.channel,
            channelId: h.channelId,
            seq: h.seq,
            threadRoot: h.threadRoot,
            sender: h.sender,
            senderId: h.senderId,
            createdAt: h.createdAt,
            text: h.text,
          })),
        },
        () =>
          found.length
            ? found
                .map(
                  (h) =>
                    `#${h.channel} ${messageLine({ seq: h.seq, threadRoot: h.threadRoot, sender: h.sender, senderId: h.senderId, createdAt: h.createdAt, text: h.text, edited: false, deleted: false, reactions: {}, files: [], decodeError: undefined })}`,
                )
                .join("\n")
            : `nothing found for "${query}"`,
      );
    },
  },
];
