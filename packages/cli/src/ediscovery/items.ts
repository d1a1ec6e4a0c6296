/**
 * What `parley compliance export` hands to the eDiscovery bundle writer (issue 11): the
 * channels and the decrypted archive items, with what the export learned about each one
 * (signature check, legal hold, later deletion). Also the checks made on them before anything
 * is written, and the file names derived from user-chosen names (never trusted as paths).
 */

/** A person as the export names them. */
export interface ExportPerson {
  userId: string;
  username: string;
  displayName: string;
}

/** A channel of the export. */
export interface ExportChannel {
  id: string;
  name: string;
  /** public, private, dm, group_dm. */
  kind: string;
  members: ExportPerson[];
}

/** A file attached to an item. Exactly one of `data` and `unavailable` is set. */
export interface ExportAttachment {
  /** The server's file id, when known. */
  fileId?: string | null;
  /** The name the sender gave it (any text: it is never used as a path as is). */
  name: string;
  contentType: string;
  /** The decrypted bytes, whole or as a stream (read once). */
  data?: Uint8Array | AsyncIterable<Uint8Array>;
  /** Why the bytes could not be produced (blob gone, digest mismatch…). */
  unavailable?: string;
}

/** The archive copy's signature check (ADR 0007) as the export made it. */
export type SignatureCheck = { status: "verified" } | { status: "failed"; reason: string };

/** Content event kinds an archive holds. */
export type ExportItemKind = "message" | "edit" | "delete" | "reaction";

/** One decrypted archive item. Items come in seq order within each channel. */
export interface ExportItem {
  channelId: string;
  seq: number;
  /** The event id. */
  id: string;
  kind: ExportItemKind;
  sender: ExportPerson;
  senderDeviceId: string;
  /** When the server stored it: an ISO 8601 time (written back in UTC). */
  sentAt: string;
  /** Seq of the thread's root, or null. */
  threadRoot: number | null;
  /** Seq of the item an edit, delete or reaction refers to, or null. */
  target: number | null;
  /** Message or edit text (null for deletes and reactions). */
  text: string | null;
  /** How `text` is meant to be read; it is always kept as written, never rendered. */
  format?: "plain" | "markdown";
  /** A reaction's emoji. */
  emoji?: string | null;
  attachments?: ExportAttachment[];
  /**
   * Why the item's content could not be read, or undefined: no archive copy, its epoch's
   * history key missing from the archive, a copy that does not open. The item is kept with what
   * the server's metadata says (kind, sender, time, target); text, emoji and attachments are empty.
   */
  unavailable?: string;
  /** Deleted by a later event (kept because of a legal hold or the archive). */
  deletedLater: boolean;
  /** Came from a legal-hold copy. */
  legalHold: boolean;
  signature: SignatureCheck;
}

/** What the officer asked for (recorded in the manifest). */
export interface ExportParameters {
  orgId: string;
  /** The --channel asked for, or null. */
  channel: string | null;
  /** The --user asked for, or null. */
  user: string | null;
  /** ISO 8601 bounds as given, or null. */
  from: string | null;
  to: string | null;
}

/** Stable codes of {@link BundleError}. */
export type BundleErrorCode =
  /** The output directory exists and is not empty, or the zip would go inside the bundle: nothing was written. */
  | "bundle_bad_target"
  /** An item or channel is inconsistent (unknown channel, seq out of order, bad time, attachment with no bytes and no reason). */
  | "bundle_bad_item"
  /** The officer's signing key is not an Ed25519 private key. */
  | "bundle_bad_key";

/** A refusal of the bundle writer; `code` is stable (the CLI maps it to its exit code). */
export class BundleError extends Error {
  readonly code: BundleErrorCode;
  constructor(code: BundleErrorCode, message: string) {
    super(message);
    this.name = "BundleError";
    this.code = code;
  }
}

const KINDS = new Set<string>(["message", "edit", "delete", "reaction"]);

