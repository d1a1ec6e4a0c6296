/**
 * 0031: the directory key rotates (`parley keys rotate --signing directory`). A new key is
 * endorsed by the one it replaces (`server_keys.endorsement`, JSON `{ by, signature }`), and
 * each device binding records which directory key signed it (`device_bindings.signed_by`), so
 * the re-signing job knows what is left. Existing bindings were signed by the active key.
 */
import { sql, type Kysely } from "kysely";
import type { Migration } from "kysely/migration";
import type { MigrationContext } from "./context.ts";

export function directoryRotation(_ctx: MigrationContext): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema.alterTable("server_keys").addColumn("endorsement", "text").execute();
      await db.schema.alterTable("device_bindings").addColumn("signed_by", "text").execute();
      await sql`UPDATE device_bindings SET signed_by = (
        SELECT id FROM server_keys WHERE purpose = 'directory' AND retired_at IS NULL ORDER BY created_at, id LIMIT 1
      )`.execute(db);
      await db.schema.createIndex("device_bindings_signed_by").on("device_bindings").column("signed_by").execute();
    },
  };
}
