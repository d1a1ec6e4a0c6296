/**
 * Attachment storage seam (ARCHITECTURE §3 platform/blobs). Blobs are opaque
 * ciphertext named by server-generated ids; callers never pass user paths.
 * The filesystem implementation (fs-store.ts) is the default; s3-store.ts
 * keeps blobs in an S3-compatible bucket (segment objects, ranged GETs).
 */
import type { Readable } from "node:stream";

/** An inclusive byte range, as in an HTTP `Range: bytes=start-end` header. */
export interface ByteRange {
  start: number;
  end: number;
}

/** Thrown by append when `offset` is not the blob's current length. */
export class BlobOffsetError extends Error {
  readonly current: number;
  constructor(current: number) {
    super(`blob is ${current} bytes long`);
    this.current = current;
  }
}

/** Thrown by append when the stream carries more than `maxBytes`; nothing of it is kept. */
export class BlobTooLargeError extends Error {}

/** Thrown by append when another append to the same blob is still running on this node. */
export class BlobBusyError extends Error {}

export interface BlobStore {
  /** Create an empty blob. Idempotent. */
  create(id: string): Promise<void>;
  /**
   * Append `data` at `offset` (which must equal the acknowledged length, else
   * BlobOffsetError). Bytes past `offset` left by an append that crashed
   * before being acknowledged are discarded first. Accepts at most `maxBytes`
   * (else BlobTooLargeError, and the blob is cut back to `offset`). Resolves
   * with the new length only once the bytes are durable (fsync).
   */
  append(id: string, offset: number, data: Readable, maxBytes: number): Promise<number>;
  /** Current length in bytes; undefined when the blob does not exist. */
  size(id: string): Promise<number | undefined>;
  /** Stream the blob, or one inclusive byte range of it. */
  read(id: string, range?: ByteRange): Promise<Readable>;
  /** Remove a blob; missing blobs are ignored. */
  delete(id: string): Promise<void>;
  /** Ids of every stored blob (operators' consistency checks, tests). */
  list(): Promise<string[]>;
  /** Release connections (the S3 client); the filesystem store has none. */
  close?(): void;
}

/** Blob ids are server-generated (`fil_...`): anything else is refused before touching storage. */
export function assertBlobId(id: string): void {
  if (!/^[A-Za-z0-9_-]{1,80}$/.test(id)) throw new Error(`invalid blob id ${JSON.stringify(id)}`);
}
