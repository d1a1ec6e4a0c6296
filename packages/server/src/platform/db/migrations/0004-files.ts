/**
 * 0004: attachment uploads (ciphertext blobs live in platform/blobs; this is
 * their bookkeeping) and the ids of the files each event carries.
 */
import { sql, type Kysely } from "kysely";
import type { Migration } from "kysely/migration";
import type { MigrationContext } from "./context.ts";

export function files(_ctx: MigrationContext): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable("files")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("org_id", "text", (c) => c.notNull())
        .addColumn("channel_id", "text", (c) => c.notNull().references("channels.id"))
        .addColumn("uploader_id", "text", (c) => c.notNull().references("users.id"))
        // Declared ciphertext size and the acknowledged (fsynced) bytes so far.
        .addColumn("size", "bigint", (c) => c.notNull())
        .addColumn("uploaded", "bigint", (c) => c.notNull().defaultTo(0))
        .addColumn("created_at", "bigint", (c) => c.notNull())
        .addColumn("completed_at", "bigint")
        // The event that carries the file (set once, when the message is written).
        .addColumn("event_seq", "bigint")
        .addColumn("deleted_at", "bigint")
        .execute();
      await db.schema.createIndex("files_event").on("files").columns(["channel_id", "event_seq"]).execute();
      // The GC sweep looks for old unlinked uploads.
      await sql`CREATE INDEX files_unlinked ON files (created_at) WHERE event_seq IS NULL AND deleted_at IS NULL`.execute(db);
      await db.schema
        .alterTable("events")
        .addColumn("files", "text", (c) => c.notNull().defaultTo("[]"))
        .execute();
    },
  };
}
