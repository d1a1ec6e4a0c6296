/**
 * What a backup promises about its database, computed once when it is made (from the
 * same snapshot as the dump) and again after a restore, then compared: row counts per
 * table, a hash over every channel's events, and the audit log's verification
 * (modules/audit: the same verifier as `parley audit verify`).
 *
 * The event hash is defined here and only here: per channel, SHA-256 over its events in
 * seq order, each as len(channel_id) | len(id) | seq (u64) | len(content) | archive flag
 * | len(archive), every len(x) a u32 length followed by x; the overall hash is SHA-256
 * over the channels sorted by id, each as len(channel_id) | count (u64) | channel hash.
 */
import crypto from "node:crypto";
import { sql, type Kysely } from "kysely";
import type { Database } from "../../platform/db/tables.ts";
import type { Dialect } from "../../platform/db/index.ts";
import { verifyAuditDatabase } from "../audit/index.ts";

export interface EventDigest {
  count: number;
  hash: string;
}

export interface BackupSummary {
  /** Row count of every table but the migrator's own. */
  tables: Record<string, number>;
  events: EventDigest & { channels: Record<string, EventDigest> };
  audit: {
    ok: boolean;
    orgs: Array<{ orgId: string; entries: number; lastSeq: number | null; lastHash: string | null; checkpointsMatched: number }>;
    problems: string[];
  };
}

/** The migrator's tables: a restore of an older backup adds rows to them legitimately. */
const MIGRATOR_TABLES = new Set(["kysely_migration", "kysely_migration_lock"]);

async function tableNames(db: Kysely<Database>, dialect: Dialect): Promise<string[]> {
  const rows =
    dialect === "sqlite"
      ? await sql<{ name: string }>`select name from sqlite_master where type = 'table' and name not like 'sqlite_%'`.execute(db)
      : await sql<{ name: string }>`select tablename as name from pg_tables where schemaname = current_schema()`.execute(db);
  return rows.rows.map((r) => r.name).sort();
}

const u32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
};
const u64 = (n: number) => {
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(BigInt(n));
  return b;
};
const field = (h: crypto.Hash, bytes: Uint8Array | string) => {
  const b = typeof bytes === "string" ? Buffer.from(bytes, "utf8") : bytes;
  h.update(u32(b.length)).update(b);
};

/** Per-channel and overall event hashes (definition in the file comment), read in pages. */
async function eventDigest(db: Kysely<Database>): Promise<BackupSummary["events"]> {
  const channels: Record<string, EventDigest> = {};
  let current: { id: string; hash: crypto.Hash; count: number } | undefined;
  const close = () => {
    if (current) channels[current.id] = { count: current.count, hash: current.hash.digest("hex") };
  };
  let after: { channel: string; seq: number } | undefined;
  let total = 0;
  for (;;) {
    let q = db.selectFrom("events").select(["channel_id", "seq", "id", "content", "archive"]).orderBy("channel_id").orderBy("seq").limit(500);
    if (after) {
      const { channel, seq } = after;
      q = q.where((eb) => eb.or([eb("channel_id", ">", channel), eb.and([eb("channel_id", "=", channel), eb("seq", ">", seq)])]));
    }
    const page = await q.execute();
    for (const e of page) {
      if (current?.id !== e.channel_id) {
        close();
        current = { id: e.channel_id, hash: crypto.createHash("sha256"), count: 0 };
      }
      const h = current.hash;
      field(h, e.channel_id);
      field(h, e.id);
      h.update(u64(Number(e.seq)));
      field(h, e.content);
      if (e.archive) {
        h.update(Buffer.from([1]));
        field(h, e.archive);
      } else h.update(Buffer.from([0]));
      current.count++;
      total++;
    }
    if (page.length < 500) break;
    const last = page[page.length - 1]!;
    after = { channel: last.channel_id, seq: Number(last.seq) };
  }
  close();
  const all = crypto.createHash("sha256");
  for (const id of Object.keys(channels).sort()) {
    field(all, id);
    all.update(u64(channels[id]!.count)).update(Buffer.from(channels[id]!.hash, "hex"));
  }
  return { count: total, hash: all.digest("hex"), channels };
}

