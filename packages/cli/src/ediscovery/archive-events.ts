/**
 * One archived event as an export item (ADR 0007, 0008): its archive copy's signature checked
 * against the sending device's key from the device directory, the copy opened with its epoch's
 * history key from the archive, and the payload decoded (the SDK's payload: the content with
 * the kind, thread and target the sender encrypted). Nothing is dropped: an event whose copy is
 * missing or does not open is an item with the server's metadata and the reason in
 * `unavailable`; a signature that does not verify is recorded in `signature`.
 */
import { examineArchiveCopy, isE2eeError, type SuiteName } from "@parley/crypto";
import type { ArchivedEvent } from "@parley/protocol";
import type { ChannelKeys } from "./archive-keys.ts";
import { attachmentRefs, type AttachmentRef } from "./archive-files.ts";
import type { ExportAttachment, ExportItem, ExportItemKind, ExportPerson, SignatureCheck } from "./items.ts";

/** Event kinds that carry content (commits, proposals, resets and key hand-overs do not). */
const CONTENT_KINDS = new Set<string>(["message", "edit", "delete", "reaction"]);

/** What reading one channel's events needs. */
export interface ChannelReader {
  orgId: string;
  channelId: string;
  keys: ChannelKeys;
  /** The verified signature key of a device (revoked ones included), or undefined when the directory vouches for none. */
  senderKey(userId: string, deviceId: string): Promise<{ key: Uint8Array; suite: SuiteName } | undefined>;
  person(userId: string): ExportPerson;
}

/** An item before its attachments are fetched. */
export interface DraftItem {
  item: ExportItem;
  /** Files to download and decrypt (from the decrypted content). */
  files: AttachmentRef[];
  createdAt: number;
  /** Its epoch's history key is not in the archive. */
  keyMissing: boolean;
  /** The server's kind, thread or target differs from what the sender encrypted (the sender's is used). */
  relabelled: boolean;
}

interface Payload {
  kind: ExportItemKind;
  threadRoot: number | null;
  target: number | null;
  content: Record<string, unknown>;
}

const seqOrNull = (v: unknown) => v === null || (Number.isSafeInteger(v) && (v as number) > 0);

/** The SDK's payload (`{ v: 1, kind, threadRoot, target, content }`), or undefined when the bytes are not one. */
function decodePayload(bytes: Uint8Array): Payload | undefined {
  let p: { v?: unknown; kind?: unknown; threadRoot?: unknown; target?: unknown; content?: unknown };
  try {
    p = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes)) as typeof p;
  } catch {
    return undefined;
  }
  if (!p || p.v !== 1 || typeof p.kind !== "string" || !CONTENT_KINDS.has(p.kind) || !seqOrNull(p.threadRoot) || !seqOrNull(p.target)) return undefined;
  if (typeof p.content !== "object" || p.content === null || Array.isArray(p.content)) return undefined;
  return {
    kind: p.kind as ExportItemKind,
    threadRoot: p.threadRoot as number | null,
    target: p.target as number | null,
    content: p.content as Record<string, unknown>,
  };
}

const UNREADABLE_FILE = "its key travels inside the message, whose content could not be read";

