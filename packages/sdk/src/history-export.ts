/**
 * On-device history export (GDPR data-subject export, docs/gdpr.md): the server's export holds no
 * message content — it cannot read any — so the user's device adds what it can decrypt. This
 * reads a channel oldest first, page by page, and hands each page over as plain records (one JSON
 * line each in `parley me export`'s `messages/<channel>.jsonl` and the web app's export).
 */
import type { ParleyClient } from "./client.ts";

/** One channel event as exported: messages, reactions, edits and deletions; protocol events are left out. */
export interface ExportedEvent {
  seq: number;
  kind: "message" | "reaction" | "edit" | "delete";
  createdAt: number;
  senderId: string;
  /** Sent by the exporting user. */
  own: boolean;
  threadRoot: number | null;
  /** The event a reaction, edit or deletion refers to. */
  target: number | null;
  text?: string;
  emoji?: string;
  /** Attachments (name, type, size; the bytes are not downloaded). */
  files?: Array<{ name: string; mime: string; size: number }>;
  /** Why this device cannot read it (e.g. `history_unavailable`: sent before it could read the channel). */
  unreadable?: string;
}

const KINDS: ReadonlySet<string> = new Set(["message", "reaction", "edit", "delete"]);
const PAGE = 200;

function filesOf(content: Record<string, unknown>): ExportedEvent["files"] {
  const files = content.files;
  if (!Array.isArray(files) || files.length === 0) return undefined;
  return files.map((f: { name?: unknown; mime?: unknown; size?: unknown }) => ({
    name: String(f.name ?? ""),
    mime: String(f.mime ?? ""),
    size: Number(f.size ?? 0),
  }));
}

/**
 * Read `channelId`'s history oldest first and call `each` with every page of exported events
 * (content from this device's sealed history cache or the archive copies it holds keys for).
 * Resolves with how many events were exported.
 */
export async function exportChannelHistory(
  client: Pick<ParleyClient, "api" | "decode">,
  channelId: string,
  each: (events: ExportedEvent[]) => void | Promise<void>,
): Promise<number> {
  let after = 0;
  let total = 0;
  for (;;) {
    const page = await client.api.call("listEvents", { params: { channelId }, query: { after, limit: PAGE } });
    const events = [...page.events].sort((a, b) => a.seq - b.seq);
    const decoded = await client.decode(events.filter((e) => KINDS.has(e.kind)));
    const out = decoded.map((e): ExportedEvent => {
      const r: ExportedEvent = {
        seq: e.seq,
        kind: e.kind as ExportedEvent["kind"],
        createdAt: e.createdAt,
        senderId: e.senderId,
        own: e.own,
        threadRoot: e.threadRoot,
        target: e.target,
      };
      if (e.content.decodeError) r.unreadable = e.content.decodeReason ?? e.content.decodeError;
      if (e.text !== undefined) r.text = e.text;
      if (e.emoji !== undefined) r.emoji = e.emoji;
      const files = filesOf(e.content);
      if (files) r.files = files;
      return r;
    });
    if (out.length) await each(out);
    total += out.length;
    const last = events[events.length - 1];
    if (!page.hasMore || !last) return total;
    after = last.seq;
  }
}
