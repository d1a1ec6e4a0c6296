/**
 * Attachment upload/download commands. The server stores ciphertext it
 * cannot read; it checks who may touch which bytes: only members of the
 * file's channel (in the caller's org) see a file at all (others get 404,
 * as if it did not exist), only the uploader appends, and nothing is
 * uploaded into an archived channel.
 */
import type { Readable } from "node:stream";
import type { FileStatus } from "@parley/protocol";
import type { Deps, DeviceActor } from "../../context.ts";
import { AppError, notFound } from "../../core/errors.ts";
import { authorize } from "../access/authorize.ts";
import { channelFor, loadChannel } from "../channels/access.ts";
import { newId } from "../../platform/ids.ts";
import { BlobBusyError, BlobTooLargeError, type ByteRange } from "../../platform/blobs/index.ts";
import { advanceUpload, findFile, insertFile, toFileStatus, type FileRow } from "./store.ts";
import { parseRange } from "./range.ts";

/** Chunk size clients are told to use: big enough for throughput, small enough to lose little on a dropped connection. */
const CHUNK_SIZE = 4 * 1048576;

/** Start an upload of `size` bytes of ciphertext to a channel the caller may post in. */
export async function createUpload(deps: Deps, p: DeviceActor, channelId: string, size: number): Promise<FileStatus & { chunkSize: number }> {
  const ch = await channelFor(deps.db, p, channelId, "channel.post");
  if (size > deps.config.fileLimit) {
    throw new AppError("payload_too_large", `the file is ${size} bytes; the limit is ${deps.config.fileLimit}`, { limit: deps.config.fileLimit });
  }
  const row: FileRow = {
    id: newId("fil"),
    org_id: p.orgId,
    channel_id: ch.row.id,
    uploader_id: p.userId,
    size,
    uploaded: 0,
    created_at: deps.now(),
    completed_at: null,
    event_seq: null,
    deleted_at: null,
  };
  // Blob first: a crash in between leaves an orphan blob, never a row without bytes.
  await deps.blobs.create(row.id);
  await insertFile(deps.db, row);
  return { ...toFileStatus(row), chunkSize: CHUNK_SIZE };
}

/** Load a file the caller may see: a member of its channel who may read it, in the caller's org; else 404 (403 from a policy). */
async function visibleFile(
  deps: Deps,
  p: DeviceActor,
  fileId: string,
): Promise<{ file: FileRow; archived: boolean; resource: Parameters<typeof authorize>[2] }> {
  const file = await findFile(deps.db, p.orgId, fileId);
  if (!file) throw notFound("file");
  const ch = await loadChannel(deps.db, p, file.channel_id).catch(() => {
    throw notFound("file");
  });
  if (!ch.membership) throw notFound("file");
  const resource = { type: "channel" as const, channel: ch.resource };
  // Reading the channel (an org policy may forbid it to a member) covers its files' bytes and status.
  authorize(p, "channel.read", resource);
  return { file, archived: ch.resource.archived, resource };
}

export async function uploadStatus(deps: Deps, p: DeviceActor, fileId: string): Promise<FileStatus> {
  return toFileStatus((await visibleFile(deps, p, fileId)).file);
}

const mismatch = (f: FileRow, message: string) => new AppError("upload_offset_mismatch", message, { offset: Number(f.uploaded), size: Number(f.size) });

/**
 * Append one chunk at `offsetHeader`. Resolves once the bytes are durable and
 * recorded; a failed or rejected chunk leaves the upload where it was.
 */
export async function appendChunk(
  deps: Deps,
  p: DeviceActor,
  fileId: string,
  body: Readable | undefined,
  headers: { offset: string | undefined; length: string | undefined },
): Promise<FileStatus> {
  const { file, resource } = await visibleFile(deps, p, fileId);
  authorize(p, "channel.post", resource);
  if (file.uploader_id !== p.userId) throw new AppError("forbidden", "only the uploader may upload to this file");
  if (!body) throw new AppError("validation_failed", "send the chunk as the body with Content-Type: application/octet-stream");
  if (headers.offset === undefined || !/^\d{1,16}$/.test(headers.offset)) {
    throw new AppError("validation_failed", "the Upload-Offset header (bytes already uploaded) is required", { offset: Number(file.uploaded) });
  }
  const offset = Number(headers.offset);
  const uploaded = Number(file.uploaded);
  if (offset !== uploaded) throw mismatch(file, `the upload is at byte ${uploaded}, not ${offset}: resume from there`);
  const remaining = Number(file.size) - uploaded;
  const tooLarge = () =>
    new AppError("payload_too_large", `the upload has ${remaining} bytes left of its declared ${Number(file.size)}`, {
      offset: uploaded,
      size: Number(file.size),
    });
  if (headers.length !== undefined && Number(headers.length) > remaining) throw tooLarge();
  let to: number;
  try {
    to = await deps.blobs.append(file.id, offset, body, remaining);
  } catch (err) {
    if (err instanceof BlobTooLargeError) throw tooLarge();
    if (err instanceof BlobBusyError) throw mismatch(file, "another chunk of this upload is being written: check the status and resume");
    throw err;
  }
  const complete = to === Number(file.size);
  if (!(await advanceUpload(deps.db, file.id, uploaded, to, complete ? deps.now() : null))) {
    const now = await findFile(deps.db, p.orgId, file.id);
    if (!now) throw notFound("file");
    throw mismatch(now, "another chunk of this upload was recorded first: resume from details.offset");
  }
  return toFileStatus({ ...file, uploaded: to, completed_at: complete ? deps.now() : null });
}

/** What a download sends: the byte stream and its place in the file. */
export interface Download {
  stream: Readable;
  size: number;
  range: ByteRange | undefined;
}

/** Open a complete file for reading, whole or one Range. */
export async function openDownload(deps: Deps, p: DeviceActor, fileId: string, rangeHeader: string | undefined): Promise<Download> {
  const { file } = await visibleFile(deps, p, fileId);
  if (file.completed_at === null) throw new AppError("bad_request", "the upload is not complete yet");
  const size = Number(file.size);
  const range = parseRange(rangeHeader, size);
  let stream: Readable;
  try {
    stream = await deps.blobs.read(file.id, range);
  } catch (err) {
    // Deleted between the lookup and the read (a message delete or the GC).
    if ((err as NodeJS.ErrnoException).code === "ENOENT") throw notFound("file");
    throw err;
  }
  return { stream, size, range };
}
