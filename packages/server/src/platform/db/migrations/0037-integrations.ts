/**
 * 0037: integrations (issue 13). Incoming and outgoing webhooks run in a bot runtime that holds
 * the bot's keys; the server keeps only their metadata (kind, name, bot, channel, where the
 * runtime runs, enabled) and the dead letters the runtime reports — delivery id, channel and
 * seq, target host, last status and error, attempts, time; never content. Names are unique
 * per org; a delivery is reported once per integration.
 */
import type { Kysely } from "kysely";
import type { Migration } from "kysely/migration";
import type { MigrationContext } from "./context.ts";

export function integrations(_ctx: MigrationContext): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable("integrations")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("org_id", "text", (c) => c.notNull())
        .addColumn("kind", "text", (c) => c.notNull())
        .addColumn("name", "text", (c) => c.notNull())
        .addColumn("bot_user_id", "text", (c) => c.notNull())
        .addColumn("channel_id", "text", (c) => c.notNull())
        .addColumn("runs_at", "text", (c) => c.notNull())
        .addColumn("enabled", "integer", (c) => c.notNull())
        .addColumn("created_by", "text", (c) => c.notNull())
        .addColumn("created_at", "bigint", (c) => c.notNull())
        .addColumn("updated_at", "bigint", (c) => c.notNull())
        .addUniqueConstraint("integrations_org_name", ["org_id", "name"])
        .execute();
      await db.schema
        .createTable("integration_dead_letters")
        .addColumn("integration_id", "text", (c) => c.notNull())
        .addColumn("delivery_id", "text", (c) => c.notNull())
        .addColumn("org_id", "text", (c) => c.notNull())
        .addColumn("channel_id", "text", (c) => c.notNull())
        .addColumn("seq", "bigint", (c) => c.notNull())
        .addColumn("target_host", "text", (c) => c.notNull())
        .addColumn("last_status", "integer")
        .addColumn("last_error", "text", (c) => c.notNull())
        .addColumn("attempts", "integer", (c) => c.notNull())
        .addColumn("failed_at", "bigint", (c) => c.notNull())
        .addColumn("reported_at", "bigint", (c) => c.notNull())
        .addPrimaryKeyConstraint("integration_dead_letters_pk", ["integration_id", "delivery_id"])
        .execute();
      await db.schema.createIndex("integration_dead_letters_recent").on("integration_dead_letters").columns(["integration_id", "failed_at"]).execute();
    },
  };
}
