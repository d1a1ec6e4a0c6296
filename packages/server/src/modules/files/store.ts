/** Queries for attachment uploads (the `files` table; bytes live in platform/blobs). */
import type { FileStatus } from "@parley/protocol";
import type { Db, Tx } from "../../platform/db/index.ts";
import type { FilesTable } from "../../platform/db/tables.ts";

export type Q = Db | Tx;
export type FileRow = FilesTable;

export function toFileStatus(r: FileRow): FileStatus {
  return {
    fileId: r.id,
    channelId: r.channel_id,
    size: Number(r.size),
    uploaded: Number(r.uploaded),
    complete: r.completed_at !== null,
    eventSeq: r.event_seq === null ? null : Number(r.event_seq),
    createdAt: Number(r.created_at),
  };
}

export async function insertFile(q: Q, row: FileRow): Promise<void> {
  await q.insertInto("files").values(row).execute();
}

/** A live (not deleted) file of `orgId`; another org's id is simply not found. */
export async function findFile(q: Q, orgId: string, id: string): Promise<FileRow | undefined> {
  return q.selectFrom("files").selectAll().where("id", "=", id).where("org_id", "=", orgId).where("deleted_at", "is", null).executeTakeFirst();
}

/**
 * Record an acknowledged append. The `uploaded = from` guard makes two racing
 * appends (e.g. on two nodes) settle as one winner; false means we lost.
 */
export async function advanceUpload(q: Q, id: string, from: number, to: number, completedAt: number | null): Promise<boolean> {
  const r = await q
    .updateTable("files")
    .set({ uploaded: to, completed_at: completedAt })
    .where("id", "=", id)
    .where("uploaded", "=", from)
    .where("deleted_at", "is", null)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

export async function filesByIds(q: Q, ids: string[]): Promise<FileRow[]> {
  if (!ids.length) return [];
  return q.selectFrom("files").selectAll().where("id", "in", ids).execute();
}

/** Attach files to the event at `seq`; returns how many were still unattached (and so got linked). */
export async function linkFiles(q: Q, channelId: string, ids: string[], seq: number): Promise<number> {
  const r = await q
    .updateTable("files")
    .set({ event_seq: seq })
    .where("id", "in", ids)
    .where("channel_id", "=", channelId)
    .where("event_seq", "is", null)
    .where("deleted_at", "is", null)
    .executeTakeFirst();
  return Number(r.numUpdatedRows);
}

/** Mark the files of the events at `seqs` deleted; returns their ids (whose blobs go after commit). */
export async function deleteFilesOfEvents(q: Q, channelId: string, seqs: number[], now: number): Promise<string[]> {
  if (!seqs.length) return [];
  const rows = await q
    .selectFrom("files")
    .select("id")
    .where("channel_id", "=", channelId)
    .where("event_seq", "in", seqs)
    .where("deleted_at", "is", null)
    .execute();
  if (!rows.length) return [];
  const ids = rows.map((r) => r.id);
  await q.updateTable("files").set({ deleted_at: now }).where("id", "in", ids).execute();
  return ids;
}

/** Unattached, undeleted uploads created before `before`, oldest first. */
export async function staleUploads(q: Q, before: number, limit: number): Promise<string[]> {
  const rows = await q
    .selectFrom("files")
    .select("id")
    .where("event_seq", "is", null)
    .where("deleted_at", "is", null)
    .where("created_at", "<", before)
    .orderBy("created_at", "asc")
    .limit(limit)
    .execute();
  return rows.map((r) => r.id);
}

/** Mark uploads deleted if they are still unattached; returns those that were. */
export async function deleteUnlinked(q: Q, ids: string[], now: number): Promise<Array<Pick<FileRow, "id" | "org_id" | "channel_id" | "uploader_id">>> {
  if (!ids.length) return [];
  return q
    .updateTable("files")
    .set({ deleted_at: now })
    .where("id", "in", ids)
    .where("event_seq", "is", null)
    .where("deleted_at", "is", null)
    .returning(["id", "org_id", "channel_id", "uploader_id"])
    .execute();
}
