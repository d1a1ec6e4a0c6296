/**
 * 0030: the compliance archive (issue 11, ADR 0008).
 * - archive_policies: every version of the org's signed archive policy (append-only in use: a
 *   new version is a new row; the newest is current).
 * - archive_key_entries: history keys of archived channels, HPKE-sealed by members' devices to
 *   the policy's archive key (one row per device and batch).
 * - archive_exports: the eDiscovery exports officers made (what, how many, the manifest hash).
 */
import type { Kysely } from "kysely";
import type { Migration } from "kysely/migration";
import type { MigrationContext } from "./context.ts";

export function archive(ctx: MigrationContext): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable("archive_policies")
        .addColumn("org_id", "text", (c) => c.notNull())
        .addColumn("version", "bigint", (c) => c.notNull())
        .addColumn("policy", "text", (c) => c.notNull())
        .addColumn("signature", "text", (c) => c.notNull())
        .addColumn("signer_key", "text", (c) => c.notNull())
        .addColumn("created_by", "text")
        .addColumn("created_at", "bigint", (c) => c.notNull())
        .addPrimaryKeyConstraint("archive_policies_pk", ["org_id", "version"])
        .execute();

      await db.schema
        .createTable("archive_key_entries")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("org_id", "text", (c) => c.notNull())
        .addColumn("channel_id", "text", (c) => c.notNull())
        .addColumn("generation", "bigint", (c) => c.notNull())
        .addColumn("from_epoch", "bigint", (c) => c.notNull())
        .addColumn("to_epoch", "bigint", (c) => c.notNull())
        .addColumn("sealed", ctx.bytes as "blob", (c) => c.notNull())
        .addColumn("policy_version", "bigint", (c) => c.notNull())
        .addColumn("user_id", "text", (c) => c.notNull())
        .addColumn("device_id", "text", (c) => c.notNull())
        .addColumn("created_at", "bigint", (c) => c.notNull())
        .addUniqueConstraint("archive_key_entries_batch", ["channel_id", "generation", "from_epoch", "to_epoch", "device_id", "policy_version"])
        .execute();

      await db.schema
        .createTable("archive_exports")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("org_id", "text", (c) => c.notNull())
        .addColumn("by_user", "text", (c) => c.notNull())
        .addColumn("created_at", "bigint", (c) => c.notNull())
        .addColumn("channel_ids", "text", (c) => c.notNull())
        .addColumn("user_id", "text")
        .addColumn("from_at", "bigint")
        .addColumn("to_at", "bigint")
        .addColumn("items", "bigint", (c) => c.notNull())
        .addColumn("attachments", "bigint", (c) => c.notNull())
        .addColumn("manifest_sha256", "text", (c) => c.notNull())
        .addColumn("signer_fingerprint", "text", (c) => c.notNull())
        .execute();
      await db.schema.createIndex("archive_exports_org").on("archive_exports").columns(["org_id", "created_at"]).execute();
    },
  };
}
