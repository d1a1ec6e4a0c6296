// Attachment encryption: a fresh AES-256-GCM key per file, 64 KiB chunks, streaming over
// Web Streams (Node 24 and browsers). Per-chunk nonce = nonce base XOR chunk index; the
// AAD binds the chunk index and a "final" flag, so reordering, dropping or truncating
// chunks fails authentication. The SHA-256 of the whole ciphertext travels in the
// descriptor (inside the MLS message) so a download can be checked end to end.
import { sha256 } from "@noble/hashes/sha2.js";
import { concat, equalBytes, utf8 } from "./bytes.ts";
import { E2eeError } from "./errors.ts";

/** Default plaintext chunk size (64 KiB). */
export const ATTACHMENT_CHUNK_SIZE = 64 * 1024;
const TAG = 16;
const LABEL = utf8("parley-attachment/1");

/** Everything a recipient needs to decrypt and check an attachment; sent inside the MLS message. */
export interface AttachmentDescriptor {
  /** AES-256-GCM key (32 bytes), fresh per file. */
  key: Uint8Array;
  /** 12-byte nonce base. */
  nonceBase: Uint8Array;
  /** SHA-256 of the complete ciphertext. */
  digest: Uint8Array;
  /** Plaintext size in bytes. */
  size: number;
  /** Plaintext chunk size in bytes. */
  chunkSize: number;
}

/** Ciphertext size for a plaintext of `size` bytes (every chunk gains a 16-byte tag; an empty file is one empty final chunk). */
export function attachmentCiphertextSize(size: number, chunkSize = ATTACHMENT_CHUNK_SIZE): number {
  const chunks = Math.max(1, Math.ceil(size / chunkSize));
  return size + chunks * TAG;
}

function nonceFor(base: Uint8Array, index: number): Uint8Array<ArrayBuffer> {
  const n = new Uint8Array(12);
  n.set(base);
  // XOR the 32-bit big-endian index into the last four bytes (2^32 chunks = 256 TiB).
  n[8]! ^= (index >>> 24) & 0xff;
  n[9]! ^= (index >>> 16) & 0xff;
  n[10]! ^= (index >>> 8) & 0xff;
  n[11]! ^= index & 0xff;
  return n;
}

function aadFor(index: number, final: boolean): Uint8Array<ArrayBuffer> {
  const x = new Uint8Array(5);
  new DataView(x.buffer).setUint32(0, index);
  x[4] = final ? 1 : 0;
  return concat(LABEL, x) as Uint8Array<ArrayBuffer>;
}

function importKey(key: Uint8Array, usage: "encrypt" | "decrypt"): Promise<CryptoKey> {
  if (key.length !== 32) throw new E2eeError("bad_input", "attachment key must be 32 bytes");
  return crypto.subtle.importKey("raw", key.slice(), "AES-GCM", false, [usage]);
}

/** Joins queued pieces and splits off exactly `n` bytes. */
class ByteQueue {
  parts: Uint8Array[] = [];
  length = 0;
  push(b: Uint8Array): void {
    if (b.length) {
      this.parts.push(b);
      this.length += b.length;
    }
  }
  take(n: number): Uint8Array {
    const out = new Uint8Array(n);
    let o = 0;
    while (o < n) {
      const p = this.parts[0]!;
      const k = Math.min(p.length, n - o);
      out.set(p.subarray(0, k), o);
      o += k;
      if (k === p.length) this.parts.shift();
      else this.parts[0] = p.subarray(k);
    }
    this.length -= n;
    return out;
  }
}

/**
 * Streaming encryptor: pipe plaintext through `stream`; `descriptor` resolves once the
 * stream is flushed (its digest covers all ciphertext written).
 */
