/**
 * 0020: single sign-on (issue 10). Per org: identity providers (`kind` "oidc" now; SAML will
 * reuse the table with its own kind), their settings as JSON (checked against the protocol
 * schema on read) and the client secret sealed through platform/kms. Per user: links of a
 * Parley account to an IdP subject (provider + `sub`). Per sign-in: the one-time state row
 * of the redirect to the IdP (state hashed, nonce, PKCE verifier sealed, the browser it was
 * started in hashed) and the one-time code the callback hands the web app (hashed). Replayed
 * back-channel logout tokens are refused by their `jti`. Channel memberships the group
 * mapping granted are recorded, so the mapping removes only what it added. Sessions started
 * by a single sign-on remember the provider and the IdP's session id (`sid`), which
 * back-channel logout names.
 */
import type { Kysely } from "kysely";
import type { Migration } from "kysely/migration";
import type { MigrationContext } from "./context.ts";

export function sso(_ctx: MigrationContext): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable("sso_providers")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("org_id", "text", (c) => c.notNull().references("orgs.id"))
        .addColumn("kind", "text", (c) => c.notNull())
        .addColumn("name", "text", (c) => c.notNull())
        .addColumn("enabled", "integer", (c) => c.notNull())
        .addColumn("settings", "text", (c) => c.notNull())
        .addColumn("client_secret", "text")
        .addColumn("created_by", "text", (c) => c.notNull())
        .addColumn("created_at", "bigint", (c) => c.notNull())
        .addColumn("updated_by", "text", (c) => c.notNull())
        .addColumn("updated_at", "bigint", (c) => c.notNull())
        .execute();
      await db.schema.createIndex("sso_providers_org").on("sso_providers").columns(["org_id"]).execute();
      await db.schema
        .createTable("sso_identities")
        .addColumn("provider_id", "text", (c) => c.notNull().references("sso_providers.id"))
        .addColumn("subject", "text", (c) => c.notNull())
        .addColumn("org_id", "text", (c) => c.notNull())
        .addColumn("user_id", "text", (c) => c.notNull().references("users.id"))
        .addColumn("created_at", "bigint", (c) => c.notNull())
        .addColumn("last_sign_in_at", "bigint")
        .addPrimaryKeyConstraint("sso_identities_pk", ["provider_id", "subject"])
        .execute();
      await db.schema.createIndex("sso_identities_user").on("sso_identities").columns(["user_id", "provider_id"]).unique().execute();
      await db.schema
        .createTable("sso_states")
        .addColumn("state_hash", "text", (c) => c.primaryKey())
        .addColumn("org_id", "text", (c) => c.notNull())
        .addColumn("provider_id", "text", (c) => c.notNull())
        .addColumn("nonce", "text", (c) => c.notNull())
        .addColumn("code_verifier", "text", (c) => c.notNull())
        .addColumn("browser_hash", "text", (c) => c.notNull())
        .addColumn("device_name", "text")
        .addColumn("created_at", "bigint", (c) => c.notNull())
        .addColumn("expires_at", "bigint", (c) => c.notNull())
        .addColumn("used_at", "bigint")
        .execute();
      await db.schema.createIndex("sso_states_expires").on("sso_states").columns(["expires_at"]).execute();
      await db.schema
        .createTable("sso_codes")
        .addColumn("code_hash", "text", (c) => c.primaryKey())
        .addColumn("org_id", "text", (c) => c.notNull())
        .addColumn("provider_id", "text", (c) => c.notNull())
        .addColumn("user_id", "text", (c) => c.notNull())
        .addColumn("browser_hash", "text", (c) => c.notNull())
        .addColumn("sid", "text")
        .addColumn("amr", "text")
        .addColumn("device_name", "text")
        .addColumn("created_at", "bigint", (c) => c.notNull())
        .addColumn("expires_at", "bigint", (c) => c.notNull())
        .addColumn("used_at", "bigint")
        .execute();
      await db.schema.createIndex("sso_codes_expires").on("sso_codes").columns(["expires_at"]).execute();
      await db.schema
        .createTable("sso_logout_tokens")
        .addColumn("provider_id", "text", (c) => c.notNull())
        .addColumn("jti", "text", (c) => c.notNull())
        .addColumn("expires_at", "bigint", (c) => c.notNull())
        .addPrimaryKeyConstraint("sso_logout_tokens_pk", ["provider_id", "jti"])
        .execute();
      await db.schema
        .createTable("sso_channel_grants")
        .addColumn("channel_id", "text", (c) => c.notNull().references("channels.id"))
        .addColumn("user_id", "text", (c) => c.notNull().references("users.id"))
        .addColumn("org_id", "text", (c) => c.notNull())
        .addColumn("provider_id", "text", (c) => c.notNull())
        .addColumn("created_at", "bigint", (c) => c.notNull())
        .addPrimaryKeyConstraint("sso_channel_grants_pk", ["channel_id", "user_id"])
        .execute();
      await db.schema.createIndex("sso_channel_grants_user").on("sso_channel_grants").columns(["user_id"]).execute();
      await db.schema.alterTable("sessions").addColumn("sso_provider_id", "text").execute();
      await db.schema.alterTable("sessions").addColumn("sso_sid", "text").execute();
      await db.schema.createIndex("sessions_sso").on("sessions").columns(["sso_provider_id", "sso_sid"]).execute();
    },
  };
}
