/** 0002: the E2EE device directory (signed bindings) and KeyPackage directory. */
import { sql, type Kysely } from "kysely";
import type { Migration } from "kysely/migration";
import type { MigrationContext } from "./context.ts";

export function e2eeDirectory({ bytes }: MigrationContext): Migration {
  return {
    async up(db: Kysely<unknown>) {
      // One binding per device, immutable once signed. Rows of revoked devices stay
      // (commit checks may still name them) but are never returned as active.
      await db.schema
        .createTable("device_bindings")
        .addColumn("device_id", "text", (c) => c.primaryKey().references("devices.id"))
        .addColumn("org_id", "text", (c) => c.notNull())
        .addColumn("user_id", "text", (c) => c.notNull())
        .addColumn("suite", "text", (c) => c.notNull())
        .addColumn("signature_key", sql.raw(bytes), (c) => c.notNull())
        .addColumn("signature", sql.raw(bytes), (c) => c.notNull())
        .addColumn("created_at", "bigint", (c) => c.notNull())
        // Set when keypackages.low was posted; cleared when an upload refills the supply.
        .addColumn("low_warned_at", "bigint")
        .execute();
      await db.schema.createIndex("device_bindings_user").on("device_bindings").columns(["org_id", "user_id"]).execute();
      await db.schema
        .createTable("key_packages")
        .addColumn("ref", "text", (c) => c.primaryKey()) // KeyPackageRef, hex
        .addColumn("org_id", "text", (c) => c.notNull())
        .addColumn("user_id", "text", (c) => c.notNull())
        .addColumn("device_id", "text", (c) => c.notNull())
        .addColumn("suite", "text", (c) => c.notNull())
        .addColumn("data", sql.raw(bytes), (c) => c.notNull())
        .addColumn("last_resort", "integer", (c) => c.notNull())
        .addColumn("not_after", "bigint", (c) => c.notNull())
        .addColumn("created_at", "bigint", (c) => c.notNull())
        .execute();
      await db.schema.createIndex("key_packages_device").on("key_packages").columns(["device_id", "last_resort", "created_at"]).execute();
    },
  };
}
