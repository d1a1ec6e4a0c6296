/** Queries of the LDAP module: the org's settings row, account links and channel grants. */
import type { Db, Tx } from "../../platform/db/index.ts";
import type { LdapAccountsTable, LdapConfigsTable } from "../../platform/db/tables.ts";

type Q = Db | Tx;

export function getLdapRow(q: Q, orgId: string): Promise<LdapConfigsTable | undefined> {
  return q.selectFrom("ldap_configs").selectAll().where("org_id", "=", orgId).executeTakeFirst();
}

export async function upsertLdapRow(tx: Tx, row: Pick<LdapConfigsTable, "org_id" | "settings" | "bind_password" | "updated_by" | "updated_at">): Promise<void> {
  await tx
    .insertInto("ldap_configs")
    .values({ ...row, last_sync: null, last_sync_at: null, sync_lease_until: null })
    .onConflict((oc) =>
      oc.column("org_id").doUpdateSet({ settings: row.settings, bind_password: row.bind_password, updated_by: row.updated_by, updated_at: row.updated_at }),
    )
    .execute();
}

/** Every org's row (one per org with a directory; the scheduler picks the due ones). */
export function listLdapRows(q: Q): Promise<Array<Pick<LdapConfigsTable, "org_id" | "settings" | "last_sync_at">>> {
  return q.selectFrom("ldap_configs").select(["org_id", "settings", "last_sync_at"]).execute();
}

/** Take the org's sync lease unless another sync holds it. */
export async function claimSyncLease(q: Q, orgId: string, now: number, until: number): Promise<boolean> {
  const r = await q
    .updateTable("ldap_configs")
    .set({ sync_lease_until: until })
    .where("org_id", "=", orgId)
    .where((eb) => eb.or([eb("sync_lease_until", "is", null), eb("sync_lease_until", "<", now)]))
    .executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

/** Record a sync's outcome and give the lease back. */
export async function finishSync(q: Q, orgId: string, status: string | null, at: number): Promise<void> {
  await q
    .updateTable("ldap_configs")
    .set(status === null ? { sync_lease_until: null } : { last_sync: status, last_sync_at: at, sync_lease_until: null })
    .where("org_id", "=", orgId)
    .execute();
}

export function findLinkByExternalId(q: Q, orgId: string, externalId: string): Promise<LdapAccountsTable | undefined> {
  return q.selectFrom("ldap_accounts").selectAll().where("org_id", "=", orgId).where("external_id", "=", externalId).executeTakeFirst();
}

export function findLinkOfUser(q: Q, orgId: string, userId: string): Promise<LdapAccountsTable | undefined> {
  return q.selectFrom("ldap_accounts").selectAll().where("org_id", "=", orgId).where("user_id", "=", userId).executeTakeFirst();
}

/** The org's directory accounts with their users' state. */
export function listLinkedAccounts(q: Q, orgId: string) {
  return q
    .selectFrom("ldap_accounts as l")
    .innerJoin("users as u", "u.id", "l.user_id")
    .select(["l.user_id", "l.external_id", "l.deactivated_by_sync", "u.deactivated_at", "u.role"])
    .where("l.org_id", "=", orgId)
    .orderBy("l.user_id")
    .execute();
}

/** Whether a directory account of the org is an owner or admin (a directory that signs them in needs an owner to configure). */
export async function hasPrivilegedDirectoryAccount(q: Q, orgId: string): Promise<boolean> {
  const r = await q
    .selectFrom("ldap_accounts as l")
    .innerJoin("users as u", "u.id", "l.user_id")
    .select("l.user_id")
    .where("l.org_id", "=", orgId)
    .where("u.role", "in", ["owner", "admin"])
    .where("u.deactivated_at", "is", null)
    .executeTakeFirst();
  return r !== undefined;
}

export async function activeOwnerCount(q: Q, orgId: string): Promise<number> {
  const r = await q
    .selectFrom("users")
    .select((eb) => eb.fn.countAll<number>().as("n"))
    .where("org_id", "=", orgId)
    .where("role", "=", "owner")
    .where("deactivated_at", "is", null)
    .executeTakeFirstOrThrow();
  return Number(r.n);
}

export async function grantedChannelIds(q: Q, userId: string): Promise<string[]> {
  const rows = await q.selectFrom("ldap_channel_grants").select("channel_id").where("user_id", "=", userId).execute();
  return rows.map((r) => r.channel_id);
}

export async function addGrant(tx: Tx, a: { orgId: string; channelId: string; userId: string; now: number }): Promise<void> {
  await tx
    .insertInto("ldap_channel_grants")
    .values({ org_id: a.orgId, channel_id: a.channelId, user_id: a.userId, created_at: a.now })
    .onConflict((oc) => oc.columns(["channel_id", "user_id"]).doNothing())
    .execute();
}

export async function deleteGrant(tx: Tx, channelId: string, userId: string): Promise<void> {
  await tx.deleteFrom("ldap_channel_grants").where("channel_id", "=", channelId).where("user_id", "=", userId).execute();
}
