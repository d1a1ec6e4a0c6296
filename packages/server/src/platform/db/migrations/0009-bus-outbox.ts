/**
 * 0009: the bus outbox (platform/bus/outbox.ts). Every bus message a command
 * emits is a row written in the command's transaction, so a committed change is
 * announced even when its process dies between the COMMIT and the publish; the
 * relay deletes a row once it has published it.
 */
import type { Kysely } from "kysely";
import type { Migration } from "kysely/migration";
import type { MigrationContext } from "./context.ts";

export function busOutbox(ctx: MigrationContext): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable("bus_outbox")
        // Publish order: a serial (SQLite: the rowid).
        .addColumn("id", ctx.dialect === "postgres" ? "bigserial" : "integer", (c) => c.primaryKey())
        .addColumn("topic", "text", (c) => c.notNull())
        // The message as JSON (what the bus would carry).
        .addColumn("payload", "text", (c) => c.notNull())
        .addColumn("created_at", "bigint", (c) => c.notNull())
        .execute();
    },
  };
}
