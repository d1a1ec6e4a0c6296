/**
 * 0036: slash commands registered by bots (issue 13, docs/bots.md): per service account, the
 * name, description and usage of each command it answers. Metadata only: invocations are
 * MLS-encrypted messages the server cannot read.
 */
import type { Kysely } from "kysely";
import type { Migration } from "kysely/migration";
import type { MigrationContext } from "./context.ts";

export function botCommands(_ctx: MigrationContext): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable("bot_commands")
        .addColumn("user_id", "text", (c) => c.notNull())
        .addColumn("name", "text", (c) => c.notNull())
        .addColumn("org_id", "text", (c) => c.notNull())
        .addColumn("description", "text", (c) => c.notNull())
        .addColumn("usage", "text", (c) => c.notNull())
        .addColumn("updated_at", "bigint", (c) => c.notNull())
        .addPrimaryKeyConstraint("bot_commands_pk", ["user_id", "name"])
        .execute();
      await db.schema.createIndex("bot_commands_org").on("bot_commands").column("org_id").execute();
    },
  };
}
