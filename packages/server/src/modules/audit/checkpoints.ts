/**
 * Signed checkpoints of each org's chain: (org, seq, head hash, time) signed with the
 * server's "audit" Ed25519 key from platform/kms. Written every auditCheckpointEvery
 * entries (by appendAudit, in the entry's transaction) and, for a chain that moved but
 * has not reached that count, every auditCheckpointSeconds by the checkpointer
 * (checkpointer.ts). Copies shipped off the box (the JSON Lines sink) let `parley audit
 * verify --checkpoints FILE` catch even a rewrite of the whole table.
 */
import crypto from "node:crypto";
import type { Kysely } from "kysely";
import type { Database } from "../../platform/db/tables.ts";
import type { Kms } from "../../platform/kms/index.ts";
import { encodeCheckpoint, type CheckpointFields } from "./canonical.ts";

/** A checkpoint as stored, exported and verified. */
export interface AuditCheckpoint extends CheckpointFields {
  /** Ed25519 signature over encodeCheckpoint(fields), base64url. */
  signature: string;
}

/** Sign and store a checkpoint of (org, seq, head hash) now; marks the head as checkpointed. */
export async function writeCheckpoint(
  tx: Kysely<Database>,
  deps: { kms: Kms; now(): number },
  c: { orgId: string; seq: number; headHash: string },
): Promise<AuditCheckpoint> {
  const key = await deps.kms.key("audit");
  const fields: CheckpointFields = { orgId: c.orgId, seq: c.seq, headHash: c.headHash, at: deps.now(), keyId: key.id };
  const cp: AuditCheckpoint = { ...fields, signature: Buffer.from(key.sign(encodeCheckpoint(fields))).toString("base64url") };
  await tx
    .insertInto("audit_checkpoints")
    .values({ org_id: cp.orgId, seq: cp.seq, head_hash: cp.headHash, at: cp.at, key_id: cp.keyId, signature: cp.signature })
    .onConflict((oc) => oc.columns(["org_id", "seq"]).doNothing())
    .execute();
  await tx.updateTable("audit_heads").set({ checkpoint_seq: cp.seq, checkpoint_at: cp.at }).where("org_id", "=", cp.orgId).execute();
  return cp;
}

/** Whether `cp` carries a valid signature by the Ed25519 public key `publicKey` (32 raw bytes). */
export function checkpointSignatureValid(cp: AuditCheckpoint, publicKey: Uint8Array): boolean {
  try {
    const key = crypto.createPublicKey({ key: { kty: "OKP", crv: "Ed25519", x: Buffer.from(publicKey).toString("base64url") }, format: "jwk" });
    return crypto.verify(null, encodeCheckpoint(cp), key, Buffer.from(cp.signature, "base64url"));
  } catch {
    return false;
  }
}

/** The audit public keys this database knows (active and retired), by key id. */
export async function auditPublicKeys(db: Kysely<Database>): Promise<Map<string, Uint8Array>> {
  const rows = await db.selectFrom("server_keys").select(["id", "public_jwk"]).where("purpose", "=", "audit").execute();
  return new Map(rows.map((r) => [r.id, new Uint8Array(Buffer.from((JSON.parse(r.public_jwk) as { x: string }).x, "base64url"))]));
}

/** Checkpoint rows as AuditCheckpoints, in seq order. */
export async function listCheckpoints(db: Kysely<Database>, orgId: string, fromSeq = 0): Promise<AuditCheckpoint[]> {
  const rows = await db.selectFrom("audit_checkpoints").selectAll().where("org_id", "=", orgId).where("seq", ">=", fromSeq).orderBy("seq").execute();
  return rows.map((r) => ({ orgId: r.org_id, seq: Number(r.seq), headHash: r.head_hash, at: Number(r.at), keyId: r.key_id, signature: r.signature }));
}
