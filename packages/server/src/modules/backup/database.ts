/**
 * The database side of backup and restore, per dialect: SQLite through better-sqlite3's
 * online backup API and an atomic file swap; PostgreSQL through pg_dump / pg_restore
 * (the PostgreSQL client tools on PATH, at least the server's major version), run as
 * child processes and stopped by PID when the backup is abandoned.
 */
import { spawn } from "node:child_process";
import fs from "node:fs";
import fsp from "node:fs/promises";
import path from "node:path";
import { Kysely, SqliteDialect, sql } from "kysely";
import BetterSqlite3 from "better-sqlite3";
import type { Database } from "../../platform/db/tables.ts";
import type { Dialect } from "../../platform/db/index.ts";
import { migrations } from "../../platform/db/migrations.ts";
import { registerDriver } from "../../platform/db/row-arrays.ts";
import { BackupError } from "./container.ts";

/** The migrations applied to a database, by name, in order. */
export async function appliedMigrations(db: Kysely<Database>): Promise<string[]> {
  const r = await sql<{ name: string }>`select name from kysely_migration order by name`.execute(db);
  return r.rows.map((x) => x.name);
}

/** What this build knows that `applied` lacks, and what `applied` has that this build does not know. */
export function schemaDiff(applied: string[], dialect: Dialect): { pending: string[]; unknown: string[] } {
  const known = Object.keys(migrations(dialect));
  return { pending: known.filter((m) => !applied.includes(m)).sort(), unknown: applied.filter((m) => !known.includes(m)) };
}

// ---------------------------------------------------------------- SQLite

/** Copy a live database with the online backup API (consistent even while a server writes to it). */
export async function sqliteSnapshot(source: BetterSqlite3.Database, dest: string, onPages?: (done: number, total: number) => void): Promise<void> {
  let pages = 0;
  await source.backup(dest, {
    progress({ totalPages, remainingPages }) {
      pages = totalPages;
      onPages?.(totalPages - remainingPages, totalPages);
      // Copy the rest in one step: a write by the server between steps restarts the copy.
      return Math.max(100, remainingPages);
    },
  });
  onPages?.(pages, pages);
  // A self-contained file (no -wal to go with it) that opens read-only; the server turns WAL back on.
  const copy = new BetterSqlite3(dest);
  try {
    copy.pragma("journal_mode = DELETE");
  } finally {
    copy.close();
  }
}

/** A Kysely over one SQLite file (a snapshot or an extracted dump), read-only unless asked. */
export function openSqliteFile(file: string, readonly = true): { db: Kysely<Database>; raw: BetterSqlite3.Database; close(): Promise<void> } {
  const raw = new BetterSqlite3(file, { readonly, fileMustExist: true });
  raw.defaultSafeIntegers(false);
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: raw }) });
  registerDriver(db, { sqlite: raw });
  return { db, raw, close: () => db.destroy() };
}

/**
 * Whether another process (a running server) has the database open. A connection in WAL
 * mode holds a shared lock for as long as it is open, so an exclusive lock taken without
 * waiting fails while one exists.
 */
export function sqliteInUse(file: string): boolean {
  if (!fs.existsSync(file)) return false;
  const probe = new BetterSqlite3(file, { timeout: 0 });
  try {
    probe.pragma("locking_mode = EXCLUSIVE");
    probe.exec("BEGIN EXCLUSIVE");
    // Fold the WAL in while nobody else can write: the old file is complete before it is replaced.
    probe.exec("COMMIT");
    probe.pragma("wal_checkpoint(TRUNCATE)");
    return false;
  } catch (err) {
    if ((err as { code?: string }).code === "SQLITE_BUSY") return true;
    throw err;
  } finally {
    probe.close();
  }
}

/**
 * Put `from` in place of `to` atomically (same directory). The old file's -wal and -shm go
 * first: a stale WAL next to the new file would be replayed into it.
 */
export async function installSqlite(from: string, to: string): Promise<void> {
  for (const ext of ["-wal", "-shm", "-journal"]) await fsp.rm(`${to}${ext}`, { force: true });
  await fsp.rename(from, to);
  const dir = await fsp.open(path.dirname(to), "r");
  try {
    await dir.sync();
  } catch {
    /* directory fsync is not supported everywhere */
  } finally {
    await dir.close();
  }
}

// ---------------------------------------------------------------- PostgreSQL

/** libpq arguments for `url` with the password moved to PGPASSWORD (never on a command line). */
function pgTarget(url: string): { dbname: string; env: NodeJS.ProcessEnv } {
  const u = new URL(url);
  const password = decodeURIComponent(u.password);
  u.password = "";
  return { dbname: u.toString(), env: { ...process.env, ...(password ? { PGPASSWORD: password } : {}) } };
}

