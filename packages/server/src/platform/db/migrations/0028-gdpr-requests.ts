/**
 * 0028: the register of data-subject requests (issue 11, docs/gdpr.md): every export made
 * (recorded as completed), every erasure asked for by a user (pending until an officer erases
 * or declines) or done by an officer on their own. Kept after an erasure, with the user's note
 * cleared, as the record that the request was answered (GDPR Art. 5(2), 12).
 */
import type { Kysely } from "kysely";
import type { Migration } from "kysely/migration";
import type { MigrationContext } from "./context.ts";

export function gdprRequests(_ctx: MigrationContext): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable("gdpr_requests")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("org_id", "text", (c) => c.notNull())
        .addColumn("user_id", "text", (c) => c.notNull())
        .addColumn("kind", "text", (c) => c.notNull())
        .addColumn("status", "text", (c) => c.notNull())
        .addColumn("requested_by", "text")
        .addColumn("requested_at", "bigint", (c) => c.notNull())
        .addColumn("note", "text", (c) => c.notNull())
        .addColumn("decided_by", "text")
        .addColumn("decided_at", "bigint")
        .addColumn("response", "text", (c) => c.notNull())
        .execute();
      await db.schema.createIndex("gdpr_requests_org").on("gdpr_requests").columns(["org_id", "status", "requested_at"]).execute();
      await db.schema.createIndex("gdpr_requests_user").on("gdpr_requests").columns(["org_id", "user_id"]).execute();
    },
  };
}
