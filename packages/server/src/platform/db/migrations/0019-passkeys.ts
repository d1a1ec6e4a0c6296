/**
 * 0019: passkeys (WebAuthn, issue 10). A user's registered credentials (public key,
 * signature counter, transports) and the single-use challenges of registration and
 * sign-in ceremonies.
 */
import { sql, type Kysely } from "kysely";
import type { Migration } from "kysely/migration";
import type { MigrationContext } from "./context.ts";

export function passkeys(ctx: MigrationContext): Migration {
  const bytes = sql.raw(ctx.bytes);
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable("passkeys")
        // The credential id (base64url), unique across every org and user.
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("org_id", "text", (c) => c.notNull())
        .addColumn("user_id", "text", (c) => c.notNull().references("users.id"))
        .addColumn("name", "text", (c) => c.notNull())
        .addColumn("public_key", bytes, (c) => c.notNull())
        .addColumn("counter", "bigint", (c) => c.notNull())
        .addColumn("transports", "text", (c) => c.notNull())
        .addColumn("backed_up", "integer", (c) => c.notNull())
        .addColumn("created_at", "bigint", (c) => c.notNull())
        .addColumn("last_used_at", "bigint")
        .execute();
      await db.schema.createIndex("passkeys_user").on("passkeys").columns(["user_id"]).execute();
      await db.schema
        .createTable("webauthn_challenges")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("challenge", "text", (c) => c.notNull())
        // register | sign_in | mfa
        .addColumn("purpose", "text", (c) => c.notNull())
        .addColumn("org_id", "text", (c) => c.notNull())
        // register and mfa: whose ceremony it is; sign_in: null (the credential names the user).
        .addColumn("user_id", "text")
        .addColumn("expires_at", "bigint", (c) => c.notNull())
        .addColumn("used_at", "bigint")
        .execute();
    },
  };
}
