/** SQL of the E2EE directories: bindings, KeyPackages, the org suite. */
import type { Db, Tx } from "../../platform/db/index.ts";
import type { DeviceBindingsTable, KeyPackagesTable } from "../../platform/db/tables.ts";

type Q = Db | Tx;
export type Suite = "default" | "xwing";

/** The org's settings JSON (orgs.settings). */
export async function orgSettings(q: Q, orgId: string): Promise<Record<string, unknown>> {
  const row = await q.selectFrom("orgs").select("settings").where("id", "=", orgId).executeTakeFirst();
  try {
    return row ? (JSON.parse(row.settings) as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

export async function orgSuite(q: Q, orgId: string): Promise<Suite> {
  const s = (await orgSettings(q, orgId)).e2eeSuite;
  return s === "xwing" ? "xwing" : "default";
}

export async function setOrgSettings(tx: Tx, orgId: string, settings: Record<string, unknown>): Promise<void> {
  await tx
    .updateTable("orgs")
    .set({ settings: JSON.stringify(settings) })
    .where("id", "=", orgId)
    .execute();
}

/** Any binding of a device (active or not), scoped to the org. */
export async function getBinding(q: Q, orgId: string, deviceId: string): Promise<DeviceBindingsTable | undefined> {
  return q.selectFrom("device_bindings").selectAll().where("org_id", "=", orgId).where("device_id", "=", deviceId).executeTakeFirst();
}

export async function insertBinding(tx: Tx, row: DeviceBindingsTable): Promise<void> {
  await tx.insertInto("device_bindings").values(row).execute();
}

/**
 * Bindings of ACTIVE devices (not revoked, owner not deactivated) in the org,
 * filtered by users and/or devices. Revoked devices' bindings are never returned,
 * so a client never accepts their leaves as current.
 */
export async function activeBindings(
  q: Q,
  orgId: string,
  filter: { userIds?: string[]; deviceIds?: string[] },
  opts: { includeRevoked?: boolean } = {},
): Promise<DeviceBindingsTable[]> {
  if ((filter.userIds && filter.userIds.length === 0) || (filter.deviceIds && filter.deviceIds.length === 0)) return [];
  let sel = q
    .selectFrom("device_bindings as b")
    .innerJoin("devices as d", "d.id", "b.device_id")
    .innerJoin("users as u", "u.id", "b.user_id")
    .selectAll("b")
    .where("b.org_id", "=", orgId)
    .where("d.org_id", "=", orgId)
    .where("u.org_id", "=", orgId);
  // Revoked devices and deactivated users keep their bindings: their old archive copies still verify (never admitted as leaves).
  if (!opts.includeRevoked) sel = sel.where("d.revoked_at", "is", null).where("u.deactivated_at", "is", null);
  if (filter.userIds) sel = sel.where("b.user_id", "in", filter.userIds);
  if (filter.deviceIds) sel = sel.where("b.device_id", "in", filter.deviceIds);
  return sel.orderBy("b.user_id").orderBy("b.created_at").execute();
}

/** Ids of the users that exist in the org (deactivated included), of those asked. */
export async function usersInOrg(q: Q, orgId: string, userIds: string[]): Promise<Set<string>> {
  if (userIds.length === 0) return new Set();
  const rows = await q.selectFrom("users").select("id").where("org_id", "=", orgId).where("id", "in", userIds).execute();
  return new Set(rows.map((r) => r.id));
}

export async function insertKeyPackages(tx: Tx, rows: KeyPackagesTable[]): Promise<number> {
  let stored = 0;
  for (const row of rows) {
    // Re-uploading the same KeyPackage is harmless: keep the first copy.
    const r = await tx
      .insertInto("key_packages")
      .values(row)
      .onConflict((oc) => oc.column("ref").doNothing())
      .returning("ref")
      .executeTakeFirst();
    if (r) stored++;
  }
  return stored;
}

export async function deleteLastResort(tx: Tx, deviceId: string, suite: Suite): Promise<void> {
  await tx.deleteFrom("key_packages").where("device_id", "=", deviceId).where("suite", "=", suite).where("last_resort", "=", 1).execute();
}

/** A device's KeyPackages of one suite: one-time ones left, and whether a last-resort one is stored. */
export interface SuiteSupply {
  available: number;
  lastResort: boolean;
}

/** The device's unexpired KeyPackages, per suite (every suite listed, zeros included). */
export async function keyPackageSupply(q: Q, deviceId: string, nowSeconds: number): Promise<Record<Suite, SuiteSupply>> {
  const rows = await q
    .selectFrom("key_packages")
    .select(["suite", "last_resort", (eb) => eb.fn.countAll<number>().as("n")])
    .where("device_id", "=", deviceId)
    .where("not_after", ">", nowSeconds)
    .groupBy(["suite", "last_resort"])
    .execute();
  const out: Record<Suite, SuiteSupply> = { default: { available: 0, lastResort: false }, xwing: { available: 0, lastResort: false } };
  for (const r of rows) {
    const s = out[r.suite as Suite];
    if (!s) continue; // a suite Parley no longer offers
    if (Number(r.last_resort) === 1) s.lastResort = Number(r.n) > 0;
    else s.available = Number(r.n);
  }
  return out;
}

/**
 * Takes one one-time KeyPackage of the device in `suite`: the oldest is deleted and returned.
 * The DELETE names the row it selected, so when two claims race for the same row
 * only one deletes it (PostgreSQL re-checks the row after the other commits; SQLite
 * serialises writers); the loser tries the next one.
 */
export async function takeOneTime(tx: Tx, deviceId: string, suite: Suite, nowSeconds: number): Promise<KeyPackagesTable | undefined> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const next = await tx
      .selectFrom("key_packages")
      .selectAll()
      .where("device_id", "=", deviceId)
      .where("suite", "=", suite)
      .where("last_resort", "=", 0)
      .where("not_after", ">", nowSeconds)
      .orderBy("created_at")
      .orderBy("ref")
      .limit(1)
      .executeTakeFirst();
    if (!next) return undefined;
    const del = await tx.deleteFrom("key_packages").where("ref", "=", next.ref).executeTakeFirst();
    if (Number(del.numDeletedRows) === 1) return next;
  }
  return undefined;
}

export async function lastResortOf(q: Q, deviceId: string, suite: Suite, nowSeconds: number): Promise<KeyPackagesTable | undefined> {
  return q
    .selectFrom("key_packages")
    .selectAll()
    .where("device_id", "=", deviceId)
    .where("suite", "=", suite)
    .where("last_resort", "=", 1)
    .where("not_after", ">", nowSeconds)
    .orderBy("created_at", "desc")
    .limit(1)
    .executeTakeFirst();
}

/** Marks the device warned; true only for the caller that flipped it (one warning per drop). */
export async function markLowWarned(tx: Tx, deviceId: string, now: number): Promise<boolean> {
  const r = await tx
    .updateTable("device_bindings")
    .set({ low_warned_at: now })
    .where("device_id", "=", deviceId)
    .where("low_warned_at", "is", null)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

export async function clearLowWarned(tx: Tx, deviceId: string): Promise<void> {
  await tx.updateTable("device_bindings").set({ low_warned_at: null }).where("device_id", "=", deviceId).execute();
}

/** Re-arms the low-water warning of every device of the org (its suite changed: the warning watches the new one). */
export async function clearOrgLowWarned(tx: Tx, orgId: string): Promise<void> {
  await tx.updateTable("device_bindings").set({ low_warned_at: null }).where("org_id", "=", orgId).execute();
}

/** Deletes the KeyPackages of revoked devices or of a deactivated user (called in their transaction). */
export async function deleteKeyPackagesOf(tx: Tx, scope: { orgId: string; deviceIds?: string[]; userId?: string }): Promise<void> {
  let q = tx.deleteFrom("key_packages").where("org_id", "=", scope.orgId);
  if (scope.deviceIds) {
    if (scope.deviceIds.length === 0) return;
    q = q.where("device_id", "in", scope.deviceIds);
  } else if (scope.userId) q = q.where("user_id", "=", scope.userId);
  else return;
  await q.execute();
}
