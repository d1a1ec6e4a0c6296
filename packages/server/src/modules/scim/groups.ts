/**
 * SCIM Groups (RFC 7644 §3.3–3.6): list/search, get, create, replace, PATCH (members add,
 * remove and replace as Okta and Entra ID send them), delete. Membership changes apply the
 * group's mapping (mapping.ts) to the users who joined or left, in the same command: all
 * or nothing, audited with actor kind "scim".
 */
import { sql, type SqlBool } from "kysely";
import type { Deps } from "../../context.ts";
import type { ScimActor } from "../../core/actor.ts";
import type { Tx } from "../../platform/db/index.ts";
import { isUniqueViolation } from "../../platform/db/index.ts";
import type { ScimGroupsTable } from "../../platform/db/tables.ts";
import { newId } from "../../platform/ids.ts";
import { runCommand, type CommandEffects } from "../../command.ts";
import { authorize } from "../access/authorize.ts";
import { identityChanged } from "../access/org-access.ts";
import { invalidValue, preconditionFailed, scimNotFound, tooMany, uniqueness } from "./errors.ts";
import { filterToSql, sortExpression } from "./filter-sql.ts";
import { etagMatches, listResponse, project, type ListParams } from "./list.ts";
import { applyPatch, parsePatchBody, type ScimDoc } from "./patch.ts";
import { reconcileUsers } from "./mapping.ts";
import { findGroup, groupsQuery, lockGroup, membersOfGroups, visibleUserIds } from "./store.ts";
import { canonicalGroupBody, groupFieldMap, groupResource, groupStateFrom, type GroupState } from "./group-doc.ts";
import { scimBase } from "./base.ts";
import { resultOf, type ScimResult } from "./users.ts";

const orgOf = (p: ScimActor) => ({ type: "org" as const, orgId: p.orgId });
/** Most members one write may add. */
const MAX_MEMBERS_ADDED = 1000;

export async function listGroups(deps: Deps, p: ScimActor, params: ListParams): Promise<ScimDoc> {
  authorize(p, "org.list_users", orgOf(p));
  const fields = groupFieldMap();
  let q = groupsQuery(deps.db, p.orgId);
  if (params.filter) q = q.where(sql<SqlBool>`${filterToSql(params.filter, fields, deps.storage.dialect)}`);
  const { n } = await q.select((eb) => eb.fn.countAll<number>().as("n")).executeTakeFirstOrThrow();
  let page = q.selectAll("g");
  if (params.sortBy) {
    const key = sortExpression(fields, params.sortBy);
    page = page.orderBy(sql`(case when ${key} is null then 1 else 0 end)`, params.descending ? "desc" : "asc").orderBy(key, params.descending ? "desc" : "asc");
  }
  const rows =
    params.count === 0
      ? []
      : await page
          .orderBy("g.created_at")
          .orderBy("g.id")
          .limit(params.count)
          .offset(params.startIndex - 1)
          .execute();
  // Entra ID lists groups with excludedAttributes=members: do not read what is not returned.
  const skipMembers =
    params.excludedAttributes?.some((a) => a.toLowerCase() === "members") || (params.attributes?.length && !params.attributes.some((a) => /^members/i.test(a)));
  const members = skipMembers
    ? new Map()
    : await membersOfGroups(
        deps.db,
        rows.map((r) => r.id),
      );
  const base = scimBase(deps);
  const resources = rows.map((r) => project("Group", groupResource(r, members.get(r.id) ?? [], base), params.attributes, params.excludedAttributes));
  return listResponse(Number(n), params.startIndex, resources);
}

export async function getGroup(deps: Deps, p: ScimActor, groupId: string): Promise<ScimResult> {
  authorize(p, "org.list_users", orgOf(p));
  const g = await findGroup(deps.db, p.orgId, groupId);
  if (!g) throw scimNotFound("Group", groupId);
  return resultOf(await resourceOf(deps.db, deps, g), 200);
}

