/**
 * 0010: `GET /audit?target=ID` (an admin looking up everything done to one user,
 * channel or device) walks an index instead of the whole org's chain. Actor, action and
 * time already have theirs (0008).
 */
import type { Kysely } from "kysely";
import type { Migration } from "kysely/migration";
import type { MigrationContext } from "./context.ts";

export function auditTargetIndex(_ctx: MigrationContext): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema.createIndex("audit_log_target").on("audit_log").columns(["org_id", "target_id", "seq"]).execute();
    },
  };
}
