/**
 * 0021: API keys and service accounts (issue 10). Keys (stored as SHA-256 hashes, with a
 * display prefix, scopes and an expiry); a user's kind (a person, or a service account);
 * and, on sessions, the key they came from and the scopes they are limited to.
 */
import type { Kysely } from "kysely";
import type { Migration } from "kysely/migration";
import type { MigrationContext } from "./context.ts";

export function apiKeys(_ctx: MigrationContext): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable("api_keys")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("org_id", "text", (c) => c.notNull())
        .addColumn("user_id", "text", (c) => c.notNull().references("users.id"))
        .addColumn("name", "text", (c) => c.notNull())
        .addColumn("key_hash", "text", (c) => c.notNull().unique())
        .addColumn("prefix", "text", (c) => c.notNull())
        // JSON array of read | write | admin.
        .addColumn("scopes", "text", (c) => c.notNull())
        .addColumn("created_by", "text", (c) => c.notNull())
        .addColumn("created_at", "bigint", (c) => c.notNull())
        .addColumn("expires_at", "bigint", (c) => c.notNull())
        .addColumn("last_used_at", "bigint")
        .addColumn("revoked_at", "bigint")
        .execute();
      await db.schema.createIndex("api_keys_org").on("api_keys").columns(["org_id", "user_id"]).execute();
      await db.schema
        .alterTable("users")
        .addColumn("kind", "text", (c) => c.notNull().defaultTo("human"))
        .execute();
      await db.schema.alterTable("sessions").addColumn("api_key_id", "text").execute();
      await db.schema.alterTable("sessions").addColumn("scopes", "text").execute();
    },
  };
}
