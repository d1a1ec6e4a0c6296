/**
 * 0017: SCIM 2.0 provisioning (issue 10, modules/scim). Per-org bearer tokens (stored hashed);
 * what SCIM knows of a user beyond the users row (the identity provider's userName and
 * externalId, the name parts, the role a group mapping gave, a SCIM delete); SCIM groups with
 * their members and their mapping to an org role and channels; and the channel memberships a
 * mapping granted (only those are taken away when the mapping stops applying).
 */
import type { Kysely } from "kysely";
import type { Migration } from "kysely/migration";
import type { MigrationContext } from "./context.ts";

export function scim(_ctx: MigrationContext): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable("scim_tokens")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("org_id", "text", (c) => c.notNull().references("orgs.id"))
        .addColumn("name", "text", (c) => c.notNull())
        .addColumn("token_hash", "text", (c) => c.notNull().unique())
        // The role of who created it ("owner" | "admin"): the token acts with that authority.
        .addColumn("authority", "text", (c) => c.notNull())
        .addColumn("created_by", "text", (c) => c.notNull())
        .addColumn("created_at", "bigint", (c) => c.notNull())
        .addColumn("expires_at", "bigint")
        .addColumn("last_used_at", "bigint")
        .addColumn("revoked_at", "bigint")
        .execute();
      await db.schema.createIndex("scim_tokens_org").on("scim_tokens").columns(["org_id"]).execute();

      await db.schema
        .createTable("scim_users")
        .addColumn("user_id", "text", (c) => c.primaryKey().references("users.id"))
        .addColumn("org_id", "text", (c) => c.notNull())
        // The identity provider's userName as sent, and lowercased (unique in the org).
        .addColumn("user_name", "text", (c) => c.notNull())
        .addColumn("user_name_key", "text", (c) => c.notNull())
        .addColumn("external_id", "text")
        .addColumn("name_formatted", "text")
        .addColumn("family_name", "text")
        .addColumn("given_name", "text")
        .addColumn("middle_name", "text")
        .addColumn("honorific_prefix", "text")
        .addColumn("honorific_suffix", "text")
        // The org role a group mapping last gave the user (null: none).
        .addColumn("managed_role", "text")
        .addColumn("created_at", "bigint", (c) => c.notNull())
        .addColumn("updated_at", "bigint", (c) => c.notNull())
        // Set by a SCIM DELETE (the user is deactivated, not erased): SCIM no longer sees the user.
        .addColumn("deleted_at", "bigint")
        .addUniqueConstraint("scim_users_org_user_name", ["org_id", "user_name_key"])
        .execute();
      await db.schema.createIndex("scim_users_external_id").on("scim_users").columns(["org_id", "external_id"]).execute();

      await db.schema
        .createTable("scim_groups")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("org_id", "text", (c) => c.notNull().references("orgs.id"))
        .addColumn("display_name", "text", (c) => c.notNull())
        .addColumn("display_name_key", "text", (c) => c.notNull())
        .addColumn("external_id", "text")
        // The mapping an admin set: an org role ("admin" | "member" | "guest") or null.
        .addColumn("role", "text")
        .addColumn("created_at", "bigint", (c) => c.notNull())
        .addColumn("updated_at", "bigint", (c) => c.notNull())
        .addUniqueConstraint("scim_groups_org_display_name", ["org_id", "display_name_key"])
        .execute();

      await db.schema
        .createTable("scim_group_members")
        .addColumn("group_id", "text", (c) => c.notNull().references("scim_groups.id"))
        .addColumn("user_id", "text", (c) => c.notNull().references("users.id"))
        .addColumn("org_id", "text", (c) => c.notNull())
        .addColumn("created_at", "bigint", (c) => c.notNull())
        .addPrimaryKeyConstraint("scim_group_members_pk", ["group_id", "user_id"])
        .execute();
      await db.schema.createIndex("scim_group_members_user").on("scim_group_members").columns(["user_id"]).execute();

      await db.schema
        .createTable("scim_group_channels")
        .addColumn("group_id", "text", (c) => c.notNull().references("scim_groups.id"))
        .addColumn("channel_id", "text", (c) => c.notNull().references("channels.id"))
        .addColumn("org_id", "text", (c) => c.notNull())
        .addPrimaryKeyConstraint("scim_group_channels_pk", ["group_id", "channel_id"])
        .execute();

      await db.schema
        .createTable("scim_channel_grants")
        .addColumn("user_id", "text", (c) => c.notNull().references("users.id"))
        .addColumn("channel_id", "text", (c) => c.notNull().references("channels.id"))
        .addColumn("org_id", "text", (c) => c.notNull())
        .addColumn("created_at", "bigint", (c) => c.notNull())
        .addPrimaryKeyConstraint("scim_channel_grants_pk", ["user_id", "channel_id"])
        .execute();
    },
  };
}
