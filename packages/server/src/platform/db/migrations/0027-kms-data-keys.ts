/**
 * 0027: per-org data keys (platform/kms/data-keys.ts). Every server secret is sealed under
 * its org's data key (or the server-wide one, scope `server`), which is stored wrapped by a
 * key-encryption key — the key file's or an HSM's (`kek_id` names which). At most one
 * active (not retired) key per scope; deleting a scope's rows crypto-shreds its secrets.
 * Values sealed before (`kms1:`) keep their own per-value data key and still open.
 */
import { sql, type Kysely } from "kysely";
import type { Migration } from "kysely/migration";
import type { MigrationContext } from "./context.ts";

export function kmsDataKeys(_ctx: MigrationContext): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable("kms_data_keys")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("scope", "text", (c) => c.notNull())
        .addColumn("kek_id", "text", (c) => c.notNull())
        .addColumn("wrapped_key", "text", (c) => c.notNull())
        .addColumn("created_at", "bigint", (c) => c.notNull())
        .addColumn("rewrapped_at", "bigint")
        .addColumn("retired_at", "bigint")
        .execute();
      await db.schema.createIndex("kms_data_keys_active").on("kms_data_keys").column("scope").unique().where(sql.ref("retired_at"), "is", null).execute();
      await db.schema.createIndex("kms_data_keys_kek").on("kms_data_keys").column("kek_id").execute();
    },
  };
}
