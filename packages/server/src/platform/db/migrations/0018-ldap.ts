/**
 * 0018: LDAP / Active Directory (issue 10). Per org: the directory settings (JSON, checked
 * against the protocol schema on read), the service account's password sealed through
 * platform/kms, and the sync's state (last outcome, a lease so one sync of an org runs at
 * a time). Per user: the link of a Parley account to its directory entry (the entry's
 * stable id and DN; whether the sync deactivated it, so only those come back by
 * themselves). Per channel: the memberships the group mapping granted, so a sync removes
 * only what it added.
 */
import type { Kysely } from "kysely";
import type { Migration } from "kysely/migration";
import type { MigrationContext } from "./context.ts";

export function ldap(_ctx: MigrationContext): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable("ldap_configs")
        .addColumn("org_id", "text", (c) => c.primaryKey().references("orgs.id"))
        .addColumn("settings", "text", (c) => c.notNull())
        .addColumn("bind_password", "text", (c) => c.notNull())
        .addColumn("updated_by", "text", (c) => c.notNull())
        .addColumn("updated_at", "bigint", (c) => c.notNull())
        .addColumn("last_sync", "text")
        .addColumn("last_sync_at", "bigint")
        .addColumn("sync_lease_until", "bigint")
        .execute();
      await db.schema
        .createTable("ldap_accounts")
        .addColumn("user_id", "text", (c) => c.primaryKey().references("users.id"))
        .addColumn("org_id", "text", (c) => c.notNull())
        .addColumn("external_id", "text", (c) => c.notNull())
        .addColumn("dn", "text", (c) => c.notNull())
        .addColumn("deactivated_by_sync", "integer", (c) => c.notNull())
        .addColumn("created_at", "bigint", (c) => c.notNull())
        .addColumn("synced_at", "bigint", (c) => c.notNull())
        .execute();
      await db.schema.createIndex("ldap_accounts_external").on("ldap_accounts").columns(["org_id", "external_id"]).unique().execute();
      await db.schema
        .createTable("ldap_channel_grants")
        .addColumn("channel_id", "text", (c) => c.notNull().references("channels.id"))
        .addColumn("user_id", "text", (c) => c.notNull().references("users.id"))
        .addColumn("org_id", "text", (c) => c.notNull())
        .addColumn("created_at", "bigint", (c) => c.notNull())
        .addPrimaryKeyConstraint("ldap_channel_grants_pk", ["channel_id", "user_id"])
        .execute();
      await db.schema.createIndex("ldap_channel_grants_user").on("ldap_channel_grants").columns(["user_id"]).execute();
    },
  };
}
