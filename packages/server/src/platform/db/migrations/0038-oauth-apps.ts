/**
 * 0038: OAuth2 apps (issue 13, docs/oauth-apps.md): the apps an org's admins register
 * (public clients: authorization code + PKCE), the grants users give them (each tied to the
 * scoped session that the app's access tokens open), and oidc-provider's own storage
 * (authorization codes, access and refresh tokens, interactions, provider sessions, grants),
 * keyed by the SHA-256 of the id so a stolen database holds no usable token.
 */
import type { Kysely } from "kysely";
import type { Migration } from "kysely/migration";
import type { MigrationContext } from "./context.ts";

export function oauthApps(_ctx: MigrationContext): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable("oauth_apps")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("org_id", "text", (c) => c.notNull())
        .addColumn("name", "text", (c) => c.notNull())
        .addColumn("redirect_uris", "text", (c) => c.notNull())
        .addColumn("scopes", "text", (c) => c.notNull())
        .addColumn("created_by", "text", (c) => c.notNull())
        .addColumn("created_at", "bigint", (c) => c.notNull())
        .addColumn("deleted_at", "bigint")
        .execute();
      await db.schema.createIndex("oauth_apps_org").on("oauth_apps").columns(["org_id", "created_at"]).execute();
      await db.schema
        .createTable("oauth_grants")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("org_id", "text", (c) => c.notNull())
        .addColumn("app_id", "text", (c) => c.notNull())
        .addColumn("user_id", "text", (c) => c.notNull())
        .addColumn("scopes", "text", (c) => c.notNull())
        .addColumn("session_id", "text", (c) => c.notNull())
        .addColumn("device_id", "text", (c) => c.notNull())
        .addColumn("created_at", "bigint", (c) => c.notNull())
        .addColumn("expires_at", "bigint", (c) => c.notNull())
        .addColumn("last_used_at", "bigint")
        .addColumn("revoked_at", "bigint")
        .execute();
      await db.schema.createIndex("oauth_grants_user").on("oauth_grants").columns(["org_id", "user_id"]).execute();
      await db.schema.createIndex("oauth_grants_app").on("oauth_grants").column("app_id").execute();
      await db.schema
        .createTable("oauth_store")
        .addColumn("kind", "text", (c) => c.notNull())
        .addColumn("id_hash", "text", (c) => c.notNull())
        .addColumn("payload", "text", (c) => c.notNull())
        .addColumn("grant_id", "text")
        .addColumn("uid", "text")
        .addColumn("expires_at", "bigint")
        .addColumn("consumed_at", "bigint")
        .addPrimaryKeyConstraint("oauth_store_pk", ["kind", "id_hash"])
        .execute();
      await db.schema.createIndex("oauth_store_grant").on("oauth_store").column("grant_id").execute();
      await db.schema.createIndex("oauth_store_uid").on("oauth_store").columns(["kind", "uid"]).execute();
      await db.schema.createIndex("oauth_store_expiry").on("oauth_store").column("expires_at").execute();
    },
  };
}
