/**
 * SQLite transactions that take the write lock when they begin (`BEGIN IMMEDIATE`).
 * Kysely's driver begins deferred: a transaction reads first and asks for the write lock at
 * its first write. In WAL mode, if another process committed in between, SQLite refuses that
 * upgrade at once with SQLITE_BUSY — the busy timeout does not help, since the transaction's
 * snapshot is stale. Taking the lock at BEGIN makes the transaction wait (busy_timeout)
 * while another process writes, then read and write a consistent state. Inside one server
 * process nothing changes: Kysely runs everything on its single connection, one
 * transaction at a time. It matters when a second process writes the same file: a CLI run
 * beside the server, or a test's child process.
 */
import { CompiledQuery, SqliteDialect, SqliteDriver, type DatabaseConnection, type Driver, type SqliteDialectConfig } from "kysely";

class ImmediateSqliteDriver extends SqliteDriver {
  override async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw("begin immediate"));
  }
}

/** Kysely's SQLite dialect, with write-locking transactions. */
export class ImmediateSqliteDialect extends SqliteDialect {
  readonly #config: SqliteDialectConfig;

  constructor(config: SqliteDialectConfig) {
    super(config);
    this.#config = config;
  }

  override createDriver(): Driver {
    return new ImmediateSqliteDriver(this.#config);
  }
}
