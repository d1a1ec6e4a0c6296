/**
 * `parley keys rotate | retire | status`: the operator's side of platform/kms. A rotation
 * makes a new KEK (a line at the top of the key file, or a new object in the HSM token)
 * and re-wraps every data key under it, row by row, while servers keep running: they hold
 * their data keys unwrapped, and the old KEK still unwraps until it is retired. Retiring
 * destroys KEKs nothing references any more. Each is recorded in every org's audit log
 * (the system actor), since every org's secrets hang off the KEK.
 */
import { sql } from "kysely";
import type { Deps } from "../../context.ts";
import { runCommand } from "../../command.ts";
import { systemActor } from "../../core/actor.ts";
import { dataKeyReferences, rewrapDataKeys, type KekInfo } from "../../platform/kms/index.ts";
import type { Db } from "../../platform/db/index.ts";
import type { AuditJson } from "../audit/types.ts";

/** One audit entry per org (none when there is no org yet). */
export async function auditEveryOrg(deps: Deps, action: string, target: { kind: string; id: string }, details: Record<string, AuditJson>): Promise<void> {
  const orgs = await deps.db.selectFrom("orgs").select("id").orderBy("created_at").execute();
  for (const { id } of orgs) {
    await runCommand(deps, systemActor(id), `keys.${action}`, async (_tx, fx) => fx.audit({ action, target, result: "success", details }));
  }
}

/**
 * Values still in the older `kms1:` format, per KEK id (they name the key-file KEK that
 * wrapped their own data key). Any text column may hold one (a job payload embeds it), so
 * every text column of every table is searched: an offline admin's scan, not a hot path.
 */
async function legacyReferences(db: Db): Promise<Map<string, number>> {
  const refs = new Map<string, number>();
  for (const table of await db.introspection.getTables()) {
    for (const column of table.columns) {
      if (!/^(text|varchar|character varying)$/i.test(column.dataType)) continue;
      const rows = await sql<{
        v: string;
      }>`SELECT ${sql.ref(column.name)} AS v FROM ${sql.table(table.name)} WHERE ${sql.ref(column.name)} LIKE ${"%kms1:%"}`.execute(db);
      for (const { v } of rows.rows) {
        for (const m of v.matchAll(/kms1:\{\\*"kek\\*":\\*"([0-9a-f]{16})/g)) refs.set(m[1]!, (refs.get(m[1]!) ?? 0) + 1);
      }
    }
  }
  return refs;
}

export interface KekStatus extends KekInfo {
  /** Data keys it wraps. */
  dataKeys: number;
  /** Values in the older `kms1:` format it sealed. */
  legacyValues: number;
  /** False for a KEK referenced in the database that the configured key file or token does not hold. */
  held: boolean;
}

/** The KEKs: those held (newest first), then any referenced but not held (a restore is needed). */
export async function kekStatus(deps: Deps): Promise<KekStatus[]> {
  const [held, dataRefs, legacyRefs] = await Promise.all([deps.kms.keks.list(), dataKeyReferences(deps.db), legacyReferences(deps.db)]);
  const out: KekStatus[] = held.map((k) => ({ ...k, dataKeys: dataRefs.get(k.id) ?? 0, legacyValues: legacyRefs.get(k.id) ?? 0, held: true }));
  for (const id of new Set([...dataRefs.keys(), ...legacyRefs.keys()])) {
    if (held.some((k) => k.id === id)) continue;
    const source = id.startsWith("p11:") ? "pkcs11" : "key-file";
    out.push({ id, active: false, source, dataKeys: dataRefs.get(id) ?? 0, legacyValues: legacyRefs.get(id) ?? 0, held: false });
  }
  return out;
}

export interface KekRotation {
  /** The new active KEK. */
  kek: string;
  /** The KEKs held before (they still unwrap until retired). */
  previous: string[];
  /** Data keys re-wrapped under the new KEK. */
  rewrapped: number;
}

/** A new KEK becomes active and every data key is re-wrapped under it. Running it again after a crash finishes the job (with one more KEK). */
export async function rotateKek(deps: Deps, opts: { onProgress?: (done: number, total: number) => void } = {}): Promise<KekRotation> {
  const before = await deps.kms.keks.list();
  const kek = await deps.kms.keks.create();
  const rewrapped = await rewrapDataKeys(deps.db, deps.kms.keks, kek, deps.now, opts.onProgress);
  const previous = before.map((k) => k.id);
  await auditEveryOrg(deps, "kms.kek_rotated", { kind: "kek", id: kek.id }, { kms: deps.kms.kind, previous, rewrapped });
  return { kek: kek.id, previous, rewrapped };
}

/**
 * Destroy every KEK but the active one that no data key and no `kms1:` value references.
 * KEKs of the key file used before a move to an HSM are only reported: delete that file
 * yourself once they show no references.
 */
export async function retireKeks(deps: Deps): Promise<{ retired: string[]; kept: KekStatus[] }> {
  const retired: string[] = [];
  const kept: KekStatus[] = [];
  for (const k of await kekStatus(deps)) {
    if (k.active || !k.held) continue;
    if (k.dataKeys > 0 || k.legacyValues > 0 || k.source !== deps.kms.keks.kind) {
      kept.push(k);
      continue;
    }
    await deps.kms.keks.destroy(k.id);
    retired.push(k.id);
    await auditEveryOrg(deps, "kms.kek_retired", { kind: "kek", id: k.id }, { kms: deps.kms.kind });
  }
  return { retired, kept };
}
