/**
 * 0007: durable jobs (platform/jobs). Work that must happen after a commit or
 * on a schedule is a row, written in the transaction that needs it, claimed
 * by one process at a time under a lease, retried with backoff and kept as
 * `dead` after its last attempt. Done rows are kept for a while (the dedupe key
 * of a periodic job must outlive its period) and then purged by the runner.
 */
import type { Kysely } from "kysely";
import type { Migration } from "kysely/migration";
import type { MigrationContext } from "./context.ts";

export function jobs(_ctx: MigrationContext): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable("jobs")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("name", "text", (c) => c.notNull())
        // JSON text, parsed by the job's handler.
        .addColumn("payload", "text", (c) => c.notNull())
        // queued | running | done | dead
        .addColumn("state", "text", (c) => c.notNull())
        .addColumn("attempts", "integer", (c) => c.notNull().defaultTo(0))
        .addColumn("max_attempts", "integer", (c) => c.notNull())
        // Not before this time (ms): the enqueue time, or the next retry after a backoff.
        .addColumn("run_at", "bigint", (c) => c.notNull())
        // The claim: which runner holds the job and until when (a lease; expired = claimable again).
        .addColumn("locked_by", "text")
        .addColumn("locked_until", "bigint")
        .addColumn("last_error", "text")
        .addColumn("created_at", "bigint", (c) => c.notNull())
        .addColumn("updated_at", "bigint", (c) => c.notNull())
        // At most one job per key (NULLs are distinct on both dialects): periodic jobs use name@period.
        .addColumn("dedupe_key", "text", (c) => c.unique())
        .execute();
      // Claiming scans due queued jobs and expired running ones by state then time.
      await db.schema.createIndex("jobs_claim").on("jobs").columns(["state", "run_at"]).execute();
      await db.schema.createIndex("jobs_lease").on("jobs").columns(["state", "locked_until"]).execute();
    },
  };
}
