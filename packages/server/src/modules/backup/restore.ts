/**
 * `parley restore` and `parley backup verify`. Everything is decrypted, authenticated and
 * checked against the manifest in a work directory first — every block, every item's
 * SHA-256, the database dump opening (and, on SQLite, migrating, opening with the KMS and
 * matching the manifest's summary) — and only then is anything of the installation
 * replaced. Until that point every refusal is a BackupError and nothing has changed.
 */
import crypto from "node:crypto";
import fs from "node:fs";
import fsp from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { sql } from "kysely";
import type { Config } from "../../config/schema.ts";
import { composeDeps, type Composed } from "../../compose.ts";
import { openBlobStore } from "../../platform/blobs/index.ts";
import { openStorage, sqliteFileOf, type Dialect } from "../../platform/db/index.ts";
import { checkDataKeysOpen, KmsError } from "../../platform/kms/index.ts";
import { createLogger } from "../../platform/log.ts";
import type { BackupProgress } from "./backup.ts";
import { BackupError, openingStream } from "./container.ts";
import { installSqlite, openSqliteFile, pgDumpOpens, pgDumpTableRows, pgOtherSessions, pgRestore, pgTables, schemaDiff, sqliteInUse } from "./database.ts";
import { BLOB_PREFIX, MANIFEST_FORMAT, MANIFEST_VERSION, itemKind, type BackupManifest, type BackupMeta } from "./manifest.ts";
import { RECORD, RecordReader } from "./records.ts";
import { compareSummaries, summarize, type VerifyCheck } from "./summary.ts";

interface Extracted {
  manifest: BackupManifest;
  dbFile: string;
  /** Blob id -> extracted file (when blobs were kept). */
  blobs: Map<string, string>;
}

interface ExtractOptions {
  passphrase: string;
  dir: string;
  /** The dialect the backup must be for (restore); any for verify. */
  dialect?: Dialect;
  keepBlobs: boolean;
  onProgress?: ((p: BackupProgress) => void) | undefined;
  signal?: AbortSignal | undefined;
}

const damaged = (message: string) => new BackupError("backup_damaged", message);

function checkMeta(meta: BackupMeta, want: Dialect | undefined): void {
  if (meta.format !== MANIFEST_FORMAT || meta.version !== MANIFEST_VERSION) {
    throw new BackupError("backup_incompatible", `backup manifest version ${meta.version} is not one this parley reads (${MANIFEST_VERSION})`);
  }
  if (want && meta.dialect !== want) {
    throw new BackupError(
      "backup_incompatible",
      `this is a ${meta.dialect} backup, but the configured database is ${want}: restore it into a ${meta.dialect} installation`,
    );
  }
  const { unknown } = schemaDiff(meta.migrations, meta.dialect);
  if (unknown.length) {
    throw new BackupError(
      "backup_incompatible",
      `the backup comes from a newer Parley (schema ${meta.migrations.at(-1)}; unknown here: ${unknown.join(", ")}): restore it with that version or a later one`,
    );
  }
}

