/**
 * 0025: sticky channel readers. A channel admin's decision that a user may only read a
 * channel outlives the membership: whoever leaves or is removed as a reader comes back as one
 * (join, invite, group mappings, an external MLS join) until someone with channel.manage gives
 * them another role (modules/channels/restrictions.ts). Today's readers are recorded
 * (`set_by` null: set before this migration).
 */
import { sql, type Kysely } from "kysely";
import type { Migration } from "kysely/migration";
import type { MigrationContext } from "./context.ts";

export function channelRestrictions(_ctx: MigrationContext): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable("channel_restrictions")
        .addColumn("channel_id", "text", (c) => c.notNull().references("channels.id"))
        .addColumn("user_id", "text", (c) => c.notNull().references("users.id"))
        .addColumn("org_id", "text", (c) => c.notNull())
        .addColumn("role", "text", (c) => c.notNull())
        .addColumn("set_by", "text")
        .addColumn("set_at", "bigint", (c) => c.notNull())
        .addPrimaryKeyConstraint("channel_restrictions_pk", ["channel_id", "user_id"])
        .execute();
      await sql`INSERT INTO channel_restrictions (channel_id, user_id, org_id, role, set_by, set_at)
        SELECT channel_id, user_id, org_id, role, NULL, ${sql.lit(Date.now())} FROM channel_members WHERE role = 'reader'`.execute(db);
    },
  };
}
