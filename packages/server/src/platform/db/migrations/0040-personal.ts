/**
 * 0040: the personal store and custom emoji (issue 13). `personal_items` holds each user's
 * sealed saved messages, drafts and settings under opaque keys their devices compute (ADR
 * 0009); `sealed` null is a tombstone. `personal_heads` is the user's change counter, bumped
 * under a row lock by every change, so `version` orders a user's changes for sync.
 * `custom_emoji` holds the org's emoji images (org assets, stored in the clear).
 */
import { sql, type Kysely } from "kysely";
import type { Migration } from "kysely/migration";
import type { MigrationContext } from "./context.ts";

export function personal(ctx: MigrationContext): Migration {
  const bytes = sql.raw(ctx.bytes);
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable("personal_items")
        .addColumn("user_id", "text", (c) => c.notNull().references("users.id"))
        .addColumn("kind", "text", (c) => c.notNull())
        .addColumn("item_key", "text", (c) => c.notNull())
        .addColumn("org_id", "text", (c) => c.notNull())
        .addColumn("sealed", bytes)
        .addColumn("version", "bigint", (c) => c.notNull())
        .addColumn("client_ts", "bigint", (c) => c.notNull())
        .addColumn("device_id", "text", (c) => c.notNull())
        .addColumn("updated_at", "bigint", (c) => c.notNull())
        .addPrimaryKeyConstraint("personal_items_pk", ["user_id", "kind", "item_key"])
        .execute();
      await db.schema.createIndex("personal_items_changes").on("personal_items").columns(["user_id", "version"]).execute();
      await db.schema
        .createTable("personal_heads")
        .addColumn("user_id", "text", (c) => c.primaryKey().references("users.id"))
        .addColumn("version", "bigint", (c) => c.notNull())
        .execute();
      await db.schema
        .createTable("custom_emoji")
        .addColumn("org_id", "text", (c) => c.notNull().references("orgs.id"))
        .addColumn("name", "text", (c) => c.notNull())
        .addColumn("content_type", "text", (c) => c.notNull())
        .addColumn("data", bytes, (c) => c.notNull())
        .addColumn("version", "text", (c) => c.notNull())
        .addColumn("width", "integer", (c) => c.notNull())
        .addColumn("height", "integer", (c) => c.notNull())
        .addColumn("created_by", "text", (c) => c.notNull())
        .addColumn("created_at", "bigint", (c) => c.notNull())
        .addPrimaryKeyConstraint("custom_emoji_pk", ["org_id", "name"])
        .execute();
    },
  };
}
