/**
 * Encrypted file routes (issue 3): resumable upload and download of
 * attachment ciphertext. Clients encrypt before uploading (key, nonce base
 * and digest travel inside the MLS message that references the file), so the
 * server stores and serves opaque bytes only.
 *
 * Upload: `createFile` declares the ciphertext size, then `uploadFileChunk`
 * appends chunks in order with `Upload-Offset: <bytes already stored>`. A
 * chunk is acknowledged only once it is durable; after a dropped connection,
 * `getFileStatus` (or the `upload_offset_mismatch` error's `details.offset`)
 * says where to resume. A complete upload is attached by naming it in
 * SendEvent.files; uploads never attached are deleted after 24 hours.
 */
import { z } from "zod";
import { route } from "./route.ts";
import { Id, Timestamp } from "./models.ts";

const FileParams = z.object({ fileId: Id });

/** Progress of an upload (and, once attached, of the file). */
export const FileStatus = z.object({
  fileId: Id,
  channelId: Id,
  /** Declared ciphertext size, bytes. */
  size: z.number().int().nonnegative(),
  /** Bytes stored so far: the next chunk's Upload-Offset. */
  uploaded: z.number().int().nonnegative(),
  complete: z.boolean(),
  /** Seq of the message that carries the file, once attached. */
  eventSeq: z.number().int().nullable(),
  createdAt: Timestamp,
});
/** Progress of an upload. */
export type FileStatus = z.infer<typeof FileStatus>;

/** Encrypted file routes. */
export const fileRoutes = {
  createFile: route({
    method: "POST",
    path: "/channels/:channelId/files",
    tag: "files",
    auth: "user",
    status: 201,
    summary: "Start an upload of attachment ciphertext of `size` bytes (at most the server's file limit) to a channel you are a member of",
    params: z.object({ channelId: Id }),
    body: z.object({
      size: z
        .number()
        .int()
        .min(1)
        .max(2 ** 50),
    }),
    response: FileStatus.extend({ chunkSize: z.number().int().positive() }),
    errors: ["payload_too_large", "channel_archived"],
  }),
  uploadFileChunk: route({
    method: "PATCH",
    path: "/files/:fileId",
    tag: "files",
    auth: "user",
    summary: "Append the request body (application/octet-stream) at `Upload-Offset` (header, = bytes already uploaded); resumable",
    params: FileParams,
    raw: { request: "octet-stream" },
    response: FileStatus,
    errors: ["upload_offset_mismatch", "payload_too_large", "channel_archived"],
  }),
  getFileStatus: route({
    method: "GET",
    path: "/files/:fileId/status",
    tag: "files",
    auth: "user",
    summary: "How much of an upload is stored (where to resume)",
    params: FileParams,
    response: FileStatus,
  }),
  downloadFile: route({
    method: "GET",
    path: "/files/:fileId",
    tag: "files",
    auth: "user",
    status: 200,
    summary: "Download the ciphertext (application/octet-stream) of a complete file; a single `Range: bytes=a-b` gets 206",
    params: FileParams,
    raw: { response: "octet-stream" },
    response: null,
    errors: ["range_not_satisfiable"],
  }),
} as const;
