/**
 * On-device history export (GDPR data-subject export, docs/gdpr.md): the server's export holds no
 * message content — it cannot read any — so the user's device adds what it can decrypt.
 * {@link exportChannelHistory} reads a channel oldest first, page by page, and hands each page over
 * as plain records; {@link exportHistory} does it for every channel the user is in and lays the
 * result out as files — `messages/<channel>.jsonl` (one JSON line per event) and
 * `messages/index.json` — the same in `parley me export` and the web app's "Download my data".
 */
import type { MyChannel } from "@parley/protocol";
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

/** One channel's entry in `messages/index.json`. */
export interface ExportedChannel {
  channelId: string;
  name: string;
  kind: string;
  /** Its file in the archive (`messages/<name>.jsonl`). */
  file: string;
  events: number;
  unreadable: number;
}

/** How far {@link exportHistory} is: after each page, and as each channel starts. */
export interface HistoryExportProgress {
  /** The channel being read, 1-based, of `channels`. */
  channel: number;
  channels: number;
  /** The channel's name ("" for DMs). */
  name: string;
  /** Its file in the archive (`messages/<name>.jsonl`; DMs are named after the people in them). */
  file: string;
  /** Events of this channel so far. */
  events: number;
  /** Events of every channel so far. */
  total: number;
}

/** Options of {@link exportHistory}. */
export interface HistoryExportOptions {
  /** The exporting user: DM files are named after the other people in them. */
  userId: string;
  /** The exporting device, recorded in the index. */
  deviceId: string;
  /** Which app made the export, recorded in the index ("parley cli", "parley web"). */
  exportedBy: string;
  /** A user's name for `sender` and DM file names (their username; the id when unknown). */
  name: (userId: string) => string;
  onProgress?: (p: HistoryExportProgress) => void;
  /** Stops the export between pages (it rejects with the signal's reason). */
  signal?: AbortSignal;
}

/** The decrypted history as files: path in the archive → text (UTF-8). */
export interface HistoryExport {
  files: Record<string, string>;
  channels: number;
  events: number;
}

/** The file name of a channel's history: its name, or for DMs the people in it; unique in the archive. */
function channelFile(ch: MyChannel, me: string, name: (id: string) => string, taken: Set<string>): string {
  const base =
    ch.name ||
    `dm-${(ch.dmUserIds ?? [])
      .filter((id) => id !== me)
      .map(name)
      .join("-")}`;
  let file = base.replace(/[^\p{L}\p{N}._-]+/gu, "_").slice(0, 80) || ch.id;
  if (taken.has(file)) file = `${file}-${ch.id}`;
  taken.add(file);
  return file;
}

/**
 * Export the history of every channel the user is in, as this device reads it (`client.decode`
 * decides what it can open): one `messages/<channel>.jsonl` per channel (each event with its
 * `sender` name) and `messages/index.json` listing them. Nothing leaves the device.
 */
export async function exportHistory(client: Pick<ParleyClient, "api" | "decode" | "channels">, opts: HistoryExportOptions): Promise<HistoryExport> {
  const { signal, onProgress } = opts;
  signal?.throwIfAborted();
  const channels = await client.channels();
  const files: Record<string, string> = {};
  const index: ExportedChannel[] = [];
  const taken = new Set<string>();
  let total = 0;
  for (const [i, ch] of channels.entries()) {
    signal?.throwIfAborted();
    const file = `messages/${channelFile(ch, opts.userId, opts.name, taken)}.jsonl`;
    const progress = (events: number) => onProgress?.({ channel: i + 1, channels: channels.length, name: ch.name, file, events, total: total + events });
    const lines: string[] = [];
    let unreadable = 0;
    progress(0);
    const n = await exportChannelHistory(client, ch.id, (events) => {
      signal?.throwIfAborted();
      for (const e of events) {
        if (e.unreadable) unreadable++;
        lines.push(JSON.stringify({ ...e, sender: opts.name(e.senderId) }));
      }
      progress(lines.length);
    });
    files[file] = lines.length ? `${lines.join("\n")}\n` : "";
    index.push({ channelId: ch.id, name: ch.name, kind: ch.kind, file, events: n, unreadable });
    total += n;
  }
  files["messages/index.json"] = `${JSON.stringify({ exportedBy: opts.exportedBy, deviceId: opts.deviceId, channels: index }, null, 2)}\n`;
  return { files, channels: index.length, events: total };
}
