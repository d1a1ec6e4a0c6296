/**
 * Custom org roles: named subsets of the permission catalogue (permissions.ts) that an org
 * defines and assigns to users on top of their built-in role; a user may do what their
 * built-in role or any of their custom roles allows. Owner-only permissions
 * (org.manage_admins) and org.manage_security (see RESERVED) are never grantable, and
 * nobody grants (or takes away) a role holding a permission they do not hold themselves.
 * Changes bump the org's access version; changes and refusals are audited.
 */
import type { CustomRole, OrgPermission } from "@parley/protocol";
import type { Actor, Deps } from "../../context.ts";
import type { Tx } from "../../platform/db/index.ts";
import { runCommand } from "../../command.ts";
import { actorRef } from "../../core/actor.ts";
import { AppError, notFound } from "../../core/errors.ts";
import { newId } from "../../platform/ids.ts";
import { mapUniqueViolation } from "../orgs/create-org.ts";
import { actorAllows, authorize } from "./authorize.ts";
import { ORG_PERMISSIONS, type OrgAction } from "./permissions.ts";
import { auditRefusals } from "./refusals.ts";
import { bumpAccessVersion } from "./org-access.ts";

const org = (p: Actor) => ({ type: "org" as const, orgId: p.orgId });

/**
 * Permissions that decide who can sign in and as whom — identity providers, SCIM tokens (which
 * act with an admin's authority), LDAP, session and password policies, org policies — stay with
 * the built-in owner and admin roles: a custom role holding them could mint that authority.
 */
const RESERVED: ReadonlySet<OrgAction> = new Set(["org.manage_security"]);

/**
 * Owner-only permissions an owner may still hand to a custom role: compliance officers
 * (retention, legal holds) are usually neither owners nor admins.
 */
const DELEGABLE: ReadonlySet<OrgAction> = new Set(["org.manage_compliance"]);

/** Never part of a custom role: permissions only owners hold (unless delegable), and the reserved ones. */
const grantable = (perm: OrgAction) => !RESERVED.has(perm) && (DELEGABLE.has(perm) || (ORG_PERMISSIONS[perm] as readonly string[]).some((r) => r !== "owner"));

/** The catalogue as the API lists it. */
function catalogue() {
  return (Object.keys(ORG_PERMISSIONS) as OrgAction[]).map((permission) => ({
    permission,
    builtIn: [...ORG_PERMISSIONS[permission]],
    grantable: grantable(permission),
  }));
}

function requireGrantable(p: Actor, perms: readonly string[]): void {
  for (const perm of perms as OrgAction[]) {
    if (!grantable(perm)) throw new AppError("forbidden", `${perm} is reserved to the built-in roles and cannot be part of a custom role`);
    if (!actorAllows(p, perm)) throw new AppError("forbidden", `you may not grant ${perm}: you do not hold it yourself`);
  }
}

async function rolesOf(q: Tx | Deps["db"], orgId: string, id?: string): Promise<CustomRole[]> {
  let rq = q.selectFrom("org_roles").selectAll().where("org_id", "=", orgId);
  if (id) rq = rq.where("id", "=", id);
  const rows = await rq.orderBy("name").execute();
  const members = await q.selectFrom("org_role_members").select(["role_id", "user_id"]).where("org_id", "=", orgId).orderBy("user_id").execute();
  return rows.map((r) => ({
    id: r.id,
    name: r.name,
    description: r.description,
    permissions: JSON.parse(r.permissions) as OrgPermission[],
    memberIds: members.filter((m) => m.role_id === r.id).map((m) => m.user_id),
    createdAt: Number(r.created_at),
    updatedAt: Number(r.updated_at),
  }));
}

export async function listCustomRoles(deps: Deps, p: Actor) {
  authorize(p, "org.manage_roles", org(p));
  return { roles: await rolesOf(deps.db, p.orgId), catalogue: catalogue() };
}

const norm = (perms: readonly OrgPermission[]) => [...new Set(perms)].sort();

export async function createCustomRole(deps: Deps, p: Actor, input: { name: string; description: string; permissions: OrgPermission[] }): Promise<CustomRole> {
  authorize(p, "org.manage_roles", org(p));
  return auditRefusals(deps, p, "role.refused", null, { name: input.name, permissions: norm(input.permissions) }, async () => {
    const permissions = norm(input.permissions);
    requireGrantable(p, permissions);
    try {
      return await runCommand(deps, p, "access.createCustomRole", async (tx, fx) => {
        if (await tx.selectFrom("org_roles").select("id").where("org_id", "=", p.orgId).where("name", "=", input.name).executeTakeFirst()) {
          throw new AppError("already_exists", `a role named "${input.name}" already exists`);
        }
        const now = deps.now();
        const id = newId("rol");
        await tx
          .insertInto("org_roles")
          .values({
            id,
            org_id: p.orgId,
            name: input.name,
            description: input.description,
            permissions: JSON.stringify(permissions),
            created_at: now,
            updated_at: now,
          })
          .execute();
        await bumpAccessVersion(tx, fx, p.orgId);
        fx.audit({ action: "role.created", target: { kind: "custom_role", id }, result: "success", details: { roleId: id, name: input.name, permissions } });
        return (await rolesOf(tx, p.orgId, id))[0]!;
      });
    } catch (err) {
      throw mapUniqueViolation(err, `a role named "${input.name}" already exists`);
    }
  });
}

