/** Reading audit entries: rows to records, paged in seq order. */
import type { Kysely } from "kysely";
import type { Database } from "../../platform/db/tables.ts";
import { selectRowArrays } from "../../platform/db/row-arrays.ts";
import type { AuditRecord } from "./types.ts";

/** The columns a record is read from, in the order toRecord takes them (org_id is the org asked for). */
const ENTRY_COLUMNS = [
  "seq",
  "at",
  "actor_kind",
  "actor_id",
  "actor_device_id",
  "action",
  "target_kind",
  "target_id",
  "result",
  "details",
  "pii_subject",
  "pii",
  "prev_hash",
  "hash",
] as const;

/** A row of ENTRY_COLUMNS as the record its hash covers. */
function toRecord(orgId: string, r: unknown[]): AuditRecord {
  return {
    orgId,
    seq: Number(r[0]),
    at: Number(r[1]),
    actorKind: r[2] as string,
    actorId: r[3] as string | null,
    actorDeviceId: r[4] as string | null,
    action: r[5] as string,
    targetKind: r[6] as string | null,
    targetId: r[7] as string | null,
    result: r[8] as string,
    details: r[9] as string,
    piiSubject: r[10] as string | null,
    pii: r[11] as Uint8Array | null,
    prevHash: r[12] as string,
    hash: r[13] as string,
  };
}

/**
 * Every entry of an org in seq order (from `fromSeq`, optionally from time `sinceMs`), in
 * pages of up to `pageSize` records. Rows are read as arrays (platform/db/row-arrays.ts):
 * verification reads every entry, so the per-row cost of reading is its main cost.
 */
export async function* iterateEntryPages(
  db: Kysely<Database>,
  orgId: string,
  opts: { fromSeq?: number; sinceMs?: number; pageSize?: number } = {},
): AsyncGenerator<AuditRecord[]> {
  let after = (opts.fromSeq ?? 1) - 1;
  const pageSize = opts.pageSize ?? 10_000;
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
  const page = async (from: number) => {
    const query = db.selectFrom("audit_log").select(ENTRY_COLUMNS).where("org_id", "=", orgId).where("seq", ">", from).orderBy("seq").limit(pageSize);
    return (await selectRowArrays(db, query.compile())).map((r) => toRecord(orgId, r));
  };
  const prefetch = (from: number) => {
    const p = page(from);
    p.catch(() => undefined); // a caller that stops early leaves the prefetch unawaited; awaiting it still throws
    return p;
  };
  // The next page is fetched while the caller works through this one (PostgreSQL answers meanwhile).
  let next = prefetch(after);
  for (;;) {
    const records = await next;
    const full = records.length === pageSize;
    if (full) next = prefetch((records[records.length - 1] as AuditRecord).seq);
    if (records.length > 0) yield records;
    if (!full) return;
  }
}

/** Every entry of an org in seq order, one by one (see iterateEntryPages). */
export async function* iterateEntries(
  db: Kysely<Database>,
  orgId: string,
  opts: { fromSeq?: number; sinceMs?: number; pageSize?: number } = {},
): AsyncGenerator<AuditRecord> {
  for await (const records of iterateEntryPages(db, orgId, opts)) yield* records;
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
  let q = db.selectFrom("audit_log").select(ENTRY_COLUMNS).where("org_id", "=", orgId);
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
  const rows = await selectRowArrays(db, q.orderBy("seq", "desc").limit(limit).compile());
  return rows.map((r) => toRecord(orgId, r));
}
