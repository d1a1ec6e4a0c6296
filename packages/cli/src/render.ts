/**
 * Human rendering: tables, times, and the timeline of a channel with
 * edits, deletions and reactions applied to the messages they target.
 */
import type { Event } from "@parley/protocol";

/** Columns padded to their widest cell. */
export function table(rows: string[][]): string {
  if (!rows.length) return "(none)";
  const widths: number[] = [];
  for (const r of rows)
    r.forEach((c, i) => {
      widths[i] = Math.max(widths[i] ?? 0, c.length);
    });
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join("  ")).join("\n");
}

const pad = (n: number) => String(n).padStart(2, "0");
/** Local time as "YYYY-MM-DD HH:MM". */
export function when(ms: number): string {
  const d = new Date(ms);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** Decoded content of one event. */
export interface Content {
  text?: string | undefined;
  emoji?: string | undefined;
  decodeError?: string | undefined;
  decodeReason?: string | undefined;
  files?: unknown;
}

/** A message with everything that later events did to it. */
export interface MessageView {
  seq: number;
  threadRoot: number | null;
  sender: string;
  senderId: string;
  createdAt: number;
  text: string;
  edited: boolean;
  deleted: boolean;
  /** emoji -> usernames, in first-reaction order. */
  reactions: Record<string, string[]>;
  /** Attached files (their keys stay out of views: `parley download CHANNEL SEQ` decrypts them). */
  files: FileView[];
  decodeError?: string;
}

/** An attachment as shown. */
export interface FileView {
  name: string;
  mime: string;
  size: number;
}

/** Attachments of decoded content (only the displayable fields). */
function filesOf(c: Content): FileView[] {
  if (!Array.isArray(c.files)) return [];
  return (c.files as Array<Record<string, unknown>>)
    .filter((f) => f && typeof f.name === "string")
    .map((f) => ({ name: String(f.name), mime: String(f.mime ?? "application/octet-stream"), size: Number(f.size ?? 0) }));
}

/** Bytes as "12.3 KiB". */
export function size(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ["KiB", "MiB", "GiB"];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(1)} ${units[i]}`;
}

/**
 * Fold a channel's events (oldest first) into message views: an edit
 * replaces the text of its target, a delete blanks it, a reaction adds the
 * sender under its emoji (once), and deleting a reaction event takes it
 * back. Only the original sender's edits and deletes count (the server
 * enforces it too; a reader does not trust the server's labels).
 */
export function foldTimeline(events: Array<{ event: Event; content: Content }>, name: (userId: string) => string): MessageView[] {
  const bySeq = new Map<number, MessageView>();
  const reactions = new Map<number, { target: MessageView; emoji: string; who: string; senderId: string }>();
  const out: MessageView[] = [];
  for (const { event: e, content: c } of events) {
    if (e.kind === "message") {
      const v: MessageView = {
        seq: e.seq,
        threadRoot: e.threadRoot,
        sender: name(e.senderId),
        senderId: e.senderId,
        createdAt: e.createdAt,
        text: c.text ?? "",
        edited: false,
        deleted: false,
        reactions: {},
        files: filesOf(c),
        ...(c.decodeError ? { decodeError: c.decodeError } : {}),
      };
      bySeq.set(e.seq, v);
      out.push(v);
      continue;
    }
    const reaction = e.kind === "delete" && e.target !== null ? reactions.get(e.target) : undefined;
    if (reaction && reaction.senderId === e.senderId) {
      const list = reaction.target.reactions[reaction.emoji] ?? [];
      const i = list.indexOf(reaction.who);
      if (i >= 0) list.splice(i, 1);
      if (!list.length) delete reaction.target.reactions[reaction.emoji];
      continue;
    }
    const target = e.target === null ? undefined : bySeq.get(e.target);
    if (!target) continue;
    if (e.kind === "edit" && e.senderId === target.senderId && !target.deleted) {
      target.text = c.text ?? "";
      target.edited = true;
    }
    if (e.kind === "delete" && e.senderId === target.senderId) {
      target.deleted = true;
      target.text = "";
      target.reactions = {};
      target.files = [];
    }
    if (e.kind === "reaction" && c.emoji && !target.deleted) {
      const who = name(e.senderId);
      const list = (target.reactions[c.emoji] ??= []);
      if (!list.includes(who)) list.push(who);
      reactions.set(e.seq, { target, emoji: c.emoji, who, senderId: e.senderId });
    }
  }
  return out;
}

/** `#seq [time] user: text`, with thread, edit, delete and reaction marks. */
export function messageLine(m: MessageView): string {
  const thread = m.threadRoot !== null ? ` (thread #${m.threadRoot})` : "";
  const body = m.deleted ? "(deleted)" : m.decodeError ? `(cannot read: ${m.decodeError})` : m.text;
  const edited = m.edited && !m.deleted ? " (edited)" : "";
  const reactions = Object.entries(m.reactions)
    .map(([emoji, who]) => `${emoji} ${who.join(",")}`)
    .join("  ");
  const files = m.files.map((f) => ` [file: ${f.name}, ${size(f.size)}]`).join("");
  return `#${m.seq} [${when(m.createdAt)}] ${m.sender}${thread}: ${body}${files}${edited}${reactions ? `  [${reactions}]` : ""}`;
}

/** One live event as a line (read --follow): messages as above, other kinds as what they do. */
export function liveLine(e: Event, c: Content, name: (userId: string) => string): string {
  const who = name(e.senderId);
  switch (e.kind) {
    case "message":
      return messageLine({
        seq: e.seq,
        threadRoot: e.threadRoot,
        sender: who,
        senderId: e.senderId,
        createdAt: e.createdAt,
        text: c.text ?? "",
        edited: false,
        deleted: false,
        reactions: {},
        files: filesOf(c),
        ...(c.decodeError ? { decodeError: c.decodeError } : {}),
      });
    case "edit":
      return `#${e.seq} [${when(e.createdAt)}] ${who} edited #${e.target}: ${c.text ?? ""}`;
    case "delete":
      return `#${e.seq} [${when(e.createdAt)}] ${who} deleted #${e.target}`;
    case "reaction":
      return `#${e.seq} [${when(e.createdAt)}] ${who} reacted ${c.emoji ?? "?"} to #${e.target}`;
    case "commit":
    case "proposal":
      // MLS handshake: the channel's encryption group changed (members or keys).
      return `#${e.seq} [${when(e.createdAt)}] (encryption group updated)`;
    case "reset":
      return `#${e.seq} [${when(e.createdAt)}] (encryption was reset${e.senderId === "server" ? " by an operator" : ` by ${who}`}: a new group from here on)`;
    case "keys":
      return `#${e.seq} [${when(e.createdAt)}] (${who} shared the channel's earlier history keys with new members)`;
  }
}
