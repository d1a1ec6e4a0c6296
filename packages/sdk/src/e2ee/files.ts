/**
 * Encrypted attachments: the file is encrypted on this device with a fresh
 * key (streaming AES-256-GCM chunks, @parley/crypto), the ciphertext is
 * uploaded in resumable PATCHes, and the key, nonce base and digest travel
 * only inside the MLS message that references the file.
 */
import { attachmentCiphertextSize, createAttachmentDecryptor, createAttachmentEncryptor, type AttachmentDescriptor } from "@parley/crypto";
import { base64ToBytes, bytesToBase64 } from "../codec.ts";
import { isParleyError, ParleyError } from "../errors.ts";
import type { E2eeServerApi } from "./server-api.ts";
import type { SendInput } from "../client-options.ts";
import type { SendResult } from "../outbox.ts";

/** A file as referenced in message content (`content.files`); decrypt it with `client.downloadFile`. */
export interface FileDescriptor {
  fileId: string;
  name: string;
  mime: string;
  /** Plaintext size, bytes. */
  size: number;
  /** AES-256-GCM key, base64. */
  key: string;
  /** Nonce base, base64. */
  nonceBase: string;
  /** SHA-256 of the ciphertext, base64. */
  digest: string;
  /** Plaintext chunk size. */
  chunkSize: number;
}

async function readAll(stream: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  let n = 0;
  for await (const p of stream as unknown as AsyncIterable<Uint8Array>) {
    parts.push(p);
    n += p.length;
  }
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** A file to send: its name and type, its size when `data` is a stream, and the message's text and thread. */
export interface SendFileOptions {
  name: string;
  mime: string;
  size?: number;
  text?: string;
  threadRoot?: number | null;
}

/** Upload a file and announce it with a message (sent through `send`) whose content carries its descriptor. */
export async function sendFileMessage(
  server: E2eeServerApi,
  send: (channelId: string, input: SendInput) => Promise<SendResult>,
  channelId: string,
  data: Uint8Array | ReadableStream<Uint8Array>,
  opts: SendFileOptions,
): Promise<SendResult & { file: FileDescriptor }> {
  const file = await uploadFile(server, channelId, data, opts);
  const r = await send(channelId, {
    kind: "message",
    ...(opts.text !== undefined ? { text: opts.text } : {}),
    threadRoot: opts.threadRoot ?? null,
    files: [file],
  });
  return { ...r, file };
}

/**
 * Encrypt and upload `data` to a channel. A stream needs `size` (the
 * ciphertext size is declared up front); without it the stream is read into
 * memory first.
 */
async function uploadFile(
  server: E2eeServerApi,
  channelId: string,
  data: Uint8Array | ReadableStream<Uint8Array>,
  meta: { name: string; mime: string; size?: number },
): Promise<FileDescriptor> {
  let source: ReadableStream<Uint8Array>;
  let size: number;
  if (data instanceof Uint8Array) {
    size = data.length;
    source = new Blob([data as Uint8Array<ArrayBuffer>]).stream();
  } else if (meta.size !== undefined) {
    size = meta.size;
    source = data;
  } else {
    const bytes = await readAll(data);
    size = bytes.length;
    source = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream();
  }
  const enc = createAttachmentEncryptor();
  const upload = await server.createUpload(channelId, attachmentCiphertextSize(size));
  let offset = upload.uploaded;
  let pending: Uint8Array[] = [];
  let pendingLen = 0;
  const flush = async () => {
    if (pendingLen === 0) return;
    const body = new Uint8Array(pendingLen);
    let o = 0;
    for (const p of pending) {
      body.set(p, o);
      o += p.length;
    }
    pending = [];
    pendingLen = 0;
    offset = await appendWithResume(server, upload.fileId, offset, body);
  };
  for await (const ct of source.pipeThrough(enc.stream) as unknown as AsyncIterable<Uint8Array>) {
    pending.push(ct);
    pendingLen += ct.length;
    if (pendingLen >= upload.chunkSize) await flush();
  }
  await flush();
  const d = await enc.descriptor;
  if (d.size !== size) throw new ParleyError({ code: "bad_request", message: `the stream had ${d.size} bytes, ${size} were declared` });
  return {
    fileId: upload.fileId,
    name: meta.name,
    mime: meta.mime,
    size: d.size,
    chunkSize: d.chunkSize,
    key: bytesToBase64(d.key),
    nonceBase: bytesToBase64(d.nonceBase),
    digest: bytesToBase64(d.digest),
  };
}

// A PATCH that failed in flight may still have been stored: ask where the upload stands and continue from there.
async function appendWithResume(server: E2eeServerApi, fileId: string, offset: number, body: Uint8Array): Promise<number> {
  for (let attempt = 0; ; attempt++) {
    try {
      await server.appendUpload(fileId, offset, body);
      return offset + body.length;
    } catch (err) {
      if (attempt >= 4 || !isParleyError(err) || !(err.isRetryable() || err.code === ("upload_offset_mismatch" as string))) throw err;
      const status = await server.uploadStatus(fileId);
      if (status.uploaded >= offset + body.length) return offset + body.length;
      if (status.uploaded !== offset) {
        // Part of this body made it: send only the rest.
        const done = status.uploaded - offset;
        if (done < 0 || done > body.length) throw err;
        body = body.subarray(done);
        offset = status.uploaded;
      }
    }
  }
}

/** Download and decrypt a file: a stream that errors (E2eeError attachment_*) if the ciphertext was tampered with, truncated or does not match its digest. */
export async function downloadFile(server: E2eeServerApi, file: FileDescriptor): Promise<ReadableStream<Uint8Array>> {
  const descriptor: AttachmentDescriptor = {
    key: base64ToBytes(file.key),
    nonceBase: base64ToBytes(file.nonceBase),
    digest: base64ToBytes(file.digest),
    size: file.size,
    chunkSize: file.chunkSize,
  };
  return (await server.download(file.fileId)).pipeThrough(createAttachmentDecryptor(descriptor));
}

/** Read a whole stream into bytes. */
export { readAll as readStream };
