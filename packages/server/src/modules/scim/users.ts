/**
 * SCIM Users (RFC 7644 §3.3–3.6): list/search with filters, sorting and paging; get;
 * create; replace (PUT); PATCH; delete. Each write is one command (`runCommand` with the
 * SCIM actor: every change audited with actor kind "scim") that either applies whole or
 * not at all, and reuses the org's own commands: deprovisioning (active=false or DELETE)
 * is deactivateUserIn — sessions end, KeyPackages go, the server proposes the removal of
 * every device from every MLS group — and reactivation is reactivateUserIn.
 *
 * A DELETE deactivates the user and hides them from SCIM (404 afterwards, RFC 7644 §3.6);
 * a later POST with the same userName brings the same account back.
 */
import type { Deps } from "../../context.ts";
import type { ScimActor } from "../../core/actor.ts";
import type { Tx } from "../../platform/db/index.ts";
import { isUniqueViolation } from "../../platform/db/index.ts";
import { runCommand, type CommandEffects } from "../../command.ts";
import { authorize } from "../access/authorize.ts";
import { deactivateUserIn, reactivateUserIn } from "../orgs/users.ts";
import { insertUser } from "../orgs/create-org.ts";
import { assertEmailFree, setEmail } from "../accounts/email-address.ts";
import { checkPassword, passwordPolicyOf } from "../accounts/password-policy.ts";
import { hashPassword } from "../accounts/passwords.ts";
import { getOrg, getUserInOrg } from "../accounts/store.ts";
import { toUser } from "../accounts/views.ts";
import { appendUserStream } from "../streams/user-stream.ts";
import { sql, type SqlBool } from "kysely";
import { preconditionFailed, scimNotFound, ScimError, uniqueness } from "./errors.ts";
import { filterToSql, sortExpression } from "./filter-sql.ts";
import { etagMatches, listResponse, project, type ListParams } from "./list.ts";
import { applyPatch, parsePatchBody, type ScimDoc } from "./patch.ts";
import { reconcileUsers } from "./mapping.ts";
import { findScimUser, findScimUserByName, groupsOfUsers, lockUser, saveScimUser, USER_COLUMNS, usersQuery, type ScimUserRow } from "./store.ts";
import { canonicalUserBody, lastModifiedOf, userContent, userFieldMap, userNameOf, userResource, userStateFrom, type UserState } from "./user-doc.ts";
import { scimBase } from "./base.ts";

/** What a SCIM answer carries: the resource and its ETag. */
export interface ScimResult {
  status: number;
  body: ScimDoc;
  etag?: string;
}

const orgOf = (p: ScimActor) => ({ type: "org" as const, orgId: p.orgId });
/** An account SCIM made without a password: it cannot sign in with one until it is set (SSO, a reset link, SCIM). */
const NO_PASSWORD = "!scim";

export async function listUsers(deps: Deps, p: ScimActor, params: ListParams): Promise<ScimDoc> {
  authorize(p, "org.list_users", orgOf(p));
  const fields = userFieldMap();
  let q = usersQuery(deps.db, p.orgId);
  if (params.filter) q = q.where(sql<SqlBool>`${filterToSql(params.filter, fields, deps.storage.dialect)}`);
  const { n } = await q.select((eb) => eb.fn.countAll<number>().as("n")).executeTakeFirstOrThrow();
  let page = q.select(USER_COLUMNS);
  if (params.sortBy) {
    const key = sortExpression(fields, params.sortBy);
    // Values that are absent sort last ascending, first descending.
    page = page.orderBy(sql`(case when ${key} is null then 1 else 0 end)`, params.descending ? "desc" : "asc").orderBy(key, params.descending ? "desc" : "asc");
  }
  const rows =
    params.count === 0
      ? []
      : await page
          .orderBy("u.created_at")
          .orderBy("u.id")
          .limit(params.count)
          .offset(params.startIndex - 1)
          .execute();
  const groups = await groupsOfUsers(
    deps.db,
    rows.map((r) => r.id),
  );
  const base = scimBase(deps);
  const resources = rows.map((r) => project("User", userResource(r, groups.get(r.id) ?? [], base), params.attributes, params.excludedAttributes));
  return listResponse(Number(n), params.startIndex, resources);
}

