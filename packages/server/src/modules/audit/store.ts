/** Reading audit entries: rows to records, paged in seq order. */
import type { Kysely } from "kysely";
import type { AuditLogTable, Database } from "../../platform/db/tables.ts";
import type { AuditRecord } from "./types.ts";

/** A stored row as the record its hash covers. */
function toRecord(r: AuditLogTable): AuditRecord {
  return {
    orgId: r.org_id,
    seq: Number(r.seq),
    at: Number(r.at),
    actorKind: r.actor_kind,
    actorId: r.actor_id,
    actorDeviceId: r.actor_device_id,
    action: r.action,
    targetKind: r.target_kind,
    targetId: r.target_id,
    result: r.result,
    details: r.details,
    piiSubject: r.pii_subject,
    pii: r.pii,
    prevHash: r.prev_hash,
    hash: r.hash,
  };
}

/** Every entry of an org in seq order (from `fromSeq`, optionally from time `sinceMs`), read in pages. */
export async function* iterateEntries(
  db: Kysely<Database>,
  orgId: string,
  opts: { fromSeq?: number; sinceMs?: number; pageSize?: number } = {},
): AsyncGenerator<AuditRecord> {
  let after = (opts.fromSeq ?? 1) - 1;
  const pageSize = opts.pageSize ?? 5000;
  if (opts.sinceMs !== undefined) {
    // `at` follows seq within an org (one clock per append, under the head lock), so the
    // first entry at or after the time is where the export starts.
    const first = await db
      .selectFrom("audit_log")
      .select("seq")
      .where("org_id", "=", orgId)
      .where("at", ">=", opts.sinceMs)
      .orderBy("seq")
      .limit(1)
      .executeTakeFirst();
    if (!first) return;
    after = Math.max(after, Number(first.seq) - 1);
  }
  const page = (from: number) => {
    const p = db.selectFrom("audit_log").selectAll().where("org_id", "=", orgId).where("seq", ">", from).orderBy("seq").limit(pageSize).execute();
    p.catch(() => undefined); // a caller that stops early leaves the prefetch unawaited; awaiting it still throws
    return p;
  };
  // The next page is fetched while the caller works through this one (PostgreSQL answers meanwhile).
  let next = page(after);
  for (;;) {
    const rows = await next;
    const full = rows.length === pageSize;
    if (full) next = page(Number((rows[rows.length - 1] as AuditLogTable).seq));
    for (const r of rows) yield toRecord(r);
    if (!full) return;
  }
}

/** Orgs that have an audit chain (a head or any entry: a deleted head must not hide entries). */
export async function auditOrgIds(db: Kysely<Database>): Promise<string[]> {
  const heads = await db.selectFrom("audit_heads").select("org_id").execute();
  const logs = await db.selectFrom("audit_log").select("org_id").distinct().execute();
  return [...new Set([...heads, ...logs].map((r) => r.org_id))].sort();
}

/** What a page of an org's entries is filtered by (docs/audit.md "Reading the log"). */
export interface AuditFilter {
  /** Entries whose actor is this user. */
  actorId?: string | undefined;
  /** An exact action, or a prefix when it ends with a dot. */
  action?: string | undefined;
  targetId?: string | undefined;
  /** Time range: at >= from, at < to (ms). */
  from?: number | undefined;
  to?: number | undefined;
  /** Entries with seq < before. */
  before?: number | undefined;
}

/** Up to `limit` entries of an org matching `f`, newest (highest seq) first. */
export async function pageEntries(db: Kysely<Database>, orgId: string, f: AuditFilter, limit: number): Promise<AuditRecord[]> {
  let q = db.selectFrom("audit_log").selectAll().where("org_id", "=", orgId);
  if (f.actorId !== undefined) q = q.where("actor_id", "=", f.actorId);
  if (f.action?.endsWith(".")) {
    // substr, not LIKE: `_` is a LIKE wildcard and allowed in actions; same bytes on both dialects.
    const prefix = f.action;
    q = q.where((eb) => eb(eb.fn("substr", ["action", eb.val(1), eb.val(prefix.length)]), "=", prefix));
  } else if (f.action !== undefined) {
    q = q.where("action", "=", f.action);
  }
  if (f.targetId !== undefined) q = q.where("target_id", "=", f.targetId);
  if (f.from !== undefined) q = q.where("at", ">=", f.from);
  if (f.to !== undefined) q = q.where("at", "<", f.to);
  if (f.before !== undefined) q = q.where("seq", "<", f.before);
  const rows = await q.orderBy("seq", "desc").limit(limit).execute();
  return rows.map(toRecord);
}
