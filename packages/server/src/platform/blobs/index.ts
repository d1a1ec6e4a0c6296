/** Picks the blob store from the config: an S3-compatible bucket (PARLEY_BLOB_URL), or the filesystem under PARLEY_BLOB_DIR or <dataDir>/blobs. */
import path from "node:path";
import type { BlobStore } from "./blob-store.ts";
import { fsBlobStore } from "./fs-store.ts";
import { parseBlobUrl, s3BlobStore } from "./s3-store.ts";

export type { BlobStore, ByteRange } from "./blob-store.ts";
export { BlobBusyError, BlobTooLargeError } from "./blob-store.ts";

/** Where filesystem blobs live for this config (tests scan it for plaintext canaries). */
export function blobDirOf(config: { dataDir: string; blobDir?: string | undefined }): string {
  return path.resolve(config.blobDir ?? path.join(config.dataDir, "blobs"));
}

export function openBlobStore(config: { dataDir: string; blobDir?: string | undefined; blobUrl?: string | undefined }): BlobStore {
  return config.blobUrl ? s3BlobStore(parseBlobUrl(config.blobUrl)) : fsBlobStore(blobDirOf(config));
}