async function resourceOf(q: Deps["db"] | Tx, deps: Deps, g: ScimGroupsTable): Promise<ScimDoc> {
  const members = await membersOfGroups(q, [g.id]);
  return groupResource(g, members.get(g.id) ?? [], scimBase(deps));
}

async function uniquely<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (isUniqueViolation(err)) throw uniqueness("a group with this displayName already exists");
    throw err;
  }
}

export async function createGroup(deps: Deps, p: ScimActor, body: unknown): Promise<ScimResult> {
  authorize(p, "org.manage_users", orgOf(p));
  const state = groupStateFrom(canonicalGroupBody(body));
  return uniquely(() =>
    runCommand(deps, p, "scim.createGroup", async (tx, fx) => {
      const now = deps.now();
      const row: ScimGroupsTable = {
        id: newId("grp"),
        org_id: p.orgId,
        display_name: state.displayName,
        display_name_key: state.displayName.toLowerCase(),
        external_id: state.externalId,
        role: null,
        created_at: now,
        updated_at: now,
      };
      await assertNameFree(tx, p.orgId, row.display_name_key, row.id);
      await tx.insertInto("scim_groups").values(row).execute();
      const { added } = await setMembers(tx, p, row.id, [], state.members, now);
      // principal.groups of its members changed (open connections are renewed).
      identityChanged(fx, p.orgId, added, "groups");
      fx.audit({
        action: "scim.group.created",
        target: { kind: "scim_group", id: row.id },
        result: "success",
        details: { displayName: row.display_name, added },
      });
      return resultOf(await resourceOf(tx, deps, row), 201);
    }),
  );
}

/** Load a group for a write: locked, and matching If-Match when one is given. */
async function loadForWrite(tx: Tx, deps: Deps, p: ScimActor, groupId: string, ifMatch: string | undefined): Promise<{ row: ScimGroupsTable; doc: ScimDoc }> {
  await lockGroup(tx, p.orgId, groupId);
  const row = await findGroup(tx, p.orgId, groupId);
  if (!row) throw scimNotFound("Group", groupId);
  const doc = await resourceOf(tx, deps, row);
  if (ifMatch !== undefined && !etagMatches(ifMatch, (doc.meta as { version: string }).version)) throw preconditionFailed();
  return { row, doc };
}

export async function replaceGroup(deps: Deps, p: ScimActor, groupId: string, body: unknown, ifMatch: string | undefined): Promise<ScimResult> {
  authorize(p, "org.manage_users", orgOf(p));
  const state = groupStateFrom(canonicalGroupBody(body));
  return uniquely(() =>
    runCommand(deps, p, "scim.replaceGroup", async (tx, fx) => {
      const { row, doc } = await loadForWrite(tx, deps, p, groupId, ifMatch);
      return resultOf(await writeGroup(tx, fx, deps, p, row, doc, state), 200);
    }),
  );
}

export async function patchGroup(deps: Deps, p: ScimActor, groupId: string, body: unknown, ifMatch: string | undefined): Promise<ScimResult> {
  authorize(p, "org.manage_users", orgOf(p));
  const ops = parsePatchBody(body);
  return uniquely(() =>
    runCommand(deps, p, "scim.patchGroup", async (tx, fx) => {
      const { row, doc } = await loadForWrite(tx, deps, p, groupId, ifMatch);
      const { meta: _meta, ...current } = doc;
      const state = groupStateFrom(applyPatch("Group", current, ops));
      return resultOf(await writeGroup(tx, fx, deps, p, row, doc, state), 200);
    }),
  );
}

