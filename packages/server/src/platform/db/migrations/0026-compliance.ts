/**
 * 0026: retention and legal holds (issue 11, docs/compliance.md).
 * - retention_policies: how long an org (channel_id '') or one channel keeps events,
 *   attachments and (org only) audit entries; null = forever.
 * - legal_holds: a matter holding a user's or a channel's communications; released, never deleted.
 * - held_events: events past retention (or otherwise removed) kept only because a hold covers
 *   them, out of every member-facing read path; purged once no hold covers them.
 * - held_files: attachments deleted (with their message, or by retention) whose blob a hold keeps.
 * - channels.retention_floor: events below it are gone for members; clients purge their copies.
 * - retention_status: each org's last run, for the admin page and metrics.
 * - audit_prune_floors: how far an org's audit log was pruned by retention. The append-only
 *   triggers of 0008 are replaced by ones that allow DELETE of entries at or below the floor
 *   (the floor may only move up and always sits on a signed checkpoint, which is kept).
 */
import { sql, type Kysely } from "kysely";
import type { Migration } from "kysely/migration";
import type { MigrationContext } from "./context.ts";

export function compliance(ctx: MigrationContext): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable("retention_policies")
        .addColumn("org_id", "text", (c) => c.notNull())
        // '' for the org's default, else the channel's id.
        .addColumn("channel_id", "text", (c) => c.notNull())
        .addColumn("events_ms", "bigint")
        .addColumn("files_ms", "bigint")
        .addColumn("audit_ms", "bigint")
        .addColumn("updated_by", "text")
        .addColumn("updated_at", "bigint", (c) => c.notNull())
        .addPrimaryKeyConstraint("retention_policies_pk", ["org_id", "channel_id"])
        .execute();

      await db.schema
        .createTable("legal_holds")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("org_id", "text", (c) => c.notNull())
        .addColumn("matter", "text", (c) => c.notNull())
        .addColumn("scope", "text", (c) => c.notNull())
        .addColumn("target_id", "text", (c) => c.notNull())
        .addColumn("note", "text", (c) => c.notNull())
        .addColumn("created_by", "text")
        .addColumn("created_at", "bigint", (c) => c.notNull())
        .addColumn("released_by", "text")
        .addColumn("released_at", "bigint")
        .execute();
      await db.schema.createIndex("legal_holds_org").on("legal_holds").columns(["org_id", "released_at"]).execute();

      await db.schema
        .createTable("held_events")
        .addColumn("org_id", "text", (c) => c.notNull())
        .addColumn("channel_id", "text", (c) => c.notNull())
        .addColumn("seq", "bigint", (c) => c.notNull())
        .addColumn("id", "text", (c) => c.notNull())
        .addColumn("client_id", "text", (c) => c.notNull())
        .addColumn("sender_id", "text", (c) => c.notNull())
        .addColumn("sender_device_id", "text", (c) => c.notNull())
        .addColumn("kind", "text", (c) => c.notNull())
        .addColumn("epoch", "bigint", (c) => c.notNull())
        .addColumn("generation", "bigint", (c) => c.notNull())
        .addColumn("content", ctx.bytes as "blob", (c) => c.notNull())
        .addColumn("archive", ctx.bytes as "blob")
        .addColumn("thread_root", "bigint")
        .addColumn("target", "bigint")
        .addColumn("files", "text", (c) => c.notNull())
        .addColumn("created_at", "bigint", (c) => c.notNull())
        .addColumn("held_at", "bigint", (c) => c.notNull())
        .addPrimaryKeyConstraint("held_events_pk", ["channel_id", "seq"])
        .execute();
      await db.schema.createIndex("held_events_org").on("held_events").columns(["org_id", "held_at"]).execute();

      await db.schema
        .createTable("held_files")
        .addColumn("file_id", "text", (c) => c.primaryKey())
        .addColumn("org_id", "text", (c) => c.notNull())
        .addColumn("held_at", "bigint", (c) => c.notNull())
        .execute();

      await db.schema
        .alterTable("channels")
        .addColumn("retention_floor", "bigint", (c) => c.notNull().defaultTo(0))
        .execute();

      await db.schema
        .createTable("retention_status")
        .addColumn("org_id", "text", (c) => c.primaryKey())
        .addColumn("started_at", "bigint", (c) => c.notNull())
        .addColumn("finished_at", "bigint")
        .addColumn("events_deleted", "bigint", (c) => c.notNull())
        .addColumn("events_held", "bigint", (c) => c.notNull())
        .addColumn("files_deleted", "bigint", (c) => c.notNull())
        .addColumn("audit_deleted", "bigint", (c) => c.notNull())
        .execute();

      await db.schema
        .createTable("audit_prune_floors")
        .addColumn("org_id", "text", (c) => c.primaryKey())
        .addColumn("seq", "bigint", (c) => c.notNull())
        .addColumn("at", "bigint", (c) => c.notNull())
        .execute();

      // Audit entries may now be deleted at or below the org's prune floor, never above it;
      // the floor only moves up and is never deleted. Checkpoints stay append-only.
      if (ctx.dialect === "postgres") {
        await sql`DROP TRIGGER audit_log_append_only ON audit_log`.execute(db);
        await sql`CREATE FUNCTION parley_audit_prune_guard() RETURNS trigger LANGUAGE plpgsql AS $$
          BEGIN
            IF TG_OP = 'DELETE' AND OLD.seq <= COALESCE((SELECT f.seq FROM audit_prune_floors f WHERE f.org_id = OLD.org_id), 0) THEN RETURN OLD; END IF;
            RAISE EXCEPTION 'audit_log is append-only: % refused', TG_OP USING ERRCODE = 'P0001';
          END $$`.execute(db);
        await sql`CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log FOR EACH ROW EXECUTE FUNCTION parley_audit_prune_guard()`.execute(
          db,
        );
        await sql`CREATE FUNCTION parley_prune_floor_guard() RETURNS trigger LANGUAGE plpgsql AS $$
          BEGIN
            IF TG_OP = 'UPDATE' AND NEW.org_id = OLD.org_id AND NEW.seq >= OLD.seq THEN RETURN NEW; END IF;
            RAISE EXCEPTION 'audit_prune_floors only moves up: % refused', TG_OP USING ERRCODE = 'P0001';
          END $$`.execute(db);
        await sql`CREATE TRIGGER audit_prune_floors_up BEFORE UPDATE OR DELETE ON audit_prune_floors FOR EACH ROW EXECUTE FUNCTION parley_prune_floor_guard()`.execute(
          db,
        );
        await sql`CREATE TRIGGER audit_prune_floors_no_truncate BEFORE TRUNCATE ON audit_prune_floors FOR EACH STATEMENT EXECUTE FUNCTION parley_append_only()`.execute(
          db,
        );
      } else {
        await sql`DROP TRIGGER audit_log_no_delete`.execute(db);
        await sql`CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
          WHEN OLD.seq > COALESCE((SELECT f.seq FROM audit_prune_floors f WHERE f.org_id = OLD.org_id), 0)
          BEGIN SELECT RAISE(ABORT, 'audit_log is append-only: DELETE refused'); END`.execute(db);
        await sql`CREATE TRIGGER audit_prune_floors_up BEFORE UPDATE ON audit_prune_floors
          WHEN NEW.seq < OLD.seq OR NEW.org_id <> OLD.org_id
          BEGIN SELECT RAISE(ABORT, 'audit_prune_floors only moves up: UPDATE refused'); END`.execute(db);
        await sql`CREATE TRIGGER audit_prune_floors_no_delete BEFORE DELETE ON audit_prune_floors
          BEGIN SELECT RAISE(ABORT, 'audit_prune_floors only moves up: DELETE refused'); END`.execute(db);
      }
    },
  };
}
