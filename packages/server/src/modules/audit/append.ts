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

/** Bump the org's head (creating it at seq 0 first), locking it for this transaction. */
async function bumpHead(tx: Kysely<Database>, orgId: string): Promise<{ seq: number; hash: string; checkpoint_seq: number }> {
  const bump = () => tx.updateTable("audit_heads").set((eb) => ({ seq: eb("seq", "+", 1) })).where("org_id", "=", orgId)
    .returning(["seq", "hash", "checkpoint_seq"]).executeTakeFirst();
  let head = await bump();
  if (!head) {
    await tx.insertInto("audit_heads").values({ org_id: orgId, seq: 0, hash: GENESIS_HASH, checkpoint_seq: 0, checkpoint_at: 0 })
      .onConflict((oc) => oc.column("org_id").doNothing()).execute();
    head = await bump();
    if (!head) throw new Error(`audit head of ${orgId} vanished`);
  }
  return { seq: Number(head.seq), hash: head.hash, checkpoint_seq: Number(head.checkpoint_seq) };
}

/**
 * Append one entry to its org's chain inside `tx` and return it as stored. Writes a
 * signed checkpoint in the same transaction every `auditCheckpointEvery` entries.
 * Throws AuditError for an entry that breaks the rules (bad action name, secrets).
 */
export async function appendAudit(tx: Kysely<Database>, deps: AuditDeps, entry: AuditEntryInput): Promise<AuditRecord> {
  validate(entry);
  const head = await bumpHead(tx, entry.orgId);
  const at = deps.now();
  const pii = entry.pii ? await sealPii(tx, deps.kms, entry.orgId, entry.pii, at) : null;
  const unhashed: Omit<AuditRecord, "hash"> = {
    orgId: entry.orgId, seq: head.seq, at, actorKind: entry.actor.kind, actorId: entry.actor.id ?? null,
    actorDeviceId: entry.actor.deviceId ?? null, action: entry.action, targetKind: entry.target?.kind ?? null,
    targetId: entry.target?.id ?? null, result: entry.result, details: canonicalJson(entry.details ?? {}),
    piiSubject: entry.pii ? entry.pii.subject : null, pii, prevHash: head.hash,
  };
  const record: AuditRecord = { ...unhashed, hash: entryHash(unhashed) };
  await tx.insertInto("audit_log").values({
    org_id: record.orgId, seq: record.seq, at: record.at, actor_kind: record.actorKind, actor_id: record.actorId,
    actor_device_id: record.actorDeviceId, action: record.action, target_kind: record.targetKind, target_id: record.targetId,
    result: record.result, details: record.details, pii_subject: record.piiSubject, pii: record.pii,
    prev_hash: record.prevHash, hash: record.hash,
  }).execute();
  await tx.updateTable("audit_heads").set({ hash: record.hash }).where("org_id", "=", record.orgId).execute();
  if (record.seq - head.checkpoint_seq >= deps.config.auditCheckpointEvery) {
    await writeCheckpoint(tx, deps, { orgId: record.orgId, seq: record.seq, headHash: record.hash });
  }
  return record;
}