/** One user and its ETag; 404 for users of other orgs and those SCIM deleted. */
export async function getUser(deps: Deps, p: ScimActor, userId: string): Promise<ScimResult> {
  authorize(p, "org.list_users", orgOf(p));
  const row = await findScimUser(deps.db, p.orgId, userId);
  if (!row) throw scimNotFound("User", userId);
  return resultOf(await resourceOf(deps.db, deps, row), 200);
}

async function resourceOf(q: Deps["db"] | Tx, deps: Deps, row: ScimUserRow): Promise<ScimDoc> {
  const groups = await groupsOfUsers(q, [row.id]);
  return userResource(row, groups.get(row.id) ?? [], scimBase(deps));
}

/** A resource as a response, its ETag being its version. */
export function resultOf(doc: ScimDoc, status: number): ScimResult {
  return { status, body: doc, etag: (doc.meta as { version: string }).version };
}

/** Load a user for a write: locked, visible to SCIM, and matching If-Match when one is given. */
async function loadForWrite(tx: Tx, deps: Deps, p: ScimActor, userId: string, ifMatch: string | undefined): Promise<{ row: ScimUserRow; doc: ScimDoc }> {
  await lockUser(tx, p.orgId, userId);
  const row = await findScimUser(tx, p.orgId, userId);
  if (!row) throw scimNotFound("User", userId);
  const doc = await resourceOf(tx, deps, row);
  if (ifMatch !== undefined && !etagMatches(ifMatch, (doc.meta as { version: string }).version)) throw preconditionFailed();
  return { row, doc };
}

/** Unique-index races (two creates of one userName) surface as 409 uniqueness. */
async function uniquely<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (isUniqueViolation(err)) throw uniqueness("userName, username or email address already in use");
    throw err;
  }
}

/** POST /Users. */
export async function createUser(deps: Deps, p: ScimActor, body: unknown): Promise<ScimResult> {
  authorize(p, "org.manage_users", orgOf(p));
  const state = userStateFrom(canonicalUserBody(body));
  return uniquely(() =>
    runCommand(deps, p, "scim.createUser", async (tx, fx) => {
      const now = deps.now();
      const existing = await findScimUserByName(tx, p.orgId, state.userName.toLowerCase());
      if (existing && existing.deleted_at === null) throw uniqueness(`userName "${state.userName}" is already in use`);
      let userId: string;
      if (existing) {
        // The identity provider deleted this user and creates them again: the same account comes back.
        userId = existing.user_id;
        await tx.updateTable("scim_users").set({ deleted_at: null }).where("user_id", "=", userId).execute();
        const before = await findScimUser(tx, p.orgId, userId);
        if (!before) throw new ScimError(500, undefined, "the user vanished");
        await writeUser(tx, fx, deps, p, before, { ...state, active: state.active ?? true }, now);
        fx.audit({ action: "scim.user.restored", target: { kind: "user", id: userId }, result: "success" });
      } else {
        userId = await insertScimUser(tx, fx, deps, p, state, now);
      }
      const row = await findScimUser(tx, p.orgId, userId);
      if (!row) throw new ScimError(500, undefined, "the user vanished");
      return resultOf(await resourceOf(tx, deps, row), 201);
    }),
  );
}

async function insertScimUser(tx: Tx, fx: CommandEffects, deps: Deps, p: ScimActor, state: UserState, now: number): Promise<string> {
  const taken = await tx.selectFrom("users").select("id").where("org_id", "=", p.orgId).where("username", "=", state.username).executeTakeFirst();
  if (taken) throw uniqueness(`userName "${state.userName}": the Parley username "${state.username}" is already in use`);
  if (state.email) await assertEmailFree(tx, p.orgId, state.email);
  const passwordHash = state.password === undefined ? NO_PASSWORD : await checkedPasswordHash(tx, p.orgId, state.username, state.password);
  const user = await insertUser(tx, deps, {
    orgId: p.orgId,
    username: state.username,
    displayName: state.displayName,
    passwordHash,
    role: "member",
    ...(state.email ? { email: state.email } : {}),
  });
  await saveScimUser(tx, scimRow(user.id, p.orgId, state, null, user.createdAt, now));
  fx.audit({
    action: "user.created",
    target: { kind: "user", id: user.id },
    result: "success",
    details: { via: "scim", role: "member", passwordSet: state.password !== undefined },
    pii: { subject: user.id, data: { username: state.username, userName: state.userName, ...(state.email ? { email: state.email } : {}) } },
  });
  if (state.active === false) await deactivateUserIn(tx, fx, deps, p, user.id);
  return user.id;
}

