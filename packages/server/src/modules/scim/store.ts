/** Queries of the SCIM module. Every lookup is scoped to the org of the SCIM token (or admin) asking. */
import type { Db, Tx } from "../../platform/db/index.ts";
import type { ScimGroupsTable, ScimUsersTable } from "../../platform/db/tables.ts";

type Q = Db | Tx;

/** The columns a SCIM User is built from: the users row and what SCIM keeps beside it (null when SCIM never touched the user). */
export const USER_COLUMNS = [
  "u.id",
  "u.org_id",
  "u.username",
  "u.display_name",
  "u.email",
  "u.role",
  "u.deactivated_at",
  "u.created_at",
  "s.user_name",
  "s.external_id",
  "s.name_formatted",
  "s.family_name",
  "s.given_name",
  "s.middle_name",
  "s.honorific_prefix",
  "s.honorific_suffix",
  "s.managed_role",
  "s.updated_at",
  "s.deleted_at",
] as const;

export interface ScimUserRow {
  id: string;
  org_id: string;
  username: string;
  display_name: string;
  email: string | null;
  role: "owner" | "admin" | "member" | "guest";
  deactivated_at: number | null;
  created_at: number;
  user_name: string | null;
  external_id: string | null;
  name_formatted: string | null;
  family_name: string | null;
  given_name: string | null;
  middle_name: string | null;
  honorific_prefix: string | null;
  honorific_suffix: string | null;
  managed_role: ScimUsersTable["managed_role"];
  updated_at: number | null;
  deleted_at: number | null;
}

/** Users of the org as SCIM sees them: a SCIM DELETE hides one. */
export function usersQuery(q: Q, orgId: string) {
  return q.selectFrom("users as u").leftJoin("scim_users as s", "s.user_id", "u.id").where("u.org_id", "=", orgId).where("s.deleted_at", "is", null);
}

export async function findScimUser(q: Q, orgId: string, userId: string): Promise<ScimUserRow | undefined> {
  return usersQuery(q, orgId).select(USER_COLUMNS).where("u.id", "=", userId).executeTakeFirst();
}

/** The groups each user is in, with their names. */
export async function groupsOfUsers(q: Q, userIds: string[]): Promise<Map<string, Array<{ id: string; display_name: string }>>> {
  const out = new Map<string, Array<{ id: string; display_name: string }>>();
  if (userIds.length === 0) return out;
  const rows = await q
    .selectFrom("scim_group_members as m")
    .innerJoin("scim_groups as g", "g.id", "m.group_id")
    .select(["m.user_id", "g.id", "g.display_name"])
    .where("m.user_id", "in", userIds)
    .orderBy("g.display_name_key")
    .execute();
  for (const r of rows) out.set(r.user_id, [...(out.get(r.user_id) ?? []), { id: r.id, display_name: r.display_name }]);
  return out;
}

/** The SCIM row of a user by userName (lowercased), deleted ones included. */
export function findScimUserByName(q: Q, orgId: string, userNameKey: string) {
  return q.selectFrom("scim_users").selectAll().where("org_id", "=", orgId).where("user_name_key", "=", userNameKey).executeTakeFirst();
}

/** Write what SCIM keeps of a user (insert or replace). */
export async function saveScimUser(tx: Tx, row: ScimUsersTable): Promise<void> {
  // On conflict everything but the key and when the row was first written.
  const { user_id: _id, created_at: _created, ...rest } = row;
  await tx
    .insertInto("scim_users")
    .values(row)
    .onConflict((oc) => oc.column("user_id").doUpdateSet(rest))
    .execute();
}

/** Take the user's row lock for the rest of the transaction (PostgreSQL; SQLite writers are serial) so concurrent writes with If-Match cannot both pass. */
export async function lockUser(tx: Tx, orgId: string, userId: string): Promise<void> {
  await tx
    .updateTable("users")
    .set((eb) => ({ stream_seq: eb.ref("stream_seq") }))
    .where("org_id", "=", orgId)
    .where("id", "=", userId)
    .execute();
}

// ---- groups ------------------------------------------------------------------------

export function groupsQuery(q: Q, orgId: string) {
  return q.selectFrom("scim_groups as g").where("g.org_id", "=", orgId);
}

export function findGroup(q: Q, orgId: string, groupId: string): Promise<ScimGroupsTable | undefined> {
  return q.selectFrom("scim_groups").selectAll().where("org_id", "=", orgId).where("id", "=", groupId).executeTakeFirst();
}

export async function lockGroup(tx: Tx, orgId: string, groupId: string): Promise<void> {
  await tx
    .updateTable("scim_groups")
    .set((eb) => ({ updated_at: eb.ref("updated_at") }))
    .where("org_id", "=", orgId)
    .where("id", "=", groupId)
    .execute();
}

/** Members of each group (users SCIM deleted included: they are still in the group until it changes). */
export async function membersOfGroups(q: Q, groupIds: string[]): Promise<Map<string, Array<{ user_id: string; display_name: string }>>> {
  const out = new Map<string, Array<{ user_id: string; display_name: string }>>();
  if (groupIds.length === 0) return out;
  const rows = await q
    .selectFrom("scim_group_members as m")
    .innerJoin("users as u", "u.id", "m.user_id")
    .select(["m.group_id", "m.user_id", "u.display_name"])
    .where("m.group_id", "in", groupIds)
    .orderBy("m.created_at")
    .orderBy("m.user_id")
    .execute();
  for (const r of rows) out.set(r.group_id, [...(out.get(r.group_id) ?? []), { user_id: r.user_id, display_name: r.display_name }]);
  return out;
}

export async function channelsOfGroups(q: Q, groupIds: string[]): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  if (groupIds.length === 0) return out;
  const rows = await q.selectFrom("scim_group_channels").select(["group_id", "channel_id"]).where("group_id", "in", groupIds).orderBy("channel_id").execute();
  for (const r of rows) out.set(r.group_id, [...(out.get(r.group_id) ?? []), r.channel_id]);
  return out;
}

/** Users of the org SCIM can name (not deleted through SCIM), among `ids`. */
export async function visibleUserIds(q: Q, orgId: string, ids: string[]): Promise<Set<string>> {
  if (ids.length === 0) return new Set();
  const rows = await usersQuery(q, orgId).select("u.id").where("u.id", "in", ids).execute();
  return new Set(rows.map((r) => r.id));
}