/** Decrypt `file` into `opts.dir`, checking everything the manifest promises about the items. */
async function extract(file: string, opts: ExtractOptions): Promise<Extracted> {
  const { stream, offset } = await openingStream(file, opts.passphrase);
  const totalBytes = (await fsp.stat(file)).size;
  const source = fs.createReadStream(file, { start: offset });
  let read = offset;
  let shown = -1;
  source.on("data", (c) => {
    read += c.length;
    const pct = Math.floor((read / totalBytes) * 10);
    if (pct !== shown) {
      shown = pct;
      opts.onProgress?.({ step: "decrypting", done: 0, total: 0, bytes: read, totalBytes });
    }
  });
  source.on("error", (err) => stream.destroy(err));
  source.pipe(stream);
  const reader = new RecordReader(stream);
  const got = new Map<string, { size: number; sha256: string }>();
  const blobs = new Map<string, string>();
  let dbFile: string | undefined;
  let manifest: BackupManifest | undefined;
  await fsp.mkdir(path.join(opts.dir, "blobs"), { recursive: true });
  try {
    const first = await reader.next();
    if (first?.kind !== RECORD.meta) throw damaged("the backup does not start with its description");
    const meta = JSON.parse((await reader.all(first.size, 1 << 20)).toString("utf8")) as BackupMeta;
    checkMeta(meta, opts.dialect);
    for (;;) {
      opts.signal?.throwIfAborted();
      const head = await reader.next();
      if (!head) throw damaged("the backup ends before its manifest");
      if (head.kind === RECORD.manifest) {
        manifest = JSON.parse((await reader.all(head.size, 1 << 30)).toString("utf8")) as BackupManifest;
        if (await reader.next()) throw damaged("data follows the manifest");
        break;
      }
      const kind = head.kind === RECORD.item ? itemKind(head.name, meta.dialect) : undefined;
      if (!kind || got.has(head.name)) throw damaged(`unexpected item "${head.name}" in the backup`);
      const target =
        kind === "database"
          ? (dbFile = path.join(opts.dir, path.basename(head.name)))
          : opts.keepBlobs
            ? path.join(opts.dir, "blobs", head.name.slice(BLOB_PREFIX.length))
            : undefined;
      const hash = crypto.createHash("sha256");
      const body = reader.body(head.size);
      async function* hashed(): AsyncGenerator<Buffer> {
        for await (const c of body) {
          hash.update(c);
          yield c;
        }
      }
      if (target) await pipeline(Readable.from(hashed(), { objectMode: false }), fs.createWriteStream(target, { mode: 0o600 }));
      else for await (const chunk of hashed()) void chunk;
      got.set(head.name, { size: head.size, sha256: hash.digest("hex") });
      if (kind === "blob" && target) blobs.set(head.name.slice(BLOB_PREFIX.length), target);
    }
  } catch (err) {
    if (err instanceof BackupError || opts.signal?.aborted) throw err;
    throw damaged(`the backup's contents are malformed: ${(err as Error).message}`);
  } finally {
    source.destroy();
    stream.destroy();
  }
  // Everything above was authenticated block by block; the manifest's own hashes are checked too.
  if (manifest.items.length !== got.size) throw damaged(`the manifest lists ${manifest.items.length} items, the backup holds ${got.size}`);
  for (const it of manifest.items) {
    const g = got.get(it.name);
    if (!g || g.size !== it.size || g.sha256 !== it.sha256) throw damaged(`${it.name} does not match its size and SHA-256 in the manifest`);
  }
  if (!dbFile) throw damaged("the backup holds no database");
  return { manifest, dbFile, blobs };
}

export interface VerifyResult {
  manifest: BackupManifest;
  checks: VerifyCheck[];
  ok: boolean;
}

const humanBytes = (n: number) => (n < 1024 ? `${n} B` : n < 1048576 ? `${(n / 1024).toFixed(1)} KiB` : `${(n / 1048576).toFixed(1)} MiB`);

function itemsCheck(manifest: BackupManifest, blobCount: number, ok: boolean, details: string[] = []): VerifyCheck {
  const blobs = manifest.items.filter((i) => i.kind === "blob");
  const describe = (n: number) => `${n} blobs, ${humanBytes(blobs.reduce((s, i) => s + i.size, 0))}`;
  return { check: "blob hashes", expected: describe(blobs.length), actual: ok ? describe(blobCount) : `${blobCount} match`, ok, details };
}

/** `parley backup verify`: decrypt and check `file` without touching any installation. */
export async function verifyBackupFile(file: string, opts: { passphrase: string; onProgress?: (p: BackupProgress) => void }): Promise<VerifyResult> {
  const dir = await fsp.mkdtemp(path.join(os.tmpdir(), "parley-verify-"));
  try {
    const ex = await extract(file, { passphrase: opts.passphrase, dir, keepBlobs: false, onProgress: opts.onProgress });
    const m = ex.manifest;
    const checks = [itemsCheck(m, m.items.length - 1, true)];
    if (m.dialect === "postgres") await pgDumpOpens(ex.dbFile);
    else {
      const snap = openSqliteFile(ex.dbFile);
      try {
        if (snap.raw.pragma("quick_check", { simple: true }) !== "ok") throw damaged("the database in the backup fails SQLite's integrity check");
        // The summary code reads this build's schema: an older backup is compared after a restore migrates it.
        if (schemaDiff(m.migrations, "sqlite").pending.length === 0) checks.unshift(...compareSummaries(m.summary, await summarize(snap.db, "sqlite")));
      } finally {
        await snap.close();
      }
    }
    return { manifest: m, checks, ok: checks.every((c) => c.ok) };
  } finally {
    await fsp.rm(dir, { recursive: true, force: true });
  }
}

export interface RestoreOptions {
  passphrase: string;
  /** Replace an installation that already holds data (the CLI's --yes). */
  confirm: boolean;
  onProgress?: (p: BackupProgress) => void;
  onMigration?: (name: string) => void;
  /** Stops the restore while it is still checking the backup; once replacing has begun it runs to the end. */
  signal?: AbortSignal;
}

