/**
 * 0042: reminders (issue 13, `/remind`). The server keeps when a reminder is due and whether it
 * fired — never what it says nor which message it points at: those are sealed on the device in
 * the personal store (kind `reminder`, ADR 0009). The index serves a user's list and the firing
 * job's re-check.
 */
import type { Kysely } from "kysely";
import type { Migration } from "kysely/migration";
import type { MigrationContext } from "./context.ts";

export function reminders(_ctx: MigrationContext): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable("reminders")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("org_id", "text", (c) => c.notNull().references("orgs.id"))
        .addColumn("user_id", "text", (c) => c.notNull().references("users.id"))
        .addColumn("due_at", "bigint", (c) => c.notNull())
        .addColumn("state", "text", (c) => c.notNull())
        .addColumn("created_at", "bigint", (c) => c.notNull())
        .addColumn("fired_at", "bigint")
        .execute();
      await db.schema.createIndex("reminders_user").on("reminders").columns(["user_id", "state", "due_at"]).execute();
    },
  };
}
