/**
 * 0012: an event's archive copy (issue 9, ADR 0007): the event's content sealed under the
 * epoch's history key and signed by the sending device, beside its MLS ciphertext. Null for
 * events without one (every event before this, the server's own events, device-only channels).
 */
import { sql, type Kysely } from "kysely";
import type { Migration } from "kysely/migration";
import type { MigrationContext } from "./context.ts";

export function eventArchiveCopies(ctx: MigrationContext): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema.alterTable("events").addColumn("archive", sql.raw(ctx.bytes)).execute();
    },
  };
}
