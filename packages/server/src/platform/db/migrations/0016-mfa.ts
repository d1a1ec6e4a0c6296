/**
 * 0016: multi-factor authentication (issue 10). A user's authenticator secret (sealed
 * through platform/kms; a pending one while enrolling) with the last accepted time step
 * (a code is accepted once); hashed one-time recovery codes; sign-in challenges between
 * the password and the second factor; and a session restriction for users whose org
 * requires MFA they have not set up.
 */
import type { Kysely } from "kysely";
import type { Migration } from "kysely/migration";
import type { MigrationContext } from "./context.ts";

export function mfa(_ctx: MigrationContext): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable("user_mfa")
        .addColumn("user_id", "text", (c) => c.primaryKey().references("users.id"))
        .addColumn("org_id", "text", (c) => c.notNull())
        .addColumn("totp_secret", "text")
        .addColumn("totp_enabled_at", "bigint")
        .addColumn("totp_last_step", "bigint")
        .addColumn("pending_secret", "text")
        .addColumn("pending_at", "bigint")
        .execute();
      await db.schema
        .createTable("mfa_recovery_codes")
        .addColumn("code_hash", "text", (c) => c.primaryKey())
        .addColumn("user_id", "text", (c) => c.notNull().references("users.id"))
        .addColumn("org_id", "text", (c) => c.notNull())
        .addColumn("created_at", "bigint", (c) => c.notNull())
        .addColumn("used_at", "bigint")
        .execute();
      await db.schema.createIndex("mfa_recovery_codes_user").on("mfa_recovery_codes").columns(["user_id"]).execute();
      await db.schema
        .createTable("mfa_challenges")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("token_hash", "text", (c) => c.notNull().unique())
        .addColumn("org_id", "text", (c) => c.notNull())
        .addColumn("user_id", "text", (c) => c.notNull().references("users.id"))
        // The sign-in's device: an existing one to reuse, or the name of one to register.
        .addColumn("device_id", "text")
        .addColumn("device_name", "text")
        .addColumn("attempts", "integer", (c) => c.notNull())
        .addColumn("created_at", "bigint", (c) => c.notNull())
        .addColumn("expires_at", "bigint", (c) => c.notNull())
        .addColumn("used_at", "bigint")
        .execute();
      // "mfa_enrollment": the session may only enrol an authenticator (the org requires MFA, the grace period is over).
      await db.schema.alterTable("sessions").addColumn("restriction", "text").execute();
    },
  };
}