export function createAttachmentEncryptor(options: { chunkSize?: number } = {}): {
  stream: TransformStream<Uint8Array, Uint8Array>;
  descriptor: Promise<AttachmentDescriptor>;
} {
  const chunkSize = options.chunkSize ?? ATTACHMENT_CHUNK_SIZE;
  if (!Number.isInteger(chunkSize) || chunkSize < 16 || chunkSize > 16 * 1024 * 1024) throw new E2eeError("bad_input", "bad chunk size");
  const key = crypto.getRandomValues(new Uint8Array(32));
  const nonceBase = crypto.getRandomValues(new Uint8Array(12));
  const hash = sha256.create();
  const queue = new ByteQueue();
  let index = 0;
  let size = 0;
  let cryptoKey: Promise<CryptoKey> | undefined;
  let resolve!: (d: AttachmentDescriptor) => void;
  let reject!: (e: unknown) => void;
  const descriptor = new Promise<AttachmentDescriptor>((res, rej) => ((resolve = res), (reject = rej)));
  descriptor.catch(() => {}); // callers that only read the stream must not see an unhandled rejection

  const seal = async (plain: Uint8Array, final: boolean, out: TransformStreamDefaultController<Uint8Array>) => {
    cryptoKey ??= importKey(key, "encrypt");
    const ct = new Uint8Array(
      await crypto.subtle.encrypt(
        { name: "AES-GCM", iv: nonceFor(nonceBase, index), additionalData: aadFor(index, final) },
        await cryptoKey,
        plain as Uint8Array<ArrayBuffer>,
      ),
    );
    index++;
    hash.update(ct);
    out.enqueue(ct);
  };
  const stream = new TransformStream<Uint8Array, Uint8Array>({
    async transform(chunk, out) {
      size += chunk.length;
      queue.push(chunk.slice());
      // Keep at least one byte back: the last chunk must be sealed with final = 1.
      while (queue.length > chunkSize) await seal(queue.take(chunkSize), false, out);
    },
    async flush(out) {
      try {
        await seal(queue.take(queue.length), true, out);
        resolve({ key, nonceBase, digest: hash.digest(), size, chunkSize });
      } catch (err) {
        reject(err);
        throw err;
      }
    },
  });
  return { stream, descriptor };
}

/**
 * Streaming decryptor. Output chunks are authenticated one by one, but truncation and
 * the digest are only known at the end: discard everything written if the stream errors.
 * Errors: E2eeError `attachment_tampered`, `attachment_truncated`, `attachment_digest_mismatch`.
 */
export function createAttachmentDecryptor(descriptor: AttachmentDescriptor): TransformStream<Uint8Array, Uint8Array> {
  const { nonceBase, chunkSize } = descriptor;
  const sealedSize = chunkSize + TAG;
  const hash = sha256.create();
  const queue = new ByteQueue();
  const cryptoKey = importKey(descriptor.key, "decrypt");
  cryptoKey.catch(() => {});
  let index = 0;
  let size = 0;
  const open = async (ct: Uint8Array, final: boolean): Promise<Uint8Array | undefined> => {
    try {
      return new Uint8Array(
        await crypto.subtle.decrypt(
          { name: "AES-GCM", iv: nonceFor(nonceBase, index), additionalData: aadFor(index, final) },
          await cryptoKey,
          ct as Uint8Array<ArrayBuffer>,
        ),
      );
    } catch {
      return undefined;
    }
  };
  return new TransformStream<Uint8Array, Uint8Array>({
    async transform(chunk, out) {
      hash.update(chunk);
      queue.push(chunk.slice());
      while (queue.length > sealedSize) {
        const plain = await open(queue.take(sealedSize), false);
        if (!plain) throw new E2eeError("attachment_tampered", `attachment chunk ${index} failed authentication`);
        index++;
        size += plain.length;
        out.enqueue(plain);
      }
    },
    async flush(out) {
      if (!equalBytes(hash.digest(), descriptor.digest)) throw new E2eeError("attachment_digest_mismatch", "attachment ciphertext does not match its digest");
      const last = queue.take(queue.length);
      if (last.length < TAG) throw new E2eeError("attachment_truncated", "attachment ciphertext ends before its final chunk");
      const plain = await open(last, true);
      if (!plain) {
        // A chunk that opens as non-final means the real final chunk(s) were cut off.
        const asMiddle = await open(last, false);
        throw asMiddle
          ? new E2eeError("attachment_truncated", "attachment ciphertext ends before its final chunk")
          : new E2eeError("attachment_tampered", `attachment chunk ${index} failed authentication`);
      }
      size += plain.length;
      if (size !== descriptor.size) throw new E2eeError("attachment_tampered", "attachment size differs from its descriptor");
      out.enqueue(plain);
    },
  });
}

async function collect(stream: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  const reader = stream.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return concat(...parts);
    parts.push(value);
  }
}

/** Encrypts a whole in-memory file (convenience over {@link createAttachmentEncryptor}). */
export async function encryptAttachment(
  plaintext: Uint8Array,
  options: { chunkSize?: number } = {},
): Promise<{ ciphertext: Uint8Array; descriptor: AttachmentDescriptor }> {
  const { stream, descriptor } = createAttachmentEncryptor(options);
  const ciphertext = await collect(new Blob([plaintext as Uint8Array<ArrayBuffer>]).stream().pipeThrough(stream));
  return { ciphertext, descriptor: await descriptor };
}

/** Decrypts and checks a whole in-memory ciphertext (convenience over {@link createAttachmentDecryptor}). */
export async function decryptAttachment(ciphertext: Uint8Array, descriptor: AttachmentDescriptor): Promise<Uint8Array> {
  return collect(new Blob([ciphertext as Uint8Array<ArrayBuffer>]).stream().pipeThrough(createAttachmentDecryptor(descriptor)));
}