/** PUT /Users/:id: the body replaces the user (attributes it leaves out are cleared; `active` left out keeps the state). */
export async function replaceUser(deps: Deps, p: ScimActor, userId: string, body: unknown, ifMatch: string | undefined): Promise<ScimResult> {
  authorize(p, "org.manage_users", orgOf(p));
  const state = userStateFrom(canonicalUserBody(body));
  return uniquely(() =>
    runCommand(deps, p, "scim.replaceUser", async (tx, fx) => {
      const { row } = await loadForWrite(tx, deps, p, userId, ifMatch);
      return resultOf(await writeAndRead(tx, fx, deps, p, row, state), 200);
    }),
  );
}

/** PATCH /Users/:id: the operations applied to the current resource, then stored like a PUT. */
export async function patchUser(deps: Deps, p: ScimActor, userId: string, body: unknown, ifMatch: string | undefined): Promise<ScimResult> {
  authorize(p, "org.manage_users", orgOf(p));
  const ops = parsePatchBody(body);
  return uniquely(() =>
    runCommand(deps, p, "scim.patchUser", async (tx, fx) => {
      const { row } = await loadForWrite(tx, deps, p, userId, ifMatch);
      const current = userContent(row, [], scimBase(deps));
      const state = userStateFrom(applyPatch("User", current, ops));
      return resultOf(await writeAndRead(tx, fx, deps, p, row, state), 200);
    }),
  );
}

async function writeAndRead(tx: Tx, fx: CommandEffects, deps: Deps, p: ScimActor, row: ScimUserRow, state: UserState): Promise<ScimDoc> {
  await writeUser(tx, fx, deps, p, row, state, deps.now());
  const after = await findScimUser(tx, p.orgId, row.id);
  if (!after) throw new ScimError(500, undefined, "the user vanished");
  return resourceOf(tx, deps, after);
}

/** DELETE /Users/:id: deprovision (deactivate, leave every group) and hide from SCIM. */
export async function deleteUser(deps: Deps, p: ScimActor, userId: string, ifMatch: string | undefined): Promise<void> {
  authorize(p, "org.manage_users", orgOf(p));
  await runCommand(deps, p, "scim.deleteUser", async (tx, fx) => {
    const { row } = await loadForWrite(tx, deps, p, userId, ifMatch);
    const now = deps.now();
    await deactivateUserIn(tx, fx, deps, p, row.id);
    const groups = await tx.deleteFrom("scim_group_members").where("user_id", "=", row.id).executeTakeFirst();
    await saveScimUser(tx, { ...scimRowOf(row, now), deleted_at: now });
    await reconcileUsers(tx, fx, deps, p, [row.id]);
    fx.audit({ action: "scim.user.deleted", target: { kind: "user", id: row.id }, result: "success", details: { groupsLeft: Number(groups.numDeletedRows) } });
  });
}

// ---- the write ------------------------------------------------------------------------