/** Result of opening the copy: the payload or why not, and the signature check. */
async function openCopy(
  e: ArchivedEvent,
  r: ChannelReader,
): Promise<{ payload?: Payload; unavailable?: string; signature: SignatureCheck; keyMissing: boolean }> {
  if (e.archive === null)
    return {
      unavailable: "sent without an archive copy",
      signature: { status: "failed", reason: "no archive copy: nothing signed to check" },
      keyMissing: false,
    };
  const sender = await r.senderKey(e.senderId, e.senderDeviceId);
  const hks = r.keys.keys(e.generation, e.epoch);
  let examined;
  try {
    examined = await examineArchiveCopy({
      orgId: r.orgId,
      channelId: r.channelId,
      generation: e.generation,
      epoch: BigInt(e.epoch),
      clientId: e.clientId,
      senderDeviceId: e.senderDeviceId,
      bytes: new Uint8Array(Buffer.from(e.archive, "base64")),
      hks,
      senderSignaturePublicKey: sender?.key,
      suite: sender?.suite ?? "default",
    });
  } catch (err) {
    const code = isE2eeError(err) ? err.code : "archive_bad_framing";
    return {
      unavailable: `the archive copy is malformed (${code})`,
      signature: { status: "failed", reason: `malformed archive copy (${code})` },
      keyMissing: false,
    };
  }
  const signature: SignatureCheck = examined.signed
    ? { status: "verified" }
    : {
        status: "failed",
        reason: sender
          ? "not signed by the sending device's key in the device directory"
          : "the device directory vouches for no signature key of the sending device",
      };
  if (!hks.length)
    return {
      signature,
      keyMissing: true,
      unavailable: `the history key of epoch ${e.epoch} (generation ${e.generation}) is not in the archive: no member's device sealed it`,
    };
  if (!examined.payload) return { signature, keyMissing: false, unavailable: "the archive copy does not open under the archived history key of its epoch" };
  const payload = decodePayload(examined.payload);
  examined.payload.fill(0);
  if (!payload) return { signature, keyMissing: false, unavailable: "the decrypted content is not a Parley message payload" };
  return { payload, signature, keyMissing: false };
}

/** The item of a content event, or undefined for an MLS control event (commit, proposal, reset, keys). */
export async function draftItem(e: ArchivedEvent, r: ChannelReader): Promise<DraftItem | undefined> {
  if (!CONTENT_KINDS.has(e.kind)) return undefined;
  const { payload, unavailable, signature, keyMissing } = await openCopy(e, r);
  const item: ExportItem = {
    channelId: r.channelId,
    seq: e.seq,
    id: e.id,
    // The sender's own (signed, encrypted) metadata wins over the server's clear copy of it.
    kind: payload?.kind ?? (e.kind as ExportItemKind),
    sender: r.person(e.senderId),
    senderDeviceId: e.senderDeviceId,
    sentAt: new Date(e.createdAt).toISOString(),
    threadRoot: payload ? payload.threadRoot : e.threadRoot,
    target: payload ? payload.target : e.target,
    text: null,
    deletedLater: false,
    legalHold: e.held,
    signature,
  };
  const attachments: ExportAttachment[] = [];
  let files: AttachmentRef[] = [];
  if (payload) {
    const c = payload.content;
    if (typeof c.text === "string" && (item.kind === "message" || item.kind === "edit")) item.text = c.text;
    if (typeof c.emoji === "string" && item.kind === "reaction") item.emoji = c.emoji;
    if (c.format === "markdown") item.format = "markdown";
    const found = attachmentRefs(c.files);
    files = found.refs;
    for (let i = 0; i < found.malformed; i++)
      attachments.push({
        name: "(unreadable file reference)",
        contentType: "application/octet-stream",
        unavailable: "the message's file reference is malformed",
      });
  } else {
    item.unavailable = unavailable;
    for (const id of e.files) attachments.push({ fileId: id, name: id, contentType: "application/octet-stream", unavailable: UNREADABLE_FILE });
  }
  if (attachments.length) item.attachments = attachments;
  const relabelled = !!payload && (payload.kind !== e.kind || payload.threadRoot !== e.threadRoot || payload.target !== e.target);
  return { item, files, createdAt: e.createdAt, keyMissing, relabelled };
}

/** Marks each item a later delete of the same channel targets (`deletedLater`). */
export function markDeleted(drafts: readonly DraftItem[]): void {
  const bySeq = new Map(drafts.map((d) => [d.item.seq, d.item]));
  for (const d of drafts) {
    if (d.item.kind !== "delete" || d.item.target === null) continue;
    const target = bySeq.get(d.item.target);
    if (target && target.seq < d.item.seq) target.deletedLater = true;
  }
}