/** A running client tool: its completion (stdout) and a way to stop it (by PID). */
export interface ToolRun {
  done: Promise<string>;
  stop(): void;
}

function runTool(cmd: string, args: string[], env: NodeJS.ProcessEnv): ToolRun {
  const child = spawn(cmd, args, { env, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  child.stdout.on("data", (d) => (out += String(d)));
  child.stderr.on("data", (d) => (err += String(d)));
  const done = new Promise<string>((resolve, reject) => {
    child.on("error", (e) =>
      reject(
        (e as NodeJS.ErrnoException).code === "ENOENT"
          ? new Error(`${cmd} is not installed (or not on PATH): install the PostgreSQL client tools (Debian: postgresql-client)`)
          : e,
      ),
    );
    child.on("close", (code, signal) => {
      if (code === 0) resolve(out);
      else
        reject(
          new Error(`${cmd} ${signal ? `was stopped (${signal})` : `failed (exit ${code})`}: ${err.trim().split("\n").slice(-3).join(" / ") || "no message"}`),
        );
    });
  });
  return {
    done,
    stop() {
      if (child.exitCode === null && child.signalCode === null && child.pid) process.kill(child.pid, "SIGTERM");
    },
  };
}

/** `pg_dump -Fc` of the database as of `snapshot` (exported by a transaction that stays open meanwhile). */
export function pgDump(url: string, snapshot: string, file: string): ToolRun {
  const t = pgTarget(url);
  return runTool("pg_dump", ["--format=custom", `--snapshot=${snapshot}`, `--file=${file}`, "--no-password", `--dbname=${t.dbname}`], t.env);
}

/** Reads the dump's table of contents: the dump is complete and readable by pg_restore. */
export async function pgDumpOpens(file: string): Promise<void> {
  try {
    await runTool("pg_restore", ["--list", file], process.env).done;
  } catch (err) {
    throw new BackupError("backup_damaged", `the database dump does not open: ${(err as Error).message}`);
  }
}

/** Un-escape one field of COPY's text format (`\N` is null). */
function copyField(s: string): string | null {
  if (s === "\\N") return null;
  return s.replace(/\\(.)/g, (_, c: string) => ({ t: "\t", n: "\n", r: "\r", "\\": "\\" })[c] ?? c);
}

/** The rows of one table of a dump (`pg_restore --data-only --table`), as column -> text. */
export async function pgDumpTableRows(file: string, table: string): Promise<Array<Record<string, string | null>>> {
  const text = await runTool("pg_restore", ["--data-only", `--table=${table}`, "--file=-", file], process.env).done;
  const lines = text.split("\n");
  const start = lines.findIndex((l) => l.startsWith(`COPY `) && l.includes(`${table} (`));
  if (start < 0) return [];
  const columns = /\(([^)]*)\)/
    .exec(lines[start]!)![1]!
    .split(",")
    .map((c) => c.trim().replace(/^"|"$/g, ""));
  const rows: Array<Record<string, string | null>> = [];
  for (let i = start + 1; i < lines.length && lines[i] !== "\\."; i++) {
    const fields = lines[i]!.split("\t").map(copyField);
    rows.push(Object.fromEntries(columns.map((c, k) => [c, fields[k] ?? null])));
  }
  return rows;
}

/**
 * pg_restore into the configured database in one transaction (`--clean --if-exists`): if
 * anything fails, the database is left as it was. Owners and grants are not restored (the
 * connecting role owns what it restores).
 */
export async function pgRestore(url: string, file: string): Promise<void> {
  const t = pgTarget(url);
  const args = ["--clean", "--if-exists", "--no-owner", "--no-acl", "--single-transaction", "--exit-on-error", "--no-password", `--dbname=${t.dbname}`, file];
  await runTool("pg_restore", args, t.env).done;
}

/** Other sessions on the database (a running Parley node would be one). */
export async function pgOtherSessions(db: Kysely<Database>): Promise<number> {
  const r = await sql<{
    n: number | string;
  }>`select count(*) as n from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid() and backend_type = 'client backend'`.execute(db);
  return Number(r.rows[0]!.n);
}

/** Tables of the schema (the restore target's, before and after). */
export async function pgTables(db: Kysely<Database>): Promise<string[]> {
  const r = await sql<{ name: string }>`select tablename as name from pg_tables where schemaname = current_schema()`.execute(db);
  return r.rows.map((x) => x.name);
}
