import type { Dialect } from "../dialect.ts";

/** What a migration may need to know about the dialect. */
export interface MigrationContext {
  dialect: Dialect;
  /** Column type for raw bytes: blob (SQLite) or bytea (PostgreSQL). */
  bytes: string;
}