/** DELETE /Groups/:id: the group goes; its former members lose what its mapping gave them. */
export async function deleteGroup(deps: Deps, p: ScimActor, groupId: string, ifMatch: string | undefined): Promise<void> {
  authorize(p, "org.manage_users", orgOf(p));
  await runCommand(deps, p, "scim.deleteGroup", async (tx, fx) => {
    const { row } = await loadForWrite(tx, deps, p, groupId, ifMatch);
    const members = await tx.selectFrom("scim_group_members").select("user_id").where("group_id", "=", row.id).execute();
    await tx.deleteFrom("scim_group_members").where("group_id", "=", row.id).execute();
    await tx.deleteFrom("scim_group_channels").where("group_id", "=", row.id).execute();
    await tx.deleteFrom("scim_groups").where("id", "=", row.id).execute();
    identityChanged(
      fx,
      p.orgId,
      members.map((m) => m.user_id),
      "groups",
    );
    fx.audit({
      action: "scim.group.deleted",
      target: { kind: "scim_group", id: row.id },
      result: "success",
      details: { displayName: row.display_name, members: members.length },
    });
    await reconcileUsers(
      tx,
      fx,
      deps,
      p,
      members.map((m) => m.user_id),
    );
  });
}

async function assertNameFree(tx: Tx, orgId: string, key: string, exceptId: string): Promise<void> {
  const other = await tx
    .selectFrom("scim_groups")
    .select("id")
    .where("org_id", "=", orgId)
    .where("display_name_key", "=", key)
    .where("id", "!=", exceptId)
    .executeTakeFirst();
  if (other) throw uniqueness("a group with this displayName already exists");
}

/** Store `state` for an existing group, then apply its mapping to whoever joined or left. */
async function writeGroup(tx: Tx, fx: CommandEffects, deps: Deps, p: ScimActor, row: ScimGroupsTable, doc: ScimDoc, state: GroupState): Promise<ScimDoc> {
  const now = deps.now();
  const renamed = state.displayName !== row.display_name;
  if (renamed) await assertNameFree(tx, p.orgId, state.displayName.toLowerCase(), row.id);
  const before = ((doc.members as Array<{ value: string }> | undefined) ?? []).map((m) => m.value);
  const { added, removed } = await setMembers(tx, p, row.id, before, state.members, now);
  const changed = renamed || state.externalId !== row.external_id || added.length > 0 || removed.length > 0;
  if (!changed) return doc;
  // principal.groups names groups by displayName: a rename changes it for every member.
  identityChanged(fx, p.orgId, renamed ? [...state.members, ...removed] : [...added, ...removed], "groups");
  const next = { ...row, display_name: state.displayName, display_name_key: state.displayName.toLowerCase(), external_id: state.externalId, updated_at: now };
  await tx
    .updateTable("scim_groups")
    .set({ display_name: next.display_name, display_name_key: next.display_name_key, external_id: next.external_id, updated_at: now })
    .where("id", "=", row.id)
    .execute();
  fx.audit({
    action: "scim.group.updated",
    target: { kind: "scim_group", id: row.id },
    result: "success",
    details: { ...(renamed ? { displayName: state.displayName } : {}), added, removed },
  });
  await reconcileUsers(tx, fx, deps, p, [...added, ...removed]);
  return resourceOf(tx, deps, next);
}

/** Make the group's members `wanted` (every new one must be a user of the org SCIM can see). */
async function setMembers(
  tx: Tx,
  p: ScimActor,
  groupId: string,
  current: string[],
  wanted: string[],
  now: number,
): Promise<{ added: string[]; removed: string[] }> {
  const have = new Set(current);
  const want = new Set(wanted);
  const added = wanted.filter((id) => !have.has(id));
  const removed = current.filter((id) => !want.has(id));
  if (added.length > MAX_MEMBERS_ADDED) throw tooMany(`${added.length} members added in one request; at most ${MAX_MEMBERS_ADDED}`);
  const visible = await visibleUserIds(tx, p.orgId, added);
  const unknown = added.filter((id) => !visible.has(id));
  // Another org's user id reads exactly like a missing one.
  if (unknown.length) throw invalidValue(`no such user: ${unknown.slice(0, 5).join(", ")}${unknown.length > 5 ? ", …" : ""}`);
  if (removed.length) await tx.deleteFrom("scim_group_members").where("group_id", "=", groupId).where("user_id", "in", removed).execute();
  if (added.length) {
    await tx
      .insertInto("scim_group_members")
      .values(added.map((user_id) => ({ group_id: groupId, user_id, org_id: p.orgId, created_at: now })))
      .execute();
  }
  return { added, removed };
}
