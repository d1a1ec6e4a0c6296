/**
 * 0024: roles and policies (issue 10). Channel labels; the org's Cedar policies; custom org
 * roles and who holds them; the org's access version (bumped by every change to any of
 * these, so each server process sees at once that its cached copy is stale); and whether a
 * session was opened with a second factor (Cedar's `principal.mfa`).
 */
import type { Kysely } from "kysely";
import type { Migration } from "kysely/migration";
import type { MigrationContext } from "./context.ts";

export function policies(_ctx: MigrationContext): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .alterTable("channels")
        .addColumn("labels", "text", (c) => c.notNull().defaultTo("[]"))
        .execute();
      await db.schema
        .alterTable("orgs")
        .addColumn("access_version", "integer", (c) => c.notNull().defaultTo(0))
        .execute();
      await db.schema
        .alterTable("sessions")
        .addColumn("mfa", "integer", (c) => c.notNull().defaultTo(0))
        .execute();
      await db.schema
        .createTable("org_policies")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("org_id", "text", (c) => c.notNull().references("orgs.id"))
        .addColumn("name", "text", (c) => c.notNull())
        .addColumn("description", "text", (c) => c.notNull())
        .addColumn("text", "text", (c) => c.notNull())
        .addColumn("enabled", "integer", (c) => c.notNull())
        .addColumn("created_by", "text", (c) => c.notNull())
        .addColumn("created_at", "bigint", (c) => c.notNull())
        .addColumn("updated_at", "bigint", (c) => c.notNull())
        .addUniqueConstraint("org_policies_name", ["org_id", "name"])
        .execute();
      await db.schema
        .createTable("org_roles")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("org_id", "text", (c) => c.notNull().references("orgs.id"))
        .addColumn("name", "text", (c) => c.notNull())
        .addColumn("description", "text", (c) => c.notNull())
        // JSON array of catalogue permissions (modules/access/permissions.ts).
        .addColumn("permissions", "text", (c) => c.notNull())
        .addColumn("created_at", "bigint", (c) => c.notNull())
        .addColumn("updated_at", "bigint", (c) => c.notNull())
        .addUniqueConstraint("org_roles_name", ["org_id", "name"])
        .execute();
      await db.schema
        .createTable("org_role_members")
        .addColumn("role_id", "text", (c) => c.notNull().references("org_roles.id"))
        .addColumn("user_id", "text", (c) => c.notNull().references("users.id"))
        .addColumn("org_id", "text", (c) => c.notNull())
        .addColumn("granted_by", "text", (c) => c.notNull())
        .addColumn("granted_at", "bigint", (c) => c.notNull())
        .addPrimaryKeyConstraint("org_role_members_pk", ["role_id", "user_id"])
        .execute();
      await db.schema.createIndex("org_role_members_org").on("org_role_members").columns(["org_id", "user_id"]).execute();
    },
  };
}