export interface RestoreResult extends VerifyResult {
  /** Migrations applied after the restore (the backup was older than this build). */
  migrated: string[];
}

/** Open the installation as the server would (migrations, KMS), quietly. */
function compose(config: Config, migrated: string[], onMigration?: (name: string) => void): Promise<Composed> {
  return composeDeps(config, {
    log: createLogger("silent"),
    relay: "leave",
    pgPoolSize: 2,
    onMigration: (name) => {
      migrated.push(name);
      onMigration?.(name);
    },
  });
}

/** The key-file KEK is kept apart from backups; without it nothing sealed in the database opens. */
function checkKeyFile(config: Config): void {
  if (config.kms !== "key-file") return;
  // Resolved as platform/kms resolves it; checked here so a missing file is not created afresh.
  const file = path.resolve(config.kmsKeyFile ?? path.join(config.dataDir, "master.key"));
  if (!fs.existsSync(file)) {
    throw new BackupError(
      "backup_key",
      `the KMS key file ${file} does not exist: copy the key file kept with your backups there (or set PARLEY_KMS_KEY_FILE); backups never contain it`,
    );
  }
}

/** Refusals that need no decryption: a running server, data that would be replaced without --yes. */
async function checkTarget(config: Config, dialect: Dialect, target: string | undefined, confirm: boolean): Promise<void> {
  const blobDirHasData = (await openBlobStore(config).list()).length > 0;
  if (dialect === "sqlite") {
    if (sqliteInUse(target!)) throw new BackupError("backup_target_busy", `a process (a running server?) has ${target} open: stop the server before restoring`);
    if (!confirm && (fs.existsSync(target!) || blobDirHasData)) {
      throw new BackupError("backup_needs_confirmation", `this replaces the database ${target} and the attachment blobs: run again with --yes`);
    }
    return;
  }
  const storage = openStorage({ url: config.databaseUrl, dataDir: config.dataDir, pgPoolSize: 1 });
  try {
    // A node that has just stopped is still listed for a moment while its backends exit: look again for 3 s before refusing.
    let others = await pgOtherSessions(storage.db);
    for (let i = 0; i < 30 && others > 0; i++) {
      await new Promise((r) => setTimeout(r, 100));
      others = await pgOtherSessions(storage.db);
    }
    if (others > 0) throw new BackupError("backup_target_busy", `${others} other session(s) use the database: stop every Parley node before restoring`);
    if (!confirm && ((await pgTables(storage.db)).length > 0 || blobDirHasData)) {
      throw new BackupError(
        "backup_needs_confirmation",
        "this replaces the configured PostgreSQL database's tables and the attachment blobs: run again with --yes",
      );
    }
  } finally {
    await storage.close();
  }
}

async function restoreBlobs(config: Config, ex: Extracted, onProgress?: (p: BackupProgress) => void): Promise<VerifyCheck> {
  const store = openBlobStore(config);
  const items = ex.manifest.items.filter((i) => i.kind === "blob");
  const keep = new Set(items.map((i) => i.name.slice(BLOB_PREFIX.length)));
  // Blobs of the replaced installation that the restored rows do not name.
  for (const id of await store.list()) if (!keep.has(id)) await store.delete(id);
  const totalBytes = items.reduce((n, i) => n + i.size, 0);
  let bytes = 0;
  for (const [i, it] of items.entries()) {
    const id = it.name.slice(BLOB_PREFIX.length);
    await store.delete(id);
    await store.create(id);
    if (it.size > 0) await store.append(id, 0, fs.createReadStream(ex.blobs.get(id)!), it.size);
    bytes += it.size;
    onProgress?.({ step: "restoring blobs", done: i + 1, total: items.length, bytes, totalBytes });
  }
  const bad: string[] = [];
  bytes = 0;
  for (const [i, it] of items.entries()) {
    const id = it.name.slice(BLOB_PREFIX.length);
    const hash = crypto.createHash("sha256");
    try {
      for await (const c of await store.read(id)) hash.update(c as Buffer);
      if (hash.digest("hex") !== it.sha256) bad.push(`blob ${id}: SHA-256 differs from the backup's`);
    } catch (err) {
      bad.push(`blob ${id}: ${(err as Error).message}`);
    }
    bytes += it.size;
    onProgress?.({ step: "verifying blobs", done: i + 1, total: items.length, bytes, totalBytes });
  }
  return itemsCheck(ex.manifest, items.length - bad.length, bad.length === 0, bad);
}

