/**
 * Storage seam: one Kysely instance over SQLite (better-sqlite3, WAL) by
 * default, or PostgreSQL (pg) when DATABASE_URL is a postgres:// URL.
 */
import fs from "node:fs";
import path from "node:path";
import { Kysely, PostgresDialect, sql, type Transaction } from "kysely";
import { Migrator, type MigrationProvider } from "kysely/migration";
import BetterSqlite3 from "better-sqlite3";
import pg from "pg";
import type { Database } from "./tables.ts";
import { migrations } from "./migrations.ts";
import { registerDriver } from "./row-arrays.ts";
import { cachedStatements } from "./statement-cache.ts";
import { ImmediateSqliteDialect } from "./sqlite-immediate.ts";
import { queryTracer } from "../tracing.ts";

import type { Dialect } from "./dialect.ts";

export type { Dialect } from "./dialect.ts";
export type Db = Kysely<Database>;
export type Tx = Transaction<Database>;
export type { Database };

export interface DbOptions {
  /** postgres://… for PostgreSQL; sqlite:PATH, a plain path, or undefined for SQLite. */
  url?: string | undefined;
  /** Directory for the default SQLite file. */
  dataDir: string;
  sqliteSynchronous?: "FULL" | "NORMAL";
  pgPoolSize?: number;
  /** Told about idle PostgreSQL connections the server dropped (logged as a warning). */
  onPoolError?: (err: Error) => void;
}

export interface Storage {
  db: Db;
  dialect: Dialect;
  /** SQLite file path (undefined on PostgreSQL). */
  file?: string;
  /** Raw better-sqlite3 handle, for the group-commit writer's prepared statements. */
  sqlite?: BetterSqlite3.Database;
  /** Apply pending migrations; returns the names applied. */
  migrate(onProgress?: (name: string) => void): Promise<string[]>;
  /** Round-trip to the database (for /readyz). */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** Open storage as configured (does not migrate). */
export function openStorage(opts: DbOptions): Storage {
  const file = sqliteFileOf(opts);
  if (file === undefined) return openPostgres(opts.url as string, opts.pgPoolSize ?? 10, opts.onPoolError);
  return openSqlite(file, opts.sqliteSynchronous ?? "FULL");
}

/** The SQLite file a config names (sqlite:PATH, a plain path, or dataDir/parley.db); undefined for PostgreSQL. */
export function sqliteFileOf(opts: Pick<DbOptions, "url" | "dataDir">): string | undefined {
  if (opts.url && /^postgres(ql)?:\/\//.test(opts.url)) return undefined;
  return opts.url ? opts.url.replace(/^sqlite:/, "") : path.join(opts.dataDir, "parley.db");
}

function withMigrator(db: Db, dialect: Dialect): Storage["migrate"] {
  return async (onProgress) => {
    const provider: MigrationProvider = { getMigrations: async () => migrations(dialect) };
    const migrator = new Migrator({ db, provider });
    const { error, results } = await migrator.migrateToLatest();
    const applied: string[] = [];
    for (const r of results ?? []) {
      if (r.status === "Success") {
        applied.push(r.migrationName);
        onProgress?.(r.migrationName);
      }
      if (r.status === "Error") throw new Error(`migration ${r.migrationName} failed: ${String(error)}`);
    }
    if (error) throw error instanceof Error ? error : new Error(String(error));
    return applied;
  };
}

function openSqlite(file: string, synchronous: "FULL" | "NORMAL"): Storage {
  if (file !== ":memory:") fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  const raw = new BetterSqlite3(file);
  raw.pragma("journal_mode = WAL");
  raw.pragma(`synchronous = ${synchronous}`);
  raw.pragma("foreign_keys = ON");
  raw.pragma("busy_timeout = 5000");
  // Our timestamps and seqs fit in 2^53: read integers as JS numbers.
  raw.defaultSafeIntegers(false);
  // With tracing on, each query inside a span becomes a child span (platform/tracing.ts).
  const db = new Kysely<Database>({ dialect: new ImmediateSqliteDialect({ database: cachedStatements(raw) }), log: queryTracer("sqlite") });
  registerDriver(db, { sqlite: raw });
  return {
    db,
    dialect: "sqlite",
    file: file === ":memory:" ? undefined : path.resolve(file),
    sqlite: raw,
    migrate: withMigrator(db, "sqlite"),
    async ping() {
      await sql`select 1`.execute(db);
    },
    async close() {
      await db.destroy();
    },
  };
}

function openPostgres(url: string, max: number, onPoolError?: (err: Error) => void): Storage {
  // int8 (bigint) columns hold ms timestamps and seqs, all < 2^53.
  const types = {
    getTypeParser(oid: number, format?: "text" | "binary") {
      if (oid === 20) return (v: string) => Number(v);
      return pg.types.getTypeParser(oid, format as "text");
    },
  };
  const pool = new pg.Pool({ connectionString: url, max, types: types as pg.CustomTypesConfig });
  // An idle pooled connection that the server drops (restart, DROP DATABASE, network) is
  // emitted as "error"; without a listener that would crash the process. The pool discards
  // the client and the next query opens a new one, so reporting it is all there is to do.
  pool.on("error", (err) => onPoolError?.(err));
  // A connection in use can be dropped too (a restart terminates every backend): its query
  // fails on its own, but the client also emits "error" — caught here, not a process crash.
  pool.on("connect", (client) => client.on("error", (err) => onPoolError?.(err)));
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }), log: queryTracer("postgresql") });
  registerDriver(db, { pool });
  return {
    db,
    dialect: "postgres",
    migrate: withMigrator(db, "postgres"),
    async ping() {
      await sql`select 1`.execute(db);
    },
    async close() {
      await db.destroy();
    },
  };
}

/** True if `err` is a unique-constraint violation on either dialect. */
export function isUniqueViolation(err: unknown): boolean {
  const e = err as { code?: string; message?: string };
  return e?.code === "23505" || e?.code === "SQLITE_CONSTRAINT_UNIQUE" || e?.code === "SQLITE_CONSTRAINT_PRIMARYKEY";
}
