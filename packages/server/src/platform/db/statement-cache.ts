/**
 * Prepared statements reused across queries on SQLite. Kysely's SQLite driver calls
 * `prepare(sql)` for every query it runs; better-sqlite3 then parses and plans the SQL
 * again each time (a send runs several statements, a hello a few more). Kysely is handed
 * this wrapper instead of the raw handle: statements are kept in a bounded LRU keyed by
 * their SQL text. Kysely uses one statement at a time (better-sqlite3 runs it to the end
 * synchronously) except while it streams a SELECT with `iterate`: a statement still busy
 * iterating is not handed out again, a fresh one is prepared for that call.
 * SQLite re-plans a cached statement by itself after a schema change (migrations).
 */
import type BetterSqlite3 from "better-sqlite3";
import type { SqliteDatabase } from "kysely";

/** Distinct SQL texts kept prepared (IN lists of varying length make distinct texts; the LRU bounds them). */
const STATEMENT_CACHE_SIZE = 500;

/** `raw` as Kysely's SqliteDatabase, preparing each distinct SQL text once while it stays in the cache. */
export function cachedStatements(raw: BetterSqlite3.Database, max = STATEMENT_CACHE_SIZE): SqliteDatabase {
  const cache = new Map<string, BetterSqlite3.Statement>();
  return {
    close: () => raw.close(),
    prepare(sql: string) {
      const hit = cache.get(sql);
      if (hit) {
        if (hit.busy) return raw.prepare(sql);
        // Most recently used last: Map keeps insertion order.
        cache.delete(sql);
        cache.set(sql, hit);
        return hit;
      }
      const stmt = raw.prepare(sql);
      cache.set(sql, stmt);
      if (cache.size > max) cache.delete(cache.keys().next().value as string);
      return stmt;
    },
  };
}