async function findRole(tx: Tx, orgId: string, id: string) {
  const row = await tx.selectFrom("org_roles").selectAll().where("org_id", "=", orgId).where("id", "=", id).executeTakeFirst();
  if (!row) throw notFound("role");
  return row;
}

export async function updateCustomRole(
  deps: Deps,
  p: Actor,
  id: string,
  input: { name?: string | undefined; description?: string | undefined; permissions?: OrgPermission[] | undefined },
): Promise<CustomRole> {
  authorize(p, "org.manage_roles", org(p));
  return auditRefusals(
    deps,
    p,
    "role.refused",
    { kind: "custom_role", id },
    { roleId: id, ...(input.permissions ? { permissions: norm(input.permissions) } : {}) },
    async () => {
      try {
        return await runCommand(deps, p, "access.updateCustomRole", async (tx, fx) => {
          const old = await findRole(tx, p.orgId, id);
          const before = JSON.parse(old.permissions) as OrgPermission[];
          const permissions = input.permissions ? norm(input.permissions) : before;
          // Changing what a role grants is granting (or taking) each of those permissions.
          requireGrantable(p, [...new Set([...before, ...permissions])]);
          const name = input.name ?? old.name;
          if (name !== old.name && (await tx.selectFrom("org_roles").select("id").where("org_id", "=", p.orgId).where("name", "=", name).executeTakeFirst())) {
            throw new AppError("already_exists", `a role named "${name}" already exists`);
          }
          await tx
            .updateTable("org_roles")
            .set({ name, description: input.description ?? old.description, permissions: JSON.stringify(permissions), updated_at: deps.now() })
            .where("id", "=", id)
            .execute();
          await bumpAccessVersion(tx, fx, p.orgId);
          fx.audit({
            action: "role.updated",
            target: { kind: "custom_role", id },
            result: "success",
            details: { roleId: id, name, permissions, previousPermissions: before },
          });
          return (await rolesOf(tx, p.orgId, id))[0]!;
        });
      } catch (err) {
        throw mapUniqueViolation(err, `a role named "${input.name}" already exists`);
      }
    },
  );
}

export async function deleteCustomRole(deps: Deps, p: Actor, id: string): Promise<void> {
  authorize(p, "org.manage_roles", org(p));
  return auditRefusals(deps, p, "role.refused", { kind: "custom_role", id }, { roleId: id }, async () => {
    await runCommand(deps, p, "access.deleteCustomRole", async (tx, fx) => {
      const old = await findRole(tx, p.orgId, id);
      requireGrantable(p, JSON.parse(old.permissions) as string[]);
      const holders = await tx.selectFrom("org_role_members").select("user_id").where("role_id", "=", id).execute();
      await tx.deleteFrom("org_role_members").where("role_id", "=", id).execute();
      await tx.deleteFrom("org_roles").where("id", "=", id).execute();
      await bumpAccessVersion(tx, fx, p.orgId);
      fx.audit({
        action: "role.deleted",
        target: { kind: "custom_role", id },
        result: "success",
        details: { roleId: id, name: old.name, holders: holders.length },
      });
    });
  });
}

export async function setUserCustomRoles(deps: Deps, p: Actor, userId: string, roleIds: string[]): Promise<{ roleIds: string[] }> {
  authorize(p, "org.manage_roles", org(p));
  return auditRefusals(deps, p, "user.custom_roles.refused", { kind: "user", id: userId }, { userId, roleIds: [...new Set(roleIds)].sort() }, async () => {
    const wanted = [...new Set(roleIds)].sort();
    return runCommand(deps, p, "access.setUserCustomRoles", async (tx, fx) => {
      const user = await tx.selectFrom("users").select("id").where("org_id", "=", p.orgId).where("id", "=", userId).executeTakeFirst();
      if (!user) throw notFound("user");
      const roles = wanted.length ? await tx.selectFrom("org_roles").selectAll().where("org_id", "=", p.orgId).where("id", "in", wanted).execute() : [];
      if (roles.length !== wanted.length) throw notFound("role");
      const held = (await tx.selectFrom("org_role_members").select("role_id").where("user_id", "=", userId).where("org_id", "=", p.orgId).execute()).map(
        (r) => r.role_id,
      );
      const added = wanted.filter((r) => !held.includes(r));
      const removed = held.filter((r) => !wanted.includes(r));
      if (added.length === 0 && removed.length === 0) return { roleIds: wanted };
      const changed = await tx
        .selectFrom("org_roles")
        .select("permissions")
        .where("id", "in", [...added, ...removed])
        .execute();
      requireGrantable(p, [...new Set(changed.flatMap((r) => JSON.parse(r.permissions) as string[]))]);
      if (removed.length) await tx.deleteFrom("org_role_members").where("user_id", "=", userId).where("role_id", "in", removed).execute();
      const now = deps.now();
      for (const roleId of added) {
        await tx
          .insertInto("org_role_members")
          .values({ role_id: roleId, user_id: userId, org_id: p.orgId, granted_by: actorRef(p), granted_at: now })
          .execute();
      }
      await bumpAccessVersion(tx, fx, p.orgId);
      fx.audit({ action: "user.custom_roles.set", target: { kind: "user", id: userId }, result: "success", details: { userId, added, removed } });
      return { roleIds: wanted };
    });
  });
}
