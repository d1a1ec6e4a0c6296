/**
 * appendAudit: one entry, written in the caller's transaction (a rolled-back command
 * leaves no entry). Seq allocation: the UPDATE that bumps the org's head row takes that
 * row's write lock until the transaction ends (a row lock on PostgreSQL, the database
 * write lock on SQLite), so concurrent appenders of one org queue behind each other and
 * seqs are gap-free; other orgs are not blocked on PostgreSQL.
 */
import type { Kysely } from "kysely";
import type { Config } from "../../config/schema.ts";
import type { Database } from "../../platform/db/tables.ts";
import type { Kms } from "../../platform/kms/index.ts";
import { GENESIS_HASH, canonicalJson, entryHash } from "./canonical.ts";
import { writeCheckpoint } from "./checkpoints.ts";
import { sealPii } from "./pii.ts";
import { ACTOR_KINDS, AUDIT_RESULTS, AuditError, type AuditEntryInput, type AuditJson, type AuditRecord } from "./types.ts";

/**
 * What appendAudit needs; `Deps` satisfies it. `kms.key("audit")` must have been loaded
 * once before (server start and the CLI's offline open do it): on SQLite a first load
 * inside the transaction would wait for the connection the transaction holds.
 */
export interface AuditDeps {
  kms: Kms;
  now(): number;
  config: Pick<Config, "auditCheckpointEvery">;
}

const ACTION = /^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$/;
/** Keys that would put a secret or message content in an entry. */
const FORBIDDEN_KEY = /^(password|passphrase|secret|token|refresh_?token|access_?token|content|plaintext|body|private_?key)$/i;

function checkDetails(value: AuditJson, path: string): void {
  if (value === null || typeof value !== "object") return;
  for (const [k, v] of Array.isArray(value) ? value.map((v, i) => [String(i), v] as const) : Object.entries(value)) {
    if (!Array.isArray(value) && FORBIDDEN_KEY.test(k)) {
      throw new AuditError("audit_secret_in_details", `audit details may not carry "${path}${k}": no secrets or message content in the audit log`);
    }
    checkDetails(v, `${path}${k}.`);
  }
}

function validate(e: AuditEntryInput): void {
  if (!ACTION.test(e.action)) throw new AuditError("audit_bad_entry", `audit action "${e.action}" is not dotted lower-case (e.g. auth.login.succeeded)`);
  if (!ACTOR_KINDS.includes(e.actor.kind)) throw new AuditError("audit_bad_entry", `unknown actor kind "${e.actor.kind}"`);
  if (!AUDIT_RESULTS.includes(e.result)) throw new AuditError("audit_bad_entry", `unknown result "${e.result}"`);
  checkDetails(e.details ?? {}, "");
}

/** Bump the org's head by `n` (creating it at seq 0 first), locking it for this transaction. Returns the new last seq. */
async function bumpHead(tx: Kysely<Database>, orgId: string, n: number): Promise<{ seq: number; hash: string; checkpoint_seq: number }> {
  const bump = () =>
    tx
      .updateTable("audit_heads")
      .set((eb) => ({ seq: eb("seq", "+", n) }))
      .where("org_id", "=", orgId)
      .returning(["seq", "hash", "checkpoint_seq"])
      .executeTakeFirst();
  let head = await bump();
  if (!head) {
    await tx
      .insertInto("audit_heads")
      .values({ org_id: orgId, seq: 0, hash: GENESIS_HASH, checkpoint_seq: 0, checkpoint_at: 0 })
      .onConflict((oc) => oc.column("org_id").doNothing())
      .execute();
    head = await bump();
    if (!head) throw new Error(`audit head of ${orgId} vanished`);
  }
  return { seq: Number(head.seq), hash: head.hash, checkpoint_seq: Number(head.checkpoint_seq) };
}

const row = (r: AuditRecord) => ({
  org_id: r.orgId,
  seq: r.seq,
  at: r.at,
  actor_kind: r.actorKind,
  actor_id: r.actorId,
  actor_device_id: r.actorDeviceId,
  action: r.action,
  target_kind: r.targetKind,
  target_id: r.targetId,
  result: r.result,
  details: r.details,
  pii_subject: r.piiSubject,
  pii: r.pii,
  prev_hash: r.prevHash,
  hash: r.hash,
});

/** Append one org's entries in order: one head bump, one multi-row insert, one head update. */
async function appendOrg(tx: Kysely<Database>, deps: AuditDeps, orgId: string, entries: AuditEntryInput[]): Promise<AuditRecord[]> {
  const head = await bumpHead(tx, orgId, entries.length);
  let seq = head.seq - entries.length;
  let prevHash = head.hash;
  const records: AuditRecord[] = [];
  for (const entry of entries) {
    const at = deps.now();
    const pii = entry.pii ? await sealPii(tx, deps.kms, orgId, entry.pii, at) : null;
    const unhashed: Omit<AuditRecord, "hash"> = {
      orgId,
      seq: ++seq,
      at,
      actorKind: entry.actor.kind,
      actorId: entry.actor.id ?? null,
      actorDeviceId: entry.actor.deviceId ?? null,
      action: entry.action,
      targetKind: entry.target?.kind ?? null,
      targetId: entry.target?.id ?? null,
      result: entry.result,
      details: canonicalJson(entry.details ?? {}),
      piiSubject: entry.pii ? entry.pii.subject : null,
      pii,
      prevHash,
    };
    const record: AuditRecord = { ...unhashed, hash: entryHash(unhashed) };
    records.push(record);
    prevHash = record.hash;
  }
  // 15 columns a row: 500 rows stay under SQLite's 32,766 bound parameters.
  for (let i = 0; i < records.length; i += 500)
    await tx
      .insertInto("audit_log")
      .values(records.slice(i, i + 500).map(row))
      .execute();
  await tx.updateTable("audit_heads").set({ hash: prevHash }).where("org_id", "=", orgId).execute();
  if (head.seq - head.checkpoint_seq >= deps.config.auditCheckpointEvery) {
    await writeCheckpoint(tx, deps, { orgId, seq: head.seq, headHash: prevHash });
  }
  return records;
}

/**
 * Append entries (in order, any orgs) to their chains inside `tx`; returns them as
 * stored. Per org one head bump and one multi-row insert, so a command pipeline that
 * buffers its `fx.audit()` calls and flushes them here at commit pays per batch, not
 * per entry. Writes a signed checkpoint in the same transaction once an org's chain is
 * `auditCheckpointEvery` entries past its last one. Throws AuditError for an entry that
 * breaks the rules (bad action name, secrets in details) before writing anything.
 */
export async function appendAuditBatch(tx: Kysely<Database>, deps: AuditDeps, entries: readonly AuditEntryInput[]): Promise<AuditRecord[]> {
  for (const e of entries) validate(e);
  const byOrg = new Map<string, AuditEntryInput[]>();
  for (const e of entries) byOrg.set(e.orgId, [...(byOrg.get(e.orgId) ?? []), e]);
  const out = new Map<AuditEntryInput, AuditRecord>();
  for (const [orgId, list] of byOrg) {
    const records = await appendOrg(tx, deps, orgId, list);
    list.forEach((e, i) => out.set(e, records[i] as AuditRecord));
  }
  return entries.map((e) => out.get(e) as AuditRecord);
}

/** Append one entry inside `tx` (appendAuditBatch of one); a rolled-back transaction leaves no entry and no seq. */
export async function appendAudit(tx: Kysely<Database>, deps: AuditDeps, entry: AuditEntryInput): Promise<AuditRecord> {
  const [record] = await appendAuditBatch(tx, deps, [entry]);
  return record as AuditRecord;
}
