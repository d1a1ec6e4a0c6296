/**
 * 0006: "reset encryption" (issue 7). A channel's MLS group has a generation: a reset
 * drops the group and the next generation starts over (new group id, epochs from 0).
 * Each event records the generation it belongs to, and each group the MLS engine that
 * made it (another engine cannot continue it: a library upgrade is a reset).
 */
import type { Kysely } from "kysely";
import type { Migration } from "kysely/migration";
import type { MigrationContext } from "./context.ts";

/** The only engine before engines were recorded. */
const LEGACY_ENGINE = "ts-mls@2.0.0-rc.10";

export function mlsGenerations(_ctx: MigrationContext): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .alterTable("channels")
        .addColumn("mls_generation", "integer", (c) => c.notNull().defaultTo(0))
        .execute();
      // When the last reset happened (members' resets are rate-limited per channel).
      await db.schema.alterTable("channels").addColumn("mls_reset_at", "bigint").execute();
      await db.schema
        .alterTable("events")
        .addColumn("generation", "integer", (c) => c.notNull().defaultTo(0))
        .execute();
      await db.schema
        .alterTable("mls_groups")
        .addColumn("engine", "text", (c) => c.notNull().defaultTo(LEGACY_ENGINE))
        .execute();
    },
  };
}