/** `parley restore`: replace the installation `config` describes with the backup in `file`, then verify it. */
export async function restoreBackup(config: Config, file: string, opts: RestoreOptions): Promise<RestoreResult> {
  const sqliteFile = sqliteFileOf({ url: config.databaseUrl, dataDir: config.dataDir });
  const dialect: Dialect = sqliteFile === undefined ? "postgres" : "sqlite";
  const target = sqliteFile && path.resolve(sqliteFile);
  await checkTarget(config, dialect, target, opts.confirm);
  checkKeyFile(config);
  // SQLite: in the database's directory, so the verified copy is renamed into place atomically.
  const parent = target ? path.dirname(target) : path.resolve(config.dataDir);
  await fsp.mkdir(parent, { recursive: true });
  const dir = await fsp.mkdtemp(path.join(parent, ".parley-restore-"));
  const migrated: string[] = [];
  try {
    const ex = await extract(file, { passphrase: opts.passphrase, dir, dialect, keepBlobs: true, onProgress: opts.onProgress, signal: opts.signal });
    let checks: VerifyCheck[];
    if (dialect === "sqlite") {
      // Migrate the extracted copy and open it with the configured KMS, then compare, all before the swap.
      let composed: Composed;
      try {
        composed = await compose({ ...config, databaseUrl: `sqlite:${ex.dbFile}` }, migrated, opts.onMigration);
      } catch (err) {
        if (err instanceof KmsError) throw new BackupError("backup_key", `the KMS cannot open the server keys in this backup: ${err.message}`);
        throw damaged(`the database in the backup does not open: ${(err as Error).message}`);
      }
      try {
        checks = compareSummaries(ex.manifest.summary, await summarize(composed.deps.db, "sqlite"));
      } finally {
        await composed.close();
      }
      const bad = checks.filter((c) => !c.ok);
      if (bad.length) throw damaged(`the database in the backup does not match its manifest: ${bad.flatMap((c) => [c.check, ...c.details]).join("; ")}`);
      opts.signal?.throwIfAborted();
      if (sqliteInUse(target!))
        throw new BackupError("backup_target_busy", `a process (a running server?) opened ${target} meanwhile: stop it and restore again`);
      await installSqlite(ex.dbFile, target!);
    } else {
      await pgDumpOpens(ex.dbFile);
      // The configured KMS must open the backup's data keys before the live database is replaced
      // (a KEK rotated and retired since the backup, the wrong key file or token).
      const dataKeys = await pgDumpTableRows(ex.dbFile, "kms_data_keys");
      try {
        await checkDataKeysOpen(
          config,
          dataKeys.map((r) => ({ id: r.id ?? "", scope: r.scope ?? "", kek_id: r.kek_id ?? "", wrapped_key: r.wrapped_key ?? "" })),
        );
      } catch (err) {
        if (err instanceof KmsError) throw new BackupError("backup_key", `the KMS cannot open the keys in this backup, nothing was replaced: ${err.message}`);
        throw err;
      }
      await checkTarget(config, dialect, undefined, true);
      opts.signal?.throwIfAborted();
      try {
        await pgRestore(config.databaseUrl!, ex.dbFile);
      } catch (err) {
        throw new Error(`pg_restore failed; it ran in one transaction, so the database was left as it was: ${(err as Error).message}`, { cause: err });
      }
      // Tables a newer schema of the replaced database had: the migrations recreate what this build needs.
      const storage = openStorage({ url: config.databaseUrl, dataDir: config.dataDir, pgPoolSize: 1 });
      try {
        const keep = new Set([...Object.keys(ex.manifest.summary.tables), "kysely_migration", "kysely_migration_lock"]);
        for (const t of await pgTables(storage.db)) if (!keep.has(t)) await sql`drop table if exists ${sql.table(t)} cascade`.execute(storage.db);
      } finally {
        await storage.close();
      }
      let composed: Composed;
      try {
        composed = await compose(config, migrated, opts.onMigration);
      } catch (err) {
        throw new Error(`the database was restored, but it does not open as a server would open it: ${(err as Error).message}`, { cause: err });
      }
      try {
        checks = compareSummaries(ex.manifest.summary, await summarize(composed.deps.db, "postgres"));
      } finally {
        await composed.close();
      }
    }
    checks.push(await restoreBlobs(config, ex, opts.onProgress));
    return { manifest: ex.manifest, checks, ok: checks.every((c) => c.ok), migrated };
  } finally {
    await fsp.rm(dir, { recursive: true, force: true });
  }
}