/** Store `state` for an existing user: each change through the command that owns it, audited. */
async function writeUser(tx: Tx, fx: CommandEffects, deps: Deps, p: ScimActor, before: ScimUserRow, state: UserState, now: number): Promise<void> {
  const privileged = before.role === "owner" || before.role === "admin";
  const fields: string[] = [];
  if (state.username !== before.username) {
    const taken = await tx
      .selectFrom("users")
      .select("id")
      .where("org_id", "=", p.orgId)
      .where("username", "=", state.username)
      .where("id", "!=", before.id)
      .executeTakeFirst();
    if (taken) throw uniqueness(`userName "${state.userName}": the Parley username "${state.username}" is already in use`);
    // The username is what people sign in with: an admin's or owner's is changed by owners only.
    if (privileged) authorize(p, "org.manage_admins", orgOf(p));
    await tx.updateTable("users").set({ username: state.username }).where("id", "=", before.id).execute();
    fields.push("username");
  }
  if (state.displayName !== before.display_name) {
    await tx.updateTable("users").set({ display_name: state.displayName }).where("id", "=", before.id).execute();
    fields.push("displayName");
  }
  if (fields.length) {
    fx.audit({
      action: "user.profile.updated",
      target: { kind: "user", id: before.id },
      result: "success",
      details: { fields, by: "scim" },
      pii: { subject: before.id, data: { from: `${before.username} / ${before.display_name}`, to: `${state.username} / ${state.displayName}` } },
    });
    const user = await requireUser(tx, p.orgId, before.id);
    await appendUserStream(tx, fx, { orgId: p.orgId, userId: before.id, kind: "user.updated", data: { user: toUser(user) }, now });
  }
  if (state.email !== before.email) {
    // Where reset links go decides who can take over the account: an admin's or owner's, owners only.
    if (privileged) authorize(p, "org.manage_admins", orgOf(p));
    if (state.email) await assertEmailFree(tx, p.orgId, state.email, before.id);
    await setEmail(tx, fx, deps, await requireUser(tx, p.orgId, before.id), state.email, { orgId: p.orgId, byAdmin: true });
  }
  if (state.password !== undefined) {
    if (privileged) authorize(p, "org.manage_admins", orgOf(p));
    const passwordHash = await checkedPasswordHash(tx, p.orgId, state.username, state.password);
    await tx.updateTable("users").set({ password_hash: passwordHash, password_changed_at: now }).where("id", "=", before.id).execute();
    fx.audit({ action: "user.password.set", target: { kind: "user", id: before.id }, result: "success", details: { by: "scim" } });
  }
  const scimChanged =
    state.userName !== userNameOf(before) ||
    state.externalId !== before.external_id ||
    state.name.formatted !== before.name_formatted ||
    state.name.familyName !== before.family_name ||
    state.name.givenName !== before.given_name ||
    state.name.middleName !== before.middle_name ||
    state.name.honorificPrefix !== before.honorific_prefix ||
    state.name.honorificSuffix !== before.honorific_suffix;
  const activeChange = state.active !== undefined && state.active !== (before.deactivated_at === null);
  if (activeChange && state.active === false) await deactivateUserIn(tx, fx, deps, p, before.id);
  if (activeChange && state.active === true) {
    await reactivateUserIn(tx, fx, deps, p, before.id);
    // Back in: the channels their groups map.
    await reconcileUsers(tx, fx, deps, p, [before.id]);
  }
  const changed = scimChanged || fields.length > 0 || state.email !== before.email || state.password !== undefined || activeChange;
  if (!changed && before.user_name !== null) return;
  await saveScimUser(tx, scimRow(before.id, p.orgId, state, before, changed ? now : lastModifiedOf(before), now));
  if (changed) {
    fx.audit({
      action: "scim.user.updated",
      target: { kind: "user", id: before.id },
      result: "success",
      details: {
        fields: [...fields, ...(scimChanged ? ["scim"] : []), ...(state.email !== before.email ? ["email"] : []), ...(activeChange ? ["active"] : [])],
      },
    });
  }
}

async function requireUser(tx: Tx, orgId: string, userId: string) {
  const user = await getUserInOrg(tx, orgId, userId);
  if (!user) throw scimNotFound("User", userId);
  return user;
}

async function checkedPasswordHash(tx: Tx, orgId: string, username: string, password: string): Promise<string> {
  const org = await getOrg(tx, orgId);
  checkPassword(await passwordPolicyOf(tx, orgId), password, { username, orgSlug: org.slug, orgName: org.name });
  return hashPassword(password);
}

/** What scim_users keeps for `state` (created_at is only written with a new row). */
function scimRow(userId: string, orgId: string, state: UserState, before: ScimUserRow | null, updatedAt: number, now: number) {
  return {
    user_id: userId,
    org_id: orgId,
    user_name: state.userName,
    user_name_key: state.userName.toLowerCase(),
    external_id: state.externalId,
    name_formatted: state.name.formatted,
    family_name: state.name.familyName,
    given_name: state.name.givenName,
    middle_name: state.name.middleName,
    honorific_prefix: state.name.honorificPrefix,
    honorific_suffix: state.name.honorificSuffix,
    managed_role: before?.managed_role ?? null,
    created_at: now,
    updated_at: updatedAt,
    deleted_at: null,
  };
}

/** The SCIM row of a user as it stands (for users SCIM never wrote: from the users row). */
function scimRowOf(r: ScimUserRow, now: number) {
  return {
    user_id: r.id,
    org_id: r.org_id,
    user_name: userNameOf(r),
    user_name_key: userNameOf(r).toLowerCase(),
    external_id: r.external_id,
    name_formatted: r.name_formatted,
    family_name: r.family_name,
    given_name: r.given_name,
    middle_name: r.middle_name,
    honorific_prefix: r.honorific_prefix,
    honorific_suffix: r.honorific_suffix,
    managed_role: r.managed_role,
    created_at: now,
    updated_at: now,
    deleted_at: r.deleted_at,
  };
}
