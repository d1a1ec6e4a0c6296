/**
 * 0003: each channel's MLS group as the Delivery Service keeps it: the latest
 * GroupInfo (for external joins and the server's Remove proposals), the leaf
 * map (which device sits at which leaf: who may commit, what may be removed),
 * Welcomes waiting for the devices they add, and removals the server has asked
 * for and no commit has made yet.
 */
import { sql, type Kysely } from "kysely";
import type { Migration } from "kysely/migration";
import type { MigrationContext } from "./context.ts";

export function mlsGroups({ bytes }: MigrationContext): Migration {
  return {
    async up(db: Kysely<unknown>) {
      // channels.epoch stays the authority for the epoch (the conditional UPDATE that picks the winner).
      await db.schema
        .createTable("mls_groups")
        .addColumn("channel_id", "text", (c) => c.primaryKey().references("channels.id"))
        .addColumn("org_id", "text", (c) => c.notNull())
        .addColumn("suite", "text", (c) => c.notNull())
        .addColumn("epoch", "bigint", (c) => c.notNull())
        .addColumn("group_info", sql.raw(bytes), (c) => c.notNull())
        .addColumn("created_by", "text", (c) => c.notNull())
        .addColumn("created_at", "bigint", (c) => c.notNull())
        .addColumn("updated_at", "bigint", (c) => c.notNull())
        .execute();
      await db.schema
        .createTable("mls_leaves")
        .addColumn("channel_id", "text", (c) => c.notNull().references("channels.id"))
        .addColumn("leaf_index", "integer", (c) => c.notNull())
        .addColumn("org_id", "text", (c) => c.notNull())
        .addColumn("user_id", "text", (c) => c.notNull())
        .addColumn("device_id", "text", (c) => c.notNull())
        .addColumn("signature_key", sql.raw(bytes), (c) => c.notNull())
        .addPrimaryKeyConstraint("mls_leaves_pk", ["channel_id", "leaf_index"])
        .execute();
      // Revocation and deactivation find every group a device / user is in.
      await db.schema.createIndex("mls_leaves_device").on("mls_leaves").column("device_id").execute();
      await db.schema.createIndex("mls_leaves_user").on("mls_leaves").columns(["user_id", "channel_id"]).execute();
      await db.schema
        .createTable("mls_welcomes")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("channel_id", "text", (c) => c.notNull().references("channels.id"))
        .addColumn("org_id", "text", (c) => c.notNull())
        .addColumn("epoch", "bigint", (c) => c.notNull())
        .addColumn("data", sql.raw(bytes), (c) => c.notNull())
        // JSON array of the user ids whose devices it adds: only they may fetch it.
        .addColumn("recipients", "text", (c) => c.notNull())
        .addColumn("created_at", "bigint", (c) => c.notNull())
        .execute();
      await db.schema.createIndex("mls_welcomes_channel").on("mls_welcomes").columns(["channel_id", "epoch"]).execute();
      await db.schema
        .createTable("mls_pending_removals")
        .addColumn("channel_id", "text", (c) => c.notNull().references("channels.id"))
        .addColumn("device_id", "text", (c) => c.notNull())
        .addColumn("org_id", "text", (c) => c.notNull())
        .addColumn("user_id", "text", (c) => c.notNull())
        .addColumn("leaf_index", "integer", (c) => c.notNull())
        .addColumn("reason", "text", (c) => c.notNull())
        // The epoch the server's current proposal was issued for, its timeline seq and ProposalRef.
        .addColumn("proposed_epoch", "bigint")
        .addColumn("proposal_seq", "bigint")
        .addColumn("proposal_ref", "text")
        .addColumn("created_at", "bigint", (c) => c.notNull())
        .addPrimaryKeyConstraint("mls_pending_removals_pk", ["channel_id", "device_id"])
        .execute();
    },
  };
}
