/**
 * 0015: accounts (issue 10, first slice). A user's email address (unique in the org,
 * lowercased), status line, profile picture, and when the password last changed; the
 * address an invite was emailed to; single-use account tokens (password-reset and
 * email-verification links, stored hashed); profile pictures.
 */
import { sql, type Kysely } from "kysely";
import type { Migration } from "kysely/migration";
import type { MigrationContext } from "./context.ts";

export function accounts(ctx: MigrationContext): Migration {
  const bytes = sql.raw(ctx.bytes);
  return {
    async up(db: Kysely<unknown>) {
      for (const [name, type] of [
        ["email", "text"],
        ["status_text", "text"],
        ["avatar_version", "text"],
        ["password_changed_at", "bigint"],
      ] as const) {
        await db.schema.alterTable("users").addColumn(name, type).execute();
      }
      // One account per address in an org (null: no address). Partial unique indexes work on both dialects.
      await db.schema.createIndex("users_org_email").on("users").columns(["org_id", "email"]).unique().where(sql.ref("email"), "is not", null).execute();
      await db.schema.alterTable("invites").addColumn("email", "text").execute();
      await db.schema
        .createTable("account_tokens")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("token_hash", "text", (c) => c.notNull().unique())
        // password_reset | email_verify
        .addColumn("purpose", "text", (c) => c.notNull())
        .addColumn("org_id", "text", (c) => c.notNull())
        .addColumn("user_id", "text", (c) => c.notNull().references("users.id"))
        // email_verify: the address the link was sent to (it becomes the user's when followed).
        .addColumn("email", "text")
        // "self" or the id of the admin who asked for it.
        .addColumn("created_by", "text", (c) => c.notNull())
        .addColumn("created_at", "bigint", (c) => c.notNull())
        .addColumn("expires_at", "bigint", (c) => c.notNull())
        .addColumn("used_at", "bigint")
        .execute();
      await db.schema.createIndex("account_tokens_user").on("account_tokens").columns(["user_id", "purpose"]).execute();
      await db.schema
        .createTable("user_avatars")
        .addColumn("user_id", "text", (c) => c.primaryKey().references("users.id"))
        .addColumn("org_id", "text", (c) => c.notNull())
        .addColumn("content_type", "text", (c) => c.notNull())
        .addColumn("data", bytes, (c) => c.notNull())
        .addColumn("version", "text", (c) => c.notNull())
        .addColumn("updated_at", "bigint", (c) => c.notNull())
        .execute();
    },
  };
}