/** Checks one item against the channels and the last seq seen in its channel; returns its time in UTC. */
export function checkItem(item: ExportItem, channels: ReadonlyMap<string, ExportChannel>, lastSeq: Map<string, number>): string {
  const where = `item ${item.channelId}#${item.seq}`;
  if (!channels.has(item.channelId)) throw new BundleError("bundle_bad_item", `${where}: its channel is not among the export's channels`);
  if (!Number.isSafeInteger(item.seq) || item.seq < 0) throw new BundleError("bundle_bad_item", `${where}: seq is not a whole number`);
  const last = lastSeq.get(item.channelId);
  if (last !== undefined && item.seq <= last) throw new BundleError("bundle_bad_item", `${where}: seqs of a channel come in increasing order (after ${last})`);
  lastSeq.set(item.channelId, item.seq);
  if (!KINDS.has(item.kind)) throw new BundleError("bundle_bad_item", `${where}: unknown kind ${JSON.stringify(item.kind)}`);
  const ms = Date.parse(item.sentAt);
  if (Number.isNaN(ms)) throw new BundleError("bundle_bad_item", `${where}: sentAt is not a time`);
  for (const a of item.attachments ?? []) {
    if ((a.data === undefined) === (a.unavailable === undefined))
      throw new BundleError("bundle_bad_item", `${where}: an attachment has either its bytes or the reason they are unavailable`);
  }
  return new Date(ms).toISOString();
}

/**
 * A file name safe on every file system from any text: letters, digits and `._-` kept
 * (Unicode letters too), everything else `_`, no `..`, no leading or trailing dot, no
 * Windows device name, at most 80 characters (the extension kept).
 */
export function safeFileName(name: string, fallback = "file"): string {
  let s = name
    .normalize("NFC")
    .replace(/[^\p{L}\p{M}\p{N}._-]/gu, "_")
    .replace(/\.{2,}/g, ".")
    .replace(/_{2,}/g, "_")
    .replace(/^[._]+|[._]+$/g, "");
  if (/^(con|prn|aux|nul|com\d|lpt\d)(\.|$)/i.test(s)) s = `_${s}`;
  const chars = [...s];
  if (chars.length > 80) {
    const dot = s.lastIndexOf(".");
    const ext = dot > 0 && s.length - dot <= 12 ? s.slice(dot) : "";
    s = chars.slice(0, 80 - [...ext].length).join("") + ext;
  }
  return s || fallback;
}

/** An id as it appears in file names and mail headers: `[A-Za-z0-9_-]` only. */
export function safeId(id: string): string {
  return id.replace(/[^A-Za-z0-9_-]/g, "_").slice(0, 64) || "_";
}

/** Where a channel's renderings go, relative to the bundle: `rendering/<name>-<id>`. */
export function channelBase(channel: ExportChannel): string {
  return `rendering/${safeFileName(channel.name, "channel")}-${safeId(channel.id)}`;
}

/** Where an item's .eml goes, relative to the bundle. */
export function emlPath(channel: ExportChannel, item: ExportItem): string {
  return `${channelBase(channel)}/${String(item.seq).padStart(8, "0")}-${item.kind}.eml`;
}

/** An attachment as written: its place in the bundle and its hash, or why it is missing. */
export type WrittenAttachment =
  { name: string; contentType: string; path: string; size: number; sha256: string } | { name: string; contentType: string; unavailable: string };

/** The messages.jsonl record of an item, fields in a fixed order. */
export function itemRecord(item: ExportItem, channel: ExportChannel, sentAt: string, files: WrittenAttachment[], eml: string): Record<string, unknown> {
  return {
    channelId: item.channelId,
    channelName: channel.name,
    seq: item.seq,
    id: item.id,
    kind: item.kind,
    sentAt,
    sender: { userId: item.sender.userId, username: item.sender.username, displayName: item.sender.displayName },
    senderDeviceId: item.senderDeviceId,
    threadRoot: item.threadRoot,
    target: item.target,
    format: item.format ?? "plain",
    text: item.text,
    emoji: item.emoji ?? null,
    attachments: files.map((f) =>
      "path" in f
        ? { name: f.name, contentType: f.contentType, size: f.size, sha256: f.sha256, path: f.path }
        : { name: f.name, contentType: f.contentType, unavailable: f.unavailable },
    ),
    unavailable: item.unavailable ?? null,
    deletedLater: item.deletedLater,
    legalHold: item.legalHold,
    signature: item.signature.status === "verified" ? { status: "verified" } : { status: "failed", reason: item.signature.reason },
    eml,
  };
}
