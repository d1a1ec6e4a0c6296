/**
 * Personal data in audit entries (names, client address, user agent) is sealed with
 * AES-256-GCM under a key per (org, subject); the key is stored sealed by platform/kms in
 * audit_pii_keys. Erasing a subject (GDPR) deletes its key: the entries stay, their hashes
 * cover the sealed bytes, so the chain still verifies while the PII reads as erased.
 *
 * Sealed bytes: u8 version (1) | u8 len | key id (ascii) | 12-byte iv | 16-byte tag | ciphertext
 * of the canonical JSON of the data; AAD "parley-audit-pii/1|org|subject|key id".
 */
import crypto from "node:crypto";
import type { Kysely } from "kysely";
import type { Database } from "../../platform/db/tables.ts";
import type { Kms } from "../../platform/kms/index.ts";
import { newId } from "../../platform/ids.ts";
import { canonicalJson } from "./canonical.ts";
import type { AuditPii } from "./types.ts";

const VERSION = 1;
/** What readPii returns once the subject's key is gone. */
export const ERASED = "erased" as const;

const keyContext = (orgId: string, subject: string, id: string) => `audit_pii_keys/${orgId}/${subject}/${id}`;
const aad = (orgId: string, subject: string, id: string) => Buffer.from(`parley-audit-pii/1|${orgId}|${subject}|${id}`, "utf8");

async function subjectKey(db: Kysely<Database>, kms: Kms, orgId: string, subject: string, now: number): Promise<{ id: string; key: Uint8Array }> {
  let row = await db.selectFrom("audit_pii_keys").select(["id", "sealed_key"]).where("org_id", "=", orgId).where("subject", "=", subject).executeTakeFirst();
  if (!row) {
    const id = newId("apk");
    const key = crypto.randomBytes(32);
    const sealed = await kms.seal(key, keyContext(orgId, subject, id), { orgId, db });
    key.fill(0);
    // appendAudit holds the org's head row, so no other writer of this org races us here;
    // onConflict keeps a second org-less caller (none today) from failing anyway.
    await db
      .insertInto("audit_pii_keys")
      .values({ id, org_id: orgId, subject, sealed_key: sealed, created_at: now })
      .onConflict((oc) => oc.columns(["org_id", "subject"]).doNothing())
      .execute();
    row = await db
      .selectFrom("audit_pii_keys")
      .select(["id", "sealed_key"])
      .where("org_id", "=", orgId)
      .where("subject", "=", subject)
      .executeTakeFirstOrThrow();
  }
  return { id: row.id, key: await kms.open(row.sealed_key, keyContext(orgId, subject, row.id), { orgId, db }) };
}

/** Seal `pii` under its subject's key (created on first use). */
export async function sealPii(db: Kysely<Database>, kms: Kms, orgId: string, pii: AuditPii, now: number): Promise<Uint8Array> {
  const { id, key } = await subjectKey(db, kms, orgId, pii.subject, now);
  try {
    const iv = crypto.randomBytes(12);
    const c = crypto.createCipheriv("aes-256-gcm", key, iv);
    c.setAAD(aad(orgId, pii.subject, id));
    const ct = Buffer.concat([c.update(canonicalJson(pii.data), "utf8"), c.final()]);
    const kid = Buffer.from(id, "ascii");
    return new Uint8Array(Buffer.concat([Buffer.from([VERSION, kid.length]), kid, iv, c.getAuthTag(), ct]));
  } finally {
    key.fill(0);
  }
}

/** Reads the PII of many entries of one org, opening each subject key once; `close()` wipes the opened keys. */
export interface PiiReader {
  /** The PII of an entry, or "erased" when its key was deleted (or replaced after an erasure). Throws on damaged bytes. */
  read(subject: string, sealed: Uint8Array): Promise<Record<string, string> | typeof ERASED>;
  close(): void;
}

/** A {@link PiiReader} for `orgId` (keys are cached for the reader's life: use one per request or page). */
export function piiReader(db: Kysely<Database>, kms: Kms, orgId: string): PiiReader {
  const keys = new Map<string, Uint8Array | null>();
  const keyOf = async (subject: string, id: string): Promise<Uint8Array | null> => {
    const cacheKey = `${subject}\n${id}`;
    if (keys.has(cacheKey)) return keys.get(cacheKey) ?? null;
    const row = await db
      .selectFrom("audit_pii_keys")
      .select("sealed_key")
      .where("id", "=", id)
      .where("org_id", "=", orgId)
      .where("subject", "=", subject)
      .executeTakeFirst();
    const key = row ? await kms.open(row.sealed_key, keyContext(orgId, subject, id), { orgId, db }) : null;
    keys.set(cacheKey, key);
    return key;
  };
  return {
    async read(subject, sealed) {
      const buf = Buffer.from(sealed);
      if (buf[0] !== VERSION || buf.length < 2) throw new Error("audit PII: unknown format");
      const kidEnd = 2 + (buf[1] ?? 0);
      const id = buf.subarray(2, kidEnd).toString("ascii");
      const key = await keyOf(subject, id);
      if (!key) return ERASED;
      const d = crypto.createDecipheriv("aes-256-gcm", key, buf.subarray(kidEnd, kidEnd + 12));
      d.setAAD(aad(orgId, subject, id));
      d.setAuthTag(buf.subarray(kidEnd + 12, kidEnd + 28));
      const text = Buffer.concat([d.update(buf.subarray(kidEnd + 28)), d.final()]).toString("utf8");
      return JSON.parse(text) as Record<string, string>;
    },
    close() {
      for (const k of keys.values()) k?.fill(0);
      keys.clear();
    },
  };
}

/** The PII of one entry, or "erased" when its key was deleted (or replaced after an erasure). */
export async function readPii(
  db: Kysely<Database>,
  kms: Kms,
  orgId: string,
  subject: string,
  sealed: Uint8Array,
): Promise<Record<string, string> | typeof ERASED> {
  const reader = piiReader(db, kms, orgId);
  try {
    return await reader.read(subject, sealed);
  } finally {
    reader.close();
  }
}

/**
 * GDPR erasure of one subject's audit PII: deletes the subject's key. Later entries
 * about the subject get a fresh key. Returns whether a key existed.
 */
export async function eraseAuditPii(db: Kysely<Database>, orgId: string, subject: string): Promise<boolean> {
  const r = await db.deleteFrom("audit_pii_keys").where("org_id", "=", orgId).where("subject", "=", subject).executeTakeFirst();
  return Number(r.numDeletedRows) > 0;
}
