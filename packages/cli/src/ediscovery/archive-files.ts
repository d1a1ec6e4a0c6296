/**
 * Attachments for the export: the ciphertext fetched through the officers' route (which also
 * serves files a legal hold kept after their deletion), decrypted with the key the message
 * carried and checked against its digest and size, into a scratch file outside the bundle. Only
 * a file that decrypted whole goes into the bundle; any failure becomes the attachment's
 * `unavailable` reason instead of stopping the export.
 */
import { createReadStream } from "node:fs";
import fsp from "node:fs/promises";
import path from "node:path";
import { createAttachmentDecryptor, isE2eeError } from "@parley/crypto";
import { isParleyError, type Api } from "@parley/sdk/node";
import type { ExportAttachment } from "./items.ts";

/** A file as the message's content describes it (the SDK's FileDescriptor), checked. */
export interface AttachmentRef {
  fileId: string;
  name: string;
  mime: string;
  size: number;
  key: string;
  nonceBase: string;
  digest: string;
  chunkSize: number;
}

const DOWNLOAD_TIMEOUT_MS = 30 * 60_000;

/** The descriptors of `content.files` that are well formed; the others are reported as unavailable by name. */
export function attachmentRefs(files: unknown): { refs: AttachmentRef[]; malformed: number } {
  if (!Array.isArray(files)) return { refs: [], malformed: 0 };
  const refs: AttachmentRef[] = [];
  let malformed = 0;
  for (const f of files as Partial<AttachmentRef>[]) {
    const ok =
      f !== null &&
      typeof f === "object" &&
      typeof f.fileId === "string" &&
      typeof f.key === "string" &&
      typeof f.nonceBase === "string" &&
      typeof f.digest === "string" &&
      Number.isSafeInteger(f.size) &&
      Number.isSafeInteger(f.chunkSize) &&
      f.chunkSize! > 0;
    if (ok)
      refs.push({
        ...(f as AttachmentRef),
        name: typeof f.name === "string" ? f.name : f.fileId!,
        mime: typeof f.mime === "string" ? f.mime : "application/octet-stream",
      });
    else malformed++;
  }
  return { refs, malformed };
}

const b64 = (s: string) => new Uint8Array(Buffer.from(s, "base64"));

/**
 * Downloads and decrypts one attachment into `scratchDir`; returns it with its bytes as a
 * stream of that file, or with the reason it is unavailable. Transport failures other than a
 * missing file are thrown (the export stops rather than leave out a file the server still has).
 */
export async function fetchAttachment(api: Api, ref: AttachmentRef, scratchDir: string, n: number): Promise<ExportAttachment & { scratch?: string }> {
  const base = { fileId: ref.fileId, name: ref.name, contentType: ref.mime };
  let res: Response;
  try {
    res = await api.raw("GET", `/compliance/archive/files/${encodeURIComponent(ref.fileId)}`, { timeoutMs: DOWNLOAD_TIMEOUT_MS });
  } catch (err) {
    if (isParleyError(err, "not_found"))
      return { ...base, unavailable: "the server no longer has the file (removed by retention, or deleted without a legal hold)" };
    throw err;
  }
  if (!res.body) return { ...base, unavailable: "the server sent no bytes" };
  const scratch = path.join(scratchDir, `attachment-${n}`);
  const fh = await fsp.open(scratch, "wx", 0o600);
  try {
    const descriptor = { key: b64(ref.key), nonceBase: b64(ref.nonceBase), digest: b64(ref.digest), size: ref.size, chunkSize: ref.chunkSize };
    for await (const chunk of res.body.pipeThrough(createAttachmentDecryptor(descriptor)) as unknown as AsyncIterable<Uint8Array>) await fh.write(chunk);
  } catch (err) {
    await fh.close();
    await fsp.rm(scratch, { force: true });
    await res.body.cancel().catch(() => undefined);
    if (isE2eeError(err)) return { ...base, unavailable: `the file does not decrypt to what the message describes (${(err as Error).message})` };
    throw err;
  }
  await fh.close();
  return { ...base, data: createReadStream(scratch) as AsyncIterable<Uint8Array>, scratch };
}
