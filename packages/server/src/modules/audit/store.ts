/** Reading audit entries: rows to records, paged in seq order. */
import type { Kysely } from "kysely";
import type { AuditLogTable, Database } from "../../platform/db/tables.ts";
import type { AuditRecord } from "./types.ts";

/** A stored row as the record its hash covers. */
function toRecord(r: AuditLogTable): AuditRecord {
  return {
    orgId: r.org_id, seq: Number(r.seq), at: Number(r.at), actorKind: r.actor_kind, actorId: r.actor_id, actorDeviceId: r.actor_device_id,
    action: r.action, targetKind: r.target_kind, targetId: r.target_id, result: r.result, details: r.details,
    piiSubject: r.pii_subject, pii: r.pii === null ? null : new Uint8Array(r.pii), prevHash: r.prev_hash, hash: r.hash,
  };
}

/** Every entry of an org in seq order (from `fromSeq`, optionally from time `sinceMs`), read in pages. */
export async function* iterateEntries(db: Kysely<Database>, orgId: string, opts: { fromSeq?: number; sinceMs?: number; pageSize?: number } = {}): AsyncGenerator<AuditRecord> {
  let after = (opts.fromSeq ?? 1) - 1;
  const pageSize = opts.pageSize ?? 5000;
  if (opts.sinceMs !== undefined) {
    // `at` follows seq within an org (one clock per append, under the head lock), so the
    // first entry at or after the time is where the export starts.
    const first = await db.selectFrom("audit_log").select("seq").where("org_id", "=", orgId).where("at", ">=", opts.sinceMs)
      .orderBy("seq").limit(1).executeTakeFirst();
    if (!first) return;
    after = Math.max(after, Number(first.seq) - 1);
  }
  for (;;) {
    const rows = await db.selectFrom("audit_log").selectAll().where("org_id", "=", orgId).where("seq", ">", after)
      .orderBy("seq").limit(pageSize).execute();
    for (const r of rows) yield toRecord(r);
    if (rows.length < pageSize) return;
    after = Number((rows[rows.length - 1] as AuditLogTable).seq);
  }
}

/** Orgs that have an audit chain (a head or any entry: a deleted head must not hide entries). */
export async function auditOrgIds(db: Kysely<Database>): Promise<string[]> {
  const heads = await db.selectFrom("audit_heads").select("org_id").execute();
  const logs = await db.selectFrom("audit_log").select("org_id").distinct().execute();
  return [...new Set([...heads, ...logs].map((r) => r.org_id))].sort();
}
