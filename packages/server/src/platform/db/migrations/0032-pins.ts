/**
 * 0032: pinned messages (issue 13). A pin is a reference only — channel, seq, who pinned it
 * and when — never content; at most one pin per message. Listed newest first per channel.
 */
import type { Kysely } from "kysely";
import type { Migration } from "kysely/migration";
import type { MigrationContext } from "./context.ts";

export function pins(_ctx: MigrationContext): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable("channel_pins")
        .addColumn("channel_id", "text", (c) => c.notNull().references("channels.id"))
        .addColumn("seq", "bigint", (c) => c.notNull())
        .addColumn("org_id", "text", (c) => c.notNull())
        .addColumn("pinned_by", "text", (c) => c.notNull())
        .addColumn("pinned_at", "bigint", (c) => c.notNull())
        .addPrimaryKeyConstraint("channel_pins_pk", ["channel_id", "seq"])
        .execute();
      await db.schema.createIndex("channel_pins_recent").on("channel_pins").columns(["channel_id", "pinned_at"]).execute();
    },
  };
}
