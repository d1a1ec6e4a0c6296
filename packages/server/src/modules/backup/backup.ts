/**
 * `parley backup`: one encrypted file (container.ts) holding a consistent copy of the
 * database, the attachment blobs its rows name, and a manifest (manifest.ts) — made while
 * the server keeps running. Database and summary come from one snapshot (SQLite: the
 * online backup API's copy; PostgreSQL: a REPEATABLE READ transaction whose snapshot
 * pg_dump imports), and each blob is copied up to the length that snapshot acknowledged,
 * so bytes appended later never make the copy disagree with its rows. The KMS key that
 * unseals the server secrets inside the database is never part of the backup.
 */
import crypto from "node:crypto";
import fs from "node:fs";
import fsp from "node:fs/promises";
import path from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { sql, type Kysely } from "kysely";
import { API_VERSION } from "@parley/protocol";
import type { Config } from "../../config/schema.ts";
import { openBlobStore, type BlobStore } from "../../platform/blobs/index.ts";
import { openStorage, sqliteFileOf, type Dialect } from "../../platform/db/index.ts";
import type { Database } from "../../platform/db/tables.ts";
import { BackupError, sealingStream, type KdfParams } from "./container.ts";
import { appliedMigrations, openSqliteFile, pgDump, schemaDiff, sqliteSnapshot } from "./database.ts";
import { BLOB_PREFIX, DB_ITEM, MANIFEST_FORMAT, MANIFEST_VERSION, type BackupItem, type BackupManifest, type BackupMeta } from "./manifest.ts";
import { RECORD, recordHead } from "./records.ts";
import { summarize, type BackupSummary } from "./summary.ts";

/** Progress of a long step: items (pages for the SQLite copy) and bytes. */
export interface BackupProgress {
  step: "database" | "blobs" | "decrypting" | "restoring blobs" | "verifying blobs";
  done: number;
  total: number;
  bytes: number;
  totalBytes: number;
}

export interface BackupOptions {
  out: string;
  passphrase: string;
  /** scrypt cost (tests lower it); the default is for real backups. */
  kdf?: KdfParams;
  onProgress?: (p: BackupProgress) => void;
  /** Stops the backup (pg_dump by PID, the file never written). */
  signal?: AbortSignal;
}

export interface BackupResult {
  file: string;
  size: number;
  dialect: Dialect;
  schema: string;
  tables: number;
  rows: number;
  events: number;
  blobs: number;
  blobBytes: number;
  missingBlobs: string[];
  auditOk: boolean;
}

interface BlobRef {
  id: string;
  size: number;
}

interface Snapshot {
  dbFile: string;
  migrations: string[];
  summary: BackupSummary;
  blobs: BlobRef[];
}

/** Refuse a database this build cannot vouch for: its summary code reads the current schema. */
function checkSchema(applied: string[], dialect: Dialect): void {
  const { pending, unknown } = schemaDiff(applied, dialect);
  if (unknown.length)
    throw new BackupError(
      "backup_source",
      `the database has migrations this parley does not know (${unknown.join(", ")}): run the backup with the parley the server runs`,
    );
  if (pending.length)
    throw new BackupError("backup_source", `the database lacks migrations (${pending.join(", ")}): start the server or run \`parley admin migrate\` first`);
}

async function snapshotRows(db: Kysely<Database>, dialect: Dialect): Promise<Omit<Snapshot, "dbFile">> {
  const migrations = await appliedMigrations(db);
  checkSchema(migrations, dialect);
  const summary = await summarize(db, dialect);
  // Deleted files' blobs are gone (or about to be), except those a legal hold keeps (held_files);
  // the rest are copied up to their acknowledged length.
  const rows = await db
    .selectFrom("files as f")
    .leftJoin("held_files as h", "h.file_id", "f.id")
    .select(["f.id", "f.uploaded"])
    .where((eb) => eb.or([eb("f.deleted_at", "is", null), eb("h.file_id", "is not", null)]))
    .orderBy("f.id")
    .execute();
  return { migrations, summary, blobs: rows.map((r) => ({ id: r.id, size: Number(r.uploaded) })) };
}

async function sqliteSide(config: Config, work: string, report: (done: number, total: number) => void): Promise<Snapshot> {
  const file = sqliteFileOf({ url: config.databaseUrl, dataDir: config.dataDir })!;
  if (!fs.existsSync(file)) throw new BackupError("backup_source", `there is no database at ${path.resolve(file)} (check --data-dir / DATABASE_URL)`);
  const storage = openStorage({ url: config.databaseUrl, dataDir: config.dataDir });
  const dbFile = path.join(work, "parley.sqlite");
  try {
    await sqliteSnapshot(storage.sqlite!, dbFile, report);
  } finally {
    await storage.close();
  }
  const snap = openSqliteFile(dbFile);
  try {
    return { dbFile, ...(await snapshotRows(snap.db, "sqlite")) };
  } finally {
    await snap.close();
  }
}

async function postgresSide(config: Config, work: string, signal: AbortSignal | undefined): Promise<Snapshot> {
  const storage = openStorage({ url: config.databaseUrl, dataDir: config.dataDir, pgPoolSize: 1 });
  const dbFile = path.join(work, "parley.pgdump");
  try {
    return await storage.db
      .transaction()
      .setIsolationLevel("repeatable read")
      .execute(async (trx) => {
        // The first statement fixes the transaction's snapshot; pg_dump imports the same one.
        const id = (await sql<{ id: string }>`select pg_export_snapshot() as id`.execute(trx)).rows[0]!.id;
        const dump = pgDump(config.databaseUrl!, id, dbFile);
        const stop = () => dump.stop();
        signal?.addEventListener("abort", stop);
        try {
          const rows = await snapshotRows(trx, "postgres");
          await dump.done;
          return { dbFile, ...rows };
        } catch (err) {
          dump.stop();
          await dump.done.catch(() => undefined);
          throw err;
        } finally {
          signal?.removeEventListener("abort", stop);
        }
      });
  } finally {
    await storage.close();
  }
}

