/**
 * Attaching uploads to messages, called by the messages module's group-commit
 * writer inside its transaction: a message may carry only complete uploads
 * its sender made in the same channel and that no other event carries yet.
 * Deleting a message deletes its files (rows now, blobs after the commit).
 */
import type { Tx } from "../../platform/db/index.ts";
import { AppError } from "../../core/errors.ts";
import { deleteFilesOfEvents, filesByIds, linkFiles } from "./store.ts";

/** What the check needs to know about one send. */
export interface AttachmentRequest {
  channelId: string;
  senderId: string;
  files: string[];
}

/**
 * Check the files of each send (keyed by the caller's index) in bulk; returns
 * the sends that must fail, with why. Files named twice in one batch go to the first.
 */
export async function checkAttachments(tx: Tx, reqs: Map<number, AttachmentRequest>): Promise<Map<number, AppError>> {
  const errors = new Map<number, AppError>();
  const ids = [...new Set([...reqs.values()].flatMap((r) => r.files))];
  if (!ids.length) return errors;
  const rows = new Map((await filesByIds(tx, ids)).map((f) => [f.id, f]));
  const claimed = new Set<string>();
  for (const [i, r] of reqs) {
    for (const id of r.files) {
      const f = rows.get(id);
      // Someone else's, another channel's, another org's, deleted or made up: all look the same.
      if (!f || f.deleted_at !== null || f.uploader_id !== r.senderId || f.channel_id !== r.channelId) {
        errors.set(i, new AppError("bad_request", `file ${id} is not an upload of yours in this channel`, { fileId: id }));
        break;
      }
      if (f.completed_at === null) {
        errors.set(
          i,
          new AppError("bad_request", `file ${id} is incomplete (${Number(f.uploaded)} of ${Number(f.size)} bytes uploaded): finish the upload first`, {
            fileId: id,
          }),
        );
        break;
      }
      if (f.event_seq !== null || claimed.has(id)) {
        errors.set(i, new AppError("bad_request", `file ${id} is already attached to another message`, { fileId: id }));
        break;
      }
    }
    if (!errors.has(i)) for (const id of r.files) claimed.add(id);
  }
  return errors;
}

/** Link checked files to the event at `seq`. Throws if another transaction attached one meanwhile (the batch then retries send by send). */
export async function attachFiles(tx: Tx, channelId: string, files: string[], seq: number): Promise<void> {
  if (!files.length) return;
  const linked = await linkFiles(tx, channelId, files, seq);
  if (linked !== files.length) throw new AppError("bad_request", "a file is already attached to another message");
}

/** Delete the files of deleted messages; returns the blob ids to remove once the transaction commits. */
export function detachDeleted(tx: Tx, channelId: string, targetSeqs: number[], now: number): Promise<string[]> {
  return deleteFilesOfEvents(tx, channelId, targetSeqs, now);
}
