/**
 * 0011: a channel's history policy (issue 9, ADR 0007): `shared`, `joined` or
 * `device-only`. Existing channels get what a new channel of their kind gets: shared for
 * public and private channels, joined for DMs and group DMs.
 */
import { sql, type Kysely } from "kysely";
import type { Migration } from "kysely/migration";
import type { MigrationContext } from "./context.ts";

export function channelHistoryPolicy(_ctx: MigrationContext): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .alterTable("channels")
        .addColumn("history", "text", (c) => c.notNull().defaultTo("shared"))
        .execute();
      await sql`update channels set history = 'joined' where kind in ('dm', 'group_dm')`.execute(db);
    },
  };
}