/** Stream one item: its record head, then its bytes while hashing them; `size` must come out exact. */
async function* item(name: string, kind: BackupItem["kind"], size: number, source: Readable, items: BackupItem[]): AsyncGenerator<Buffer> {
  yield recordHead(RECORD.item, name, size);
  const hash = crypto.createHash("sha256");
  let n = 0;
  for await (const chunk of source as AsyncIterable<Buffer>) {
    if (n + chunk.length > size) throw new Error(`${name} grew while it was read`);
    hash.update(chunk);
    n += chunk.length;
    yield chunk;
  }
  if (n !== size) throw new Error(`${name} is ${n} bytes, not the ${size} its record says: it changed while it was read; run the backup again`);
  items.push({ name, kind, size, sha256: hash.digest("hex") });
}

async function openBlob(store: BlobStore, b: BlobRef): Promise<Readable | undefined> {
  try {
    return b.size === 0 ? Readable.from([]) : await store.read(b.id, { start: 0, end: b.size - 1 });
  } catch (err) {
    // Deleted after the snapshot (its message was deleted meanwhile): the restored row finds no bytes, as a GC'd file would.
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw err;
  }
}

/** Make a backup of the installation `config` describes into `opts.out` (never overwritten). */
export async function createBackup(config: Config, opts: BackupOptions): Promise<BackupResult> {
  const out = path.resolve(opts.out);
  if (fs.existsSync(out)) throw new BackupError("backup_source", `${out} exists: backups never overwrite a file (use a dated name)`);
  if (!fs.existsSync(path.dirname(out))) throw new BackupError("backup_source", `the directory ${path.dirname(out)} does not exist`);
  const dialect: Dialect = sqliteFileOf({ url: config.databaseUrl, dataDir: config.dataDir }) === undefined ? "postgres" : "sqlite";
  // Next to the output: it must have room for the backup anyway, and /tmp is often small.
  const work = await fsp.mkdtemp(path.join(path.dirname(out), ".parley-backup-"));
  const partial = path.join(work, "backup.partial");
  try {
    const sealer = await sealingStream(opts.passphrase, opts.kdf);
    const snap =
      dialect === "sqlite"
        ? await sqliteSide(config, work, (done, total) => opts.onProgress?.({ step: "database", done, total, bytes: 0, totalBytes: 0 }))
        : await postgresSide(config, work, opts.signal);
    opts.signal?.throwIfAborted();
    const store = openBlobStore(config);
    const meta: BackupMeta = {
      format: MANIFEST_FORMAT,
      version: MANIFEST_VERSION,
      createdAt: new Date().toISOString(),
      dialect,
      apiVersion: API_VERSION,
      migrations: snap.migrations,
      kms: config.kms,
    };
    const items: BackupItem[] = [];
    const missingBlobs: string[] = [];
    const totalBytes = snap.blobs.reduce((n, b) => n + b.size, 0);
    let bytes = 0;
    async function* plaintext(): AsyncGenerator<Buffer> {
      const m = Buffer.from(JSON.stringify(meta));
      yield recordHead(RECORD.meta, "", m.length);
      yield m;
      yield* item(DB_ITEM[dialect], "database", (await fsp.stat(snap.dbFile)).size, fs.createReadStream(snap.dbFile), items);
      opts.onProgress?.({ step: "blobs", done: 0, total: snap.blobs.length, bytes, totalBytes });
      for (const [i, b] of snap.blobs.entries()) {
        const source = await openBlob(store, b);
        if (source) yield* item(BLOB_PREFIX + b.id, "blob", b.size, source, items);
        else missingBlobs.push(b.id);
        bytes += b.size;
        opts.onProgress?.({ step: "blobs", done: i + 1, total: snap.blobs.length, bytes, totalBytes });
      }
      const manifest: BackupManifest = { ...meta, items, missingBlobs, summary: snap.summary };
      const body = Buffer.from(JSON.stringify(manifest));
      yield recordHead(RECORD.manifest, "", body.length);
      yield body;
    }
    await pipeline(Readable.from(plaintext(), { objectMode: false }), sealer, fs.createWriteStream(partial, { mode: 0o600 }), {
      ...(opts.signal ? { signal: opts.signal } : {}),
    });
    const fh = await fsp.open(partial, "r");
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
    // Only a complete file ever carries the name asked for.
    await fsp.link(partial, out).catch(async (err: NodeJS.ErrnoException) => {
      if (err.code === "EEXIST") throw new BackupError("backup_source", `${out} appeared while the backup ran: not overwritten`);
      throw err;
    });
    const rows = Object.values(snap.summary.tables).reduce((n, c) => n + c, 0);
    return {
      file: out,
      size: (await fsp.stat(out)).size,
      dialect,
      schema: snap.migrations.at(-1) ?? "none",
      tables: Object.keys(snap.summary.tables).length,
      rows,
      events: snap.summary.events.count,
      blobs: items.length - 1,
      blobBytes: items.filter((i) => i.kind === "blob").reduce((n, i) => n + i.size, 0),
      missingBlobs,
      auditOk: snap.summary.audit.ok,
    };
  } finally {
    await fsp.rm(work, { recursive: true, force: true });
  }
}
