/**
 * 0022: the server operator (issue 10). Operator tokens (hashed; made on the server with
 * `parley admin operator-token create`) and an org's suspension.
 */
import type { Kysely } from "kysely";
import type { Migration } from "kysely/migration";
import type { MigrationContext } from "./context.ts";

export function operators(_ctx: MigrationContext): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable("operator_tokens")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("name", "text", (c) => c.notNull())
        .addColumn("token_hash", "text", (c) => c.notNull().unique())
        .addColumn("created_at", "bigint", (c) => c.notNull())
        .addColumn("last_used_at", "bigint")
        .addColumn("revoked_at", "bigint")
        .execute();
      await db.schema.alterTable("orgs").addColumn("suspended_at", "bigint").execute();
      await db.schema.alterTable("orgs").addColumn("suspended_reason", "text").execute();
    },
  };
}
