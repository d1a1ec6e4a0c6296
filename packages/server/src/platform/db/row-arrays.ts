/**
 * Bulk reads as arrays of column values, straight from the driver. Kysely hands every
 * row back as an object keyed by column name; for a scan of hundreds of thousands of
 * rows (audit verification) that per-row object and the statement prepared anew per
 * page are a large part of the cost. A query built with Kysely is compiled once and run
 * on the driver handle behind the Db: a cached better-sqlite3 statement in raw mode,
 * or pg with rowMode "array" (the pool's type parsers still apply).
 */
import type { CompiledQuery, Kysely } from "kysely";
import type BetterSqlite3 from "better-sqlite3";
import type pg from "pg";

type Driver = { sqlite: BetterSqlite3.Database; statements: Map<string, BetterSqlite3.Statement> } | { pool: pg.Pool };

// Keyed by the Kysely instance openStorage made: a transaction (another instance) is not
// found here and falls back to Kysely, on its own connection.
const drivers = new WeakMap<object, Driver>();

/** Remember the driver handle behind `db` (openStorage calls this). */
export function registerDriver<DB>(db: Kysely<DB>, handle: { sqlite: BetterSqlite3.Database } | { pool: pg.Pool }): void {
  drivers.set(db, "sqlite" in handle ? { sqlite: handle.sqlite, statements: new Map() } : handle);
}

/** The rows of a compiled SELECT, each as its column values in select order. */
export async function selectRowArrays<DB>(db: Kysely<DB>, query: CompiledQuery): Promise<unknown[][]> {
  const driver = drivers.get(db);
  const params = query.parameters as unknown[];
  if (driver && "pool" in driver) {
    return (await driver.pool.query<unknown[]>({ text: query.sql, values: params, rowMode: "array" })).rows;
  }
  if (driver) {
    let stmt = driver.statements.get(query.sql);
    if (!stmt) {
      stmt = driver.sqlite.prepare(query.sql).raw(true);
      driver.statements.set(query.sql, stmt);
    }
    const prepared = stmt;
    // Through Kysely's connection, so the read waits for a transaction open on the one
    // SQLite connection instead of running inside it.
    return db.connection().execute(async () => prepared.all(...params) as unknown[][]);
  }
  return (await db.executeQuery<Record<string, unknown>>(query)).rows.map((r) => Object.values(r));
}
