/**
 * Test-only helpers for the audit module's tests and the CLI's: play the attacker with
 * database access (drop the append-only triggers) and append plain entries.
 */
import { sql, type Kysely } from "kysely";
import type { Dialect } from "../platform/db/index.ts";
import type { Database } from "../platform/db/tables.ts";
import { appendAudit, type AuditDeps } from "../modules/audit/append.ts";
import type { AuditRecord } from "../modules/audit/types.ts";

/** Drop the triggers that make audit_log append-only, as someone with raw database access could. */
export async function dropAuditTriggers(db: Kysely<Database>, dialect: Dialect): Promise<void> {
  if (dialect === "postgres") {
    await sql`DROP TRIGGER audit_log_append_only ON audit_log`.execute(db);
  } else {
    await sql`DROP TRIGGER audit_log_no_update`.execute(db);
    await sql`DROP TRIGGER audit_log_no_delete`.execute(db);
  }
}

/** Append `n` simple entries to `orgId`'s chain, each in its own transaction. */
export async function appendSample(db: Kysely<Database>, deps: AuditDeps, orgId: string, n: number): Promise<AuditRecord[]> {
  const out: AuditRecord[] = [];
  for (let i = 0; i < n; i++) {
    out.push(
      await db.transaction().execute((tx) =>
        appendAudit(tx, deps, {
          orgId,
          actor: { kind: "device", id: `usr_${i % 3}`, deviceId: `dev_${i % 3}` },
          action: "test.sample.recorded",
          target: { kind: "channel", id: `ch_${i}` },
          result: "success",
          details: { i },
        }),
      ),
    );
  }
  return out;
}
