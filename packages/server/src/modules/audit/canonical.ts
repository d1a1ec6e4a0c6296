/**
 * The canonical encoding that audit hashes and checkpoint signatures cover
 * (docs/audit.md "Canonical encoding"). Length-prefixed fields, so no field can
 * bleed into the next whatever bytes it holds:
 *
 *   encoding = "parley-audit-entry/1" field*            (the tag itself is a field)
 *   field    = u32be(len) utf8(value)   |   u32be(0xFFFFFFFF) for null
 *
 * Fields, in this order: org id, seq (decimal), at (decimal ms), actor kind, actor id,
 * actor device id, action, target kind, target id, result, details (canonical JSON:
 * object keys sorted by UTF-16 code unit, no whitespace, JSON.stringify's escapes),
 * PII subject, PII digest (lowercase hex SHA-256 of the sealed PII bytes, null when
 * none), previous hash (lowercase hex). hash = lowercase hex SHA-256(encoding).
 * The first entry of an org chains to GENESIS_HASH (64 zeros).
 */
import crypto from "node:crypto";
import type { AuditJson, AuditRecord } from "./types.ts";

/** prev_hash of an org's first entry. */
export const GENESIS_HASH = "0".repeat(64);
const ENTRY_TAG = "parley-audit-entry/1";
const CHECKPOINT_TAG = "parley-audit-checkpoint/1";
const NULL_LEN = 0xffffffff;

/** JSON with object keys sorted at every level and no whitespace. */
export function canonicalJson(value: AuditJson): string {
  if (value === null || typeof value !== "object") {
    if (typeof value === "number" && !Number.isFinite(value)) throw new TypeError("audit details: non-finite number");
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  const keys = Object.keys(value)
    .filter((k) => value[k] !== undefined)
    .sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(value[k] as AuditJson)}`).join(",")}}`;
}

/**
 * Encode into `scratch` when it is large enough (the caller consumes the bytes before the
 * next encoding), else into a new buffer.
 */
function encodeFields(fields: readonly (string | null)[], scratch?: Buffer): Buffer {
  // Sized for the worst case (3 UTF-8 bytes per UTF-16 unit), each length written after its
  // field: verification hashes every entry, so this is its hot path.
  let size = 0;
  for (const f of fields) size += 4 + (f === null ? 0 : 3 * f.length);
  const out = scratch && scratch.length >= size ? scratch : Buffer.allocUnsafe(size);
  let at = 0;
  for (const f of fields) {
    if (f === null) {
      out.writeUInt32BE(NULL_LEN, at);
      at += 4;
      continue;
    }
    const n = f.length === 0 ? 0 : out.write(f, at + 4, "utf8");
    out.writeUInt32BE(n, at);
    at += 4 + n;
  }
  return out.subarray(0, at);
}

/** Lowercase hex SHA-256 of the sealed PII bytes, or null. */
function piiDigest(pii: Uint8Array | null): string | null {
  return pii === null ? null : crypto.hash("sha256", pii, "hex");
}

/** The bytes an entry's hash covers. */
function encodeEntry(r: Omit<AuditRecord, "hash">, scratch?: Buffer): Buffer {
  return encodeFields(
    [
      ENTRY_TAG,
      r.orgId,
      String(r.seq),
      String(r.at),
      r.actorKind,
      r.actorId,
      r.actorDeviceId,
      r.action,
      r.targetKind,
      r.targetId,
      r.result,
      r.details,
      r.piiSubject,
      piiDigest(r.pii),
      r.prevHash,
    ],
    scratch,
  );
}

// Reused by entryHash: crypto.hash reads it synchronously, before any other encoding.
const entryScratch = Buffer.allocUnsafe(16 * 1024);

/** The entry's hash: lowercase hex SHA-256 of encodeEntry. */
export function entryHash(r: Omit<AuditRecord, "hash">): string {
  return crypto.hash("sha256", encodeEntry(r, entryScratch), "hex");
}

/** What a checkpoint signs. */
export interface CheckpointFields {
  orgId: string;
  seq: number;
  headHash: string;
  at: number;
  keyId: string;
}

/** The bytes a checkpoint's Ed25519 signature covers (same field encoding, its own tag). */
export function encodeCheckpoint(c: CheckpointFields): Buffer {
  return encodeFields([CHECKPOINT_TAG, c.orgId, String(c.seq), c.headHash, String(c.at), c.keyId]);
}
