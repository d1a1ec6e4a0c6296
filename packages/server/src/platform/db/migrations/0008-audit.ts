/**
 * 0008: the tamper-evident audit log (issue 8, docs/audit.md). Entries are hash-chained
 * per org (gap-free seq), and database triggers refuse UPDATE and DELETE (and TRUNCATE on
 * PostgreSQL) of entries and checkpoints: only someone who drops the triggers can change
 * history, and `parley audit verify` then names the first entry that no longer fits.
 * Personal data in an entry is sealed under a per-subject key (audit_pii_keys, wrapped by
 * platform/kms); deleting that key erases it while the chain still verifies.
 */
import { sql, type Kysely } from "kysely";
import type { Migration } from "kysely/migration";
import type { MigrationContext } from "./context.ts";

/** Tables whose rows may never change or disappear once written. */
const APPEND_ONLY = ["audit_log", "audit_checkpoints"] as const;

export function audit(ctx: MigrationContext): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable("audit_log")
        .addColumn("org_id", "text", (c) => c.notNull())
        .addColumn("seq", "bigint", (c) => c.notNull())
        .addColumn("at", "bigint", (c) => c.notNull())
        .addColumn("actor_kind", "text", (c) => c.notNull())
        .addColumn("actor_id", "text")
        .addColumn("actor_device_id", "text")
        .addColumn("action", "text", (c) => c.notNull())
        .addColumn("target_kind", "text")
        .addColumn("target_id", "text")
        .addColumn("result", "text", (c) => c.notNull())
        // Canonical JSON; never message content or secrets (appendAudit refuses such keys).
        .addColumn("details", "text", (c) => c.notNull())
        // Whose PII key sealed `pii` (a user id, or "-" for no known user) and the sealed blob.
        .addColumn("pii_subject", "text")
        .addColumn("pii", sql.raw(ctx.bytes))
        .addColumn("prev_hash", "text", (c) => c.notNull())
        .addColumn("hash", "text", (c) => c.notNull())
        .addPrimaryKeyConstraint("audit_log_pk", ["org_id", "seq"])
        .execute();
      await db.schema.createIndex("audit_log_action").on("audit_log").columns(["org_id", "action", "seq"]).execute();
      await db.schema.createIndex("audit_log_actor").on("audit_log").columns(["org_id", "actor_id", "seq"]).execute();
      await db.schema.createIndex("audit_log_at").on("audit_log").columns(["org_id", "at"]).execute();

      // The per-org chain head: seq allocation (the UPDATE that bumps it locks the row for
      // the transaction on both dialects) and the hash the next entry chains to.
      await db.schema
        .createTable("audit_heads")
        .addColumn("org_id", "text", (c) => c.primaryKey())
        .addColumn("seq", "bigint", (c) => c.notNull())
        .addColumn("hash", "text", (c) => c.notNull())
        // Last checkpointed seq and when (ms): drives "every N entries or T seconds".
        .addColumn("checkpoint_seq", "bigint", (c) => c.notNull().defaultTo(0))
        .addColumn("checkpoint_at", "bigint", (c) => c.notNull().defaultTo(0))
        .execute();

      await db.schema
        .createTable("audit_checkpoints")
        .addColumn("org_id", "text", (c) => c.notNull())
        .addColumn("seq", "bigint", (c) => c.notNull())
        .addColumn("head_hash", "text", (c) => c.notNull())
        .addColumn("at", "bigint", (c) => c.notNull())
        .addColumn("key_id", "text", (c) => c.notNull())
        // Ed25519 over the checkpoint's canonical encoding, base64url.
        .addColumn("signature", "text", (c) => c.notNull())
        .addPrimaryKeyConstraint("audit_checkpoints_pk", ["org_id", "seq"])
        .execute();

      // Per-subject PII keys, sealed by platform/kms. Deleting a row is the GDPR erasure.
      await db.schema
        .createTable("audit_pii_keys")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("org_id", "text", (c) => c.notNull())
        .addColumn("subject", "text", (c) => c.notNull())
        .addColumn("sealed_key", "text", (c) => c.notNull())
        .addColumn("created_at", "bigint", (c) => c.notNull())
        .addUniqueConstraint("audit_pii_keys_subject", ["org_id", "subject"])
        .execute();

      // Where the checkpoint sink (JSON Lines file) has got to, per org.
      await db.schema
        .createTable("audit_sink_cursors")
        .addColumn("sink", "text", (c) => c.notNull())
        .addColumn("org_id", "text", (c) => c.notNull())
        .addColumn("seq", "bigint", (c) => c.notNull())
        .addPrimaryKeyConstraint("audit_sink_cursors_pk", ["sink", "org_id"])
        .execute();

      if (ctx.dialect === "postgres") {
        await sql`CREATE FUNCTION parley_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
          BEGIN RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP USING ERRCODE = 'P0001'; END $$`.execute(db);
        for (const t of APPEND_ONLY) {
          await sql.raw(`CREATE TRIGGER ${t}_append_only BEFORE UPDATE OR DELETE ON ${t} FOR EACH ROW EXECUTE FUNCTION parley_append_only()`).execute(db);
          await sql.raw(`CREATE TRIGGER ${t}_no_truncate BEFORE TRUNCATE ON ${t} FOR EACH STATEMENT EXECUTE FUNCTION parley_append_only()`).execute(db);
        }
      } else {
        for (const t of APPEND_ONLY) {
          for (const op of ["UPDATE", "DELETE"]) {
            await sql
              .raw(`CREATE TRIGGER ${t}_no_${op.toLowerCase()} BEFORE ${op} ON ${t} BEGIN SELECT RAISE(ABORT, '${t} is append-only: ${op} refused'); END`)
              .execute(db);
          }
        }
      }
    },
  };
}
