/** Queries of the SSO module: providers, identity links, one-time states and codes, logout-token replay, channel grants. */
import type { Db, Tx } from "../../platform/db/index.ts";
import type { SsoCodesTable, SsoIdentitiesTable, SsoProvidersTable, SsoStatesTable } from "../../platform/db/tables.ts";

type Q = Db | Tx;

/** A provider of the org (another org's id looks like a missing one). */
export function getProviderRow(q: Q, orgId: string, id: string): Promise<SsoProvidersTable | undefined> {
  return q.selectFrom("sso_providers").selectAll().where("org_id", "=", orgId).where("id", "=", id).executeTakeFirst();
}

/** A provider by id alone (the browser endpoints, which know no org before the provider names it). */
export function findProviderRow(q: Q, id: string): Promise<SsoProvidersTable | undefined> {
  return q.selectFrom("sso_providers").selectAll().where("id", "=", id).executeTakeFirst();
}

export function listProviderRows(q: Q, orgId: string): Promise<SsoProvidersTable[]> {
  return q.selectFrom("sso_providers").selectAll().where("org_id", "=", orgId).orderBy("name").orderBy("id").execute();
}

/** Every enabled provider (back-channel logout finds the one a logout token is for among them). */
export function listEnabledProviderRows(q: Q): Promise<SsoProvidersTable[]> {
  return q.selectFrom("sso_providers").selectAll().where("enabled", "=", 1).execute();
}

export function findIdentity(q: Q, providerId: string, subject: string): Promise<SsoIdentitiesTable | undefined> {
  return q.selectFrom("sso_identities").selectAll().where("provider_id", "=", providerId).where("subject", "=", subject).executeTakeFirst();
}

export function findIdentityOfUser(q: Q, providerId: string, userId: string): Promise<SsoIdentitiesTable | undefined> {
  return q.selectFrom("sso_identities").selectAll().where("provider_id", "=", providerId).where("user_id", "=", userId).executeTakeFirst();
}

/** Whether an owner or admin account (active) is linked to the provider: changing it then needs an owner. */
export async function hasPrivilegedIdentity(q: Q, providerId: string): Promise<boolean> {
  const r = await q
    .selectFrom("sso_identities as i")
    .innerJoin("users as u", "u.id", "i.user_id")
    .select("i.user_id")
    .where("i.provider_id", "=", providerId)
    .where("u.role", "in", ["owner", "admin"])
    .where("u.deactivated_at", "is", null)
    .executeTakeFirst();
  return r !== undefined;
}

export function findState(q: Q, stateHash: string): Promise<SsoStatesTable | undefined> {
  return q.selectFrom("sso_states").selectAll().where("state_hash", "=", stateHash).executeTakeFirst();
}

/** Mark a state used; false when another request used it first. */
export async function claimState(tx: Tx, stateHash: string, now: number): Promise<boolean> {
  const r = await tx.updateTable("sso_states").set({ used_at: now }).where("state_hash", "=", stateHash).where("used_at", "is", null).executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

export function findCode(q: Q, codeHash: string): Promise<SsoCodesTable | undefined> {
  return q.selectFrom("sso_codes").selectAll().where("code_hash", "=", codeHash).executeTakeFirst();
}

/** Mark a one-time code used; false when another request used it first. */
export async function claimCode(tx: Tx, codeHash: string, now: number): Promise<boolean> {
  const r = await tx.updateTable("sso_codes").set({ used_at: now }).where("code_hash", "=", codeHash).where("used_at", "is", null).executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

/** Drop states, codes and logout-token records that expired a day ago or more (they prove nothing any more). */
export async function sweepExpired(q: Q, now: number): Promise<void> {
  const before = now - 24 * 60 * 60 * 1000;
  await q.deleteFrom("sso_states").where("expires_at", "<", before).execute();
  await q.deleteFrom("sso_codes").where("expires_at", "<", before).execute();
  await q.deleteFrom("sso_logout_tokens").where("expires_at", "<", before).execute();
  await q.deleteFrom("sso_saml_replay").where("expires_at", "<", before).execute();
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

export async function grantedChannelIds(q: Q, providerId: string, userId: string): Promise<string[]> {
  const rows = await q.selectFrom("sso_channel_grants").select("channel_id").where("provider_id", "=", providerId).where("user_id", "=", userId).execute();
  return rows.map((r) => r.channel_id);
}

export async function addGrant(tx: Tx, a: { orgId: string; providerId: string; channelId: string; userId: string; now: number }): Promise<void> {
  await tx
    .insertInto("sso_channel_grants")
    .values({ org_id: a.orgId, provider_id: a.providerId, channel_id: a.channelId, user_id: a.userId, created_at: a.now })
    .onConflict((oc) => oc.columns(["channel_id", "user_id"]).doNothing())
    .execute();
}

export async function deleteGrant(tx: Tx, channelId: string, userId: string): Promise<void> {
  await tx.deleteFrom("sso_channel_grants").where("channel_id", "=", channelId).where("user_id", "=", userId).execute();
}

/** Active sessions a SAML LogoutRequest names: the NameID's, of that IdP session (SessionIndex) when it names one. */
export function samlSessionsToEnd(q: Q, a: { providerId: string; nameId: string; sessionIndex: string | null; now: number }) {
  let query = q
    .selectFrom("sessions")
    .select(["id", "org_id", "user_id"])
    .where("sso_provider_id", "=", a.providerId)
    .where("sso_name_id", "=", a.nameId)
    .where("revoked_at", "is", null)
    .where("expires_at", ">", a.now);
  if (a.sessionIndex !== null) query = query.where("sso_sid", "=", a.sessionIndex);
  return query.execute();
}

/** Active sessions a back-channel logout names: by the IdP session id, or every SSO session of the provider of one user. */
export function sessionsToEnd(q: Q, a: { providerId: string; sid: string | null; userId: string | null; now: number }) {
  let query = q
    .selectFrom("sessions")
    .select(["id", "org_id", "user_id"])
    .where("sso_provider_id", "=", a.providerId)
    .where("revoked_at", "is", null)
    .where("expires_at", ">", a.now);
  if (a.sid !== null) query = query.where("sso_sid", "=", a.sid);
  if (a.userId !== null) query = query.where("user_id", "=", a.userId);
  return query.execute();
}
