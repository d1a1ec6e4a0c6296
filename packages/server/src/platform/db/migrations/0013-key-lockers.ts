/**
 * 0013: key lockers (issue 9, ADR 0007). Per user: the locker public key (X25519), the user
 * identity public key (Ed25519) and the recovery blob; and the sealed entries the user's
 * devices append (history keys HPKE-sealed to the locker key, with their batch's metadata).
 */
import { sql, type Kysely } from "kysely";
import type { Migration } from "kysely/migration";
import type { MigrationContext } from "./context.ts";

export function keyLockers(ctx: MigrationContext): Migration {
  const bytes = sql.raw(ctx.bytes);
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable("user_lockers")
        .addColumn("user_id", "text", (c) => c.primaryKey().references("users.id"))
        .addColumn("org_id", "text", (c) => c.notNull())
        .addColumn("public_key", bytes, (c) => c.notNull())
        .addColumn("identity_key", bytes, (c) => c.notNull())
        .addColumn("recovery_blob", bytes, (c) => c.notNull())
        .addColumn("created_at", "bigint", (c) => c.notNull())
        .addColumn("updated_at", "bigint", (c) => c.notNull())
        .execute();
      await db.schema
        .createTable("locker_entries")
        // The owner's cursor: a serial (SQLite: the rowid), so entries page in append order.
        .addColumn("id", ctx.dialect === "postgres" ? "bigserial" : "integer", (c) => c.primaryKey())
        .addColumn("org_id", "text", (c) => c.notNull())
        .addColumn("user_id", "text", (c) => c.notNull().references("users.id"))
        .addColumn("device_id", "text", (c) => c.notNull())
        .addColumn("channel_id", "text")
        .addColumn("generation", "integer")
        .addColumn("from_epoch", "bigint", (c) => c.notNull())
        .addColumn("to_epoch", "bigint", (c) => c.notNull())
        .addColumn("sealed", bytes, (c) => c.notNull())
        .addColumn("created_at", "bigint", (c) => c.notNull())
        .execute();
      await db.schema.createIndex("locker_entries_user").on("locker_entries").columns(["user_id", "id"]).execute();
    },
  };
}
