/**
 * 0033: profiles (issue 13). A status is an emoji, a text and an optional expiry
 * (`status_expires_at`, ms; an expired status reads as none and is cleared lazily);
 * a profile has a job title and an IANA time zone. The directory searches titles too.
 */
import type { Kysely } from "kysely";
import type { Migration } from "kysely/migration";
import type { MigrationContext } from "./context.ts";

export function profiles(_ctx: MigrationContext): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema.alterTable("users").addColumn("status_emoji", "text").execute();
      await db.schema.alterTable("users").addColumn("status_expires_at", "bigint").execute();
      await db.schema.alterTable("users").addColumn("title", "text").execute();
      await db.schema.alterTable("users").addColumn("time_zone", "text").execute();
    },
  };
}
