/**
 * `parley audit verify` against its sources: the database (entries, head rows and
 * checkpoint rows), an export file, and optionally a shipped checkpoint file whose
 * checkpoints must match too.
 */
import type { Kysely } from "kysely";
import type { Database } from "../../platform/db/tables.ts";
import { auditPublicKeys, listCheckpoints, type AuditCheckpoint } from "./checkpoints.ts";
import { readAuditJsonl } from "./export.ts";
import { auditOrgIds, iterateEntryPages } from "./store.ts";
import { verifyOrgChain, type AuditProblem, type OrgVerification } from "./verify.ts";

/** The outcome of a verification run. */
export interface AuditVerification {
  ok: boolean;
  orgs: OrgVerification[];
  /** Every problem found; per org the chain's first bad entry comes first. */
  problems: AuditProblem[];
}

export interface VerifySourceOptions {
  /** Only these orgs (default: every org with a chain). */
  orgIds?: string[] | undefined;
  /** Trusted audit public keys by id; default: the audit keys in this database's server_keys. */
  trustedKeys?: Map<string, Uint8Array> | undefined;
  /** Extra checkpoints (e.g. from a shipped sink file) that must match too. */
  checkpointsFile?: string | undefined;
}

async function extraCheckpoints(file: string | undefined): Promise<{ byOrg: Map<string, AuditCheckpoint[]>; problems: AuditProblem[] }> {
  if (!file) return { byOrg: new Map(), problems: [] };
  const parsed = await readAuditJsonl(file);
  // A sink file has no end line; a damaged line is still worth reporting.
  const problems: AuditProblem[] =
    parsed.truncation && parsed.truncation.includes("not complete JSON")
      ? [{ orgId: "-", seq: null, kind: "export_truncated", message: `${file}: ${parsed.truncation}` }]
      : [];
  return { byOrg: parsed.checkpoints, problems };
}

function dedupe(cps: AuditCheckpoint[]): AuditCheckpoint[] {
  const seen = new Map<string, AuditCheckpoint>();
  for (const c of cps) seen.set(`${c.seq}|${c.keyId}|${c.signature}`, c);
  return [...seen.values()].sort((a, b) => a.seq - b.seq);
}

/** Verify the chains stored in the database. */
export async function verifyAuditDatabase(db: Kysely<Database>, opts: VerifySourceOptions = {}): Promise<AuditVerification> {
  const trustedKeys = opts.trustedKeys ?? (await auditPublicKeys(db));
  const extra = await extraCheckpoints(opts.checkpointsFile);
  const out: AuditVerification = { ok: true, orgs: [], problems: [...extra.problems] };
  for (const orgId of opts.orgIds ?? (await auditOrgIds(db))) {
    const head = await db.selectFrom("audit_heads").select(["seq", "hash"]).where("org_id", "=", orgId).executeTakeFirst();
    const checkpoints = dedupe([...(await listCheckpoints(db, orgId)), ...(extra.byOrg.get(orgId) ?? [])]);
    const floor = await db.selectFrom("audit_prune_floors").select("seq").where("org_id", "=", orgId).executeTakeFirst();
    const { result, problems } = await verifyOrgChain(orgId, iterateEntryPages(db, orgId), {
      checkpoints,
      trustedKeys,
      prunedTo: floor ? Number(floor.seq) : undefined,
      end: head ? { seq: Number(head.seq), hash: head.hash, source: "head" } : undefined,
    });
    if (!head && result.entries > 0)
      problems.unshift({ orgId, seq: null, kind: "head_mismatch", message: "the org has entries but no chain head row (deleted)" });
    out.orgs.push(result);
    out.problems.push(...problems);
  }
  out.ok = out.problems.length === 0;
  return out;
}

/** Verify an export file (trusted keys must be given: an export carries none). */
export async function verifyAuditExport(file: string, opts: VerifySourceOptions & { trustedKeys: Map<string, Uint8Array> }): Promise<AuditVerification> {
  const parsed = await readAuditJsonl(file);
  const extra = await extraCheckpoints(opts.checkpointsFile);
  const out: AuditVerification = { ok: true, orgs: [], problems: [...extra.problems] };
  if (parsed.truncation) out.problems.push({ orgId: "-", seq: null, kind: "export_truncated", message: `${file}: ${parsed.truncation}` });
  const orgIds = opts.orgIds ?? [...new Set([...parsed.entries.keys(), ...Object.keys(parsed.end ?? {})])].sort();
  for (const orgId of orgIds) {
    const end = parsed.end?.[orgId];
    const entries = parsed.entries.get(orgId) ?? [];
    const first = entries[0]?.seq ?? 1;
    const checkpoints = dedupe([...(parsed.checkpoints.get(orgId) ?? []), ...(extra.byOrg.get(orgId) ?? [])]).filter((c) => c.seq >= first);
    const { result, problems } = await verifyOrgChain(orgId, [entries], {
      checkpoints,
      trustedKeys: opts.trustedKeys,
      allowPartial: true,
      end: end ? { seq: end.lastSeq, hash: end.lastHash, source: "export" } : undefined,
    });
    if (end && end.entries !== result.entries && problems.length === 0) {
      problems.push({ orgId, seq: null, kind: "export_truncated", message: `the end line counts ${end.entries} entries, the file holds ${result.entries}` });
    }
    out.orgs.push(result);
    out.problems.push(...problems);
  }
  out.ok = out.problems.length === 0;
  return out;
}