/** The summary of the database behind `db` (a snapshot transaction, a snapshot file, or the restored database). */
export async function summarize(db: Kysely<Database>, dialect: Dialect): Promise<BackupSummary> {
  const tables: Record<string, number> = {};
  for (const t of await tableNames(db, dialect)) {
    if (MIGRATOR_TABLES.has(t)) continue;
    const r = await sql<{ n: number | string }>`select count(*) as n from ${sql.table(t)}`.execute(db);
    tables[t] = Number(r.rows[0]!.n);
  }
  const report = await verifyAuditDatabase(db);
  return {
    tables,
    events: await eventDigest(db),
    audit: {
      ok: report.ok,
      orgs: report.orgs
        .map((o) => ({ orgId: o.orgId, entries: o.entries, lastSeq: o.lastSeq, lastHash: o.lastHash, checkpointsMatched: o.checkpointsMatched }))
        .sort((a, b) => (a.orgId < b.orgId ? -1 : 1)),
      problems: report.problems.map((p) => `${p.orgId} seq ${p.seq ?? "-"}: ${p.kind}`),
    },
  };
}

/** One line of the verify table: what the backup says, what the database holds now. */
export interface VerifyCheck {
  check: string;
  expected: string;
  actual: string;
  ok: boolean;
  /** What differs, when something does. */
  details: string[];
}

const short = (hash: string) => hash.slice(0, 16);

/** Compare a restored (or extracted) database's summary with the manifest's. */
export function compareSummaries(expected: BackupSummary, actual: BackupSummary): VerifyCheck[] {
  const rowDetails = Object.keys(expected.tables)
    .filter((t) => expected.tables[t] !== actual.tables[t])
    .map((t) => `table ${t}: ${expected.tables[t]} rows in the backup, ${actual.tables[t] ?? "missing"} now`);
  const sum = (t: Record<string, number>, names: string[]) => names.reduce((n, k) => n + (t[k] ?? 0), 0);
  const names = Object.keys(expected.tables);
  const evDetails = [...new Set([...Object.keys(expected.events.channels), ...Object.keys(actual.events.channels)])]
    .filter((c) => expected.events.channels[c]?.hash !== actual.events.channels[c]?.hash)
    .map((c) => {
      const [e, a] = [expected.events.channels[c], actual.events.channels[c]];
      return `channel ${c}: ${e ? `${e.count} events ${short(e.hash)}` : "absent"} in the backup, ${a ? `${a.count} events ${short(a.hash)}` : "absent"} now`;
    });
  const auditLine = (a: BackupSummary["audit"]) =>
    `${a.ok ? "ok" : "FAILED"}: ${a.orgs.length} org(s), ${a.orgs.reduce((n, o) => n + o.entries, 0)} entries, ${a.orgs.reduce((n, o) => n + o.checkpointsMatched, 0)} checkpoint(s)`;
  const auditSame = JSON.stringify(expected.audit) === JSON.stringify(actual.audit);
  const auditDetails = auditSame
    ? []
    : [
        ...expected.audit.orgs
          .filter((o) => JSON.stringify(o) !== JSON.stringify(actual.audit.orgs.find((x) => x.orgId === o.orgId)))
          .map((o) => `org ${o.orgId}: chain differs from the backup's (seq ${o.lastSeq ?? "-"})`),
        ...actual.audit.problems.map((p) => `now: ${p}`),
      ];
  return [
    {
      check: "row counts",
      expected: `${names.length} tables, ${sum(expected.tables, names)} rows`,
      actual: `${names.filter((t) => t in actual.tables).length} tables, ${sum(actual.tables, names)} rows`,
      ok: rowDetails.length === 0,
      details: rowDetails,
    },
    {
      check: "event hashes",
      expected: `${expected.events.count} events, ${short(expected.events.hash)}`,
      actual: `${actual.events.count} events, ${short(actual.events.hash)}`,
      ok: expected.events.hash === actual.events.hash,
      details: evDetails,
    },
    // Equal to the backup's result is the promise (a chain that was already broken stays reported as broken).
    { check: "audit verification", expected: auditLine(expected.audit), actual: auditLine(actual.audit), ok: auditSame, details: auditDetails },
  ];
}
