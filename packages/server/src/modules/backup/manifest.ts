/** The backup's manifest: what it holds, with hashes, and the summary the verify step compares. */
import type { Dialect } from "../../platform/db/index.ts";
import type { BackupSummary } from "./summary.ts";

export const MANIFEST_FORMAT = "parley-backup";
export const MANIFEST_VERSION = 1;

/** The first record: enough to refuse an incompatible backup before extracting anything. */
export interface BackupMeta {
  format: typeof MANIFEST_FORMAT;
  version: number;
  createdAt: string;
  dialect: Dialect;
  /** The wire API version (@parley/protocol API_VERSION) of the parley that made it. */
  apiVersion: number;
  /** Migrations applied to the backed-up database; the last one is its schema version. */
  migrations: string[];
  /** Which KMS sealed the server secrets inside the database; its key is NOT in the backup. */
  kms: string;
}

export interface BackupItem {
  name: string;
  kind: "database" | "blob";
  size: number;
  sha256: string;
}

export interface BackupManifest extends BackupMeta {
  items: BackupItem[];
  /** Attachment rows whose blob was deleted while the backup ran (their message was deleted meanwhile). */
  missingBlobs: string[];
  summary: BackupSummary;
}

/** Item names: the database dump and blobs by their server-generated id; nothing else is extracted. */
export const DB_ITEM: Record<Dialect, string> = { sqlite: "database/parley.sqlite", postgres: "database/parley.pgdump" };
export const BLOB_PREFIX = "blobs/";
const BLOB_NAME = /^blobs\/[A-Za-z0-9_-]{1,80}$/;

export function itemKind(name: string, dialect: Dialect): BackupItem["kind"] | undefined {
  if (name === DB_ITEM[dialect]) return "database";
  if (BLOB_NAME.test(name)) return "blob";
  return undefined;
}
