/**
 * 0005: each Welcome keeps the GroupInfo of its epoch. Welcomes no longer carry the
 * ratchet tree (issue 7: hashing it into every joiner's sealed secrets dominated large
 * adds); the joiner takes it from this GroupInfo, the one the commit bundle posted. The
 * channel's `mls_groups.group_info` cannot serve: it moves on with every later commit.
 * Null for Welcomes stored before this migration (they carry the tree themselves).
 */
import { sql, type Kysely } from "kysely";
import type { Migration } from "kysely/migration";
import type { MigrationContext } from "./context.ts";

export function welcomeGroupInfo({ bytes }: MigrationContext): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema.alterTable("mls_welcomes").addColumn("group_info", sql.raw(bytes)).execute();
    },
  };
}
