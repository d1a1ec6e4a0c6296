/**
 * The org's user directory and user administration: roles, deactivation,
 * and a user's devices. Every lookup is scoped to the principal's org, so
 * another org's user id is simply not found.
 */
import { OrgRole as OrgRoleSchema, type Device, type OrgRole, type Session, type User } from "@parley/protocol";
import type { Actor, Deps } from "../../context.ts";
import { actingUserId } from "../../core/actor.ts";
import type { Tx } from "../../platform/db/index.ts";
import type { UsersTable } from "../../platform/db/tables.ts";
import { runCommand, type CommandEffects } from "../../command.ts";
import { AppError, badRequest, notFound } from "../../core/errors.ts";
import { actorAllows, authorize } from "../access/authorize.ts";
import { appendUserStream } from "../streams/user-stream.ts";
import { getUserDevice, getUserInOrg, listActiveSessions, listUserDevices as selectUserDevices } from "../accounts/store.ts";
import { revokeDevice, revokeSessions } from "../accounts/sessions.ts";
import { deleteKeyPackagesOf } from "../e2ee/store.ts";
import { recordPendingRemovals } from "../mls/removals.ts";
import { validated } from "../../core/validate.ts";
import { toDevice, toSession, toUser, toUserWithEmail } from "../accounts/views.ts";
import { ORG_PERMISSIONS, roleAllows, type OrgAction } from "../access/permissions.ts";
import { approvedDeviceIds } from "../locker/approval-store.ts";
import { identityChanged } from "../access/org-access.ts";

const org = (p: Actor) => ({ type: "org" as const, orgId: p.orgId });
const PRIVILEGED: ReadonlySet<OrgRole> = new Set(["owner", "admin"]);
/** Admins see users' email addresses; everyone else does not. */
const viewFor = (p: Actor) => (roleAllows(p.role, "org.manage_users") ? toUserWithEmail : toUser);

export async function listUsers(deps: Deps, p: Actor, opts: { q?: string | undefined; includeDeactivated?: boolean } = {}): Promise<User[]> {
  authorize(p, "org.list_users", org(p));
  let q = deps.db.selectFrom("users").selectAll().where("org_id", "=", p.orgId);
  if (!opts.includeDeactivated) q = q.where("deactivated_at", "is", null);
  if (opts.q) {
    // Escape LIKE wildcards so a search for "a_b" means that literally.
    const pattern = `%${opts.q.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    q = q.where((eb) => eb.or([eb(eb.fn("lower", ["username"]), "like", eb.val(pattern)), eb(eb.fn("lower", ["display_name"]), "like", eb.val(pattern))]));
  }
  const rows = await q.orderBy("username").execute();
  const view = viewFor(p);
  return rows.map((r) => view(r, deps.now()));
}

async function loadUser(db: Deps["db"] | Tx, p: Actor, userId: string): Promise<UsersTable> {
  const row = await getUserInOrg(db, p.orgId, userId);
  if (!row) throw notFound("user");
  return row;
}

export async function getUser(deps: Deps, p: Actor, userId: string): Promise<User> {
  authorize(p, "org.list_users", org(p));
  return viewFor(p)(await loadUser(deps.db, p, userId), deps.now());
}

async function activeOwners(tx: Tx, orgId: string): Promise<number> {
  const r = await tx
    .selectFrom("users")
    .select((eb) => eb.fn.countAll<number>().as("n"))
    .where("org_id", "=", orgId)
    .where("role", "=", "owner")
    .where("deactivated_at", "is", null)
    .executeTakeFirstOrThrow();
  return Number(r.n);
}

/** Change a user's role. Granting or taking away owner/admin needs an owner. */
export async function setUserRole(deps: Deps, p: Actor, userId: string, rawRole: OrgRole): Promise<User> {
  authorize(p, "org.manage_roles", org(p));
  const role = validated(OrgRoleSchema, rawRole);
  return runCommand(deps, p, "orgs.setUserRole", (tx, after) => setUserRoleIn(tx, after, deps, p, userId, role));
}

/** setUserRole inside a caller's command (SCIM group mappings); the caller has checked org.manage_roles. */
export async function setUserRoleIn(tx: Tx, after: CommandEffects, deps: Deps, p: Actor, userId: string, role: OrgRole): Promise<User> {
  const target = await loadUser(tx, p, userId);
  if (PRIVILEGED.has(target.role) || PRIVILEGED.has(role)) authorize(p, "org.manage_admins", org(p));
  if (target.role === role) return toUser(target);
  // As with custom roles: a holder of org.manage_roles through a custom role (a guest, say) gives or takes no
  // permission they do not hold themselves, so cannot climb by changing their own built-in role.
  for (const perm of Object.keys(ORG_PERMISSIONS) as OrgAction[]) {
    if (roleAllows(target.role, perm) !== roleAllows(role, perm) && !actorAllows(p, perm)) {
      throw new AppError("forbidden", `you may not grant ${perm}: you do not hold it yourself`);
    }
  }
  after.audit({ action: "user.role.changed", target: { kind: "user", id: target.id }, result: "success", details: { from: target.role, to: role } });
  if (target.role === "owner" && target.deactivated_at === null && (await activeOwners(tx, p.orgId)) <= 1) {
    throw badRequest("the last owner cannot be demoted; make someone else owner first");
  }
  await tx.updateTable("users").set({ role }).where("id", "=", target.id).execute();
  // Open WebSocket connections carry the role they said hello with: gateways renew them.
  identityChanged(after, p.orgId, [target.id], "role");
  const user = toUser({ ...target, role });
  await appendUserStream(tx, after, { orgId: p.orgId, userId: target.id, kind: "user.updated", data: { user }, now: deps.now() });
  return user;
}

/** Deactivate a user: they cannot sign in, and every session ends at once. */
export async function deactivateUser(deps: Deps, p: Actor, userId: string): Promise<User> {
  authorize(p, "org.manage_users", org(p));
  if (userId === actingUserId(p)) throw badRequest("you cannot deactivate yourself");
  return runCommand(deps, p, "orgs.deactivateUser", (tx, after) => deactivateUserIn(tx, after, deps, p, userId));
}

/**
 * deactivateUser inside a caller's command (SCIM deprovisioning): sessions end, KeyPackages go,
 * and the server proposes the removal of every device from every MLS group. The caller has
 * checked org.manage_users.
 */
export async function deactivateUserIn(tx: Tx, after: CommandEffects, deps: Deps, p: Actor, userId: string): Promise<User> {
  const target = await loadUser(tx, p, userId);
  if (PRIVILEGED.has(target.role)) authorize(p, "org.manage_admins", org(p));
  if (target.deactivated_at !== null) return toUser(target);
  after.audit({ action: "user.deactivated", target: { kind: "user", id: target.id }, result: "success" });
  if (target.role === "owner" && (await activeOwners(tx, p.orgId)) <= 1) throw badRequest("the last owner cannot be deactivated");
  const now = deps.now();
  await tx.updateTable("users").set({ deactivated_at: now }).where("id", "=", target.id).execute();
  await revokeSessions(tx, after, deps, { orgId: p.orgId, userId: target.id, all: true }, "user_deactivated");
  await deleteKeyPackagesOf(tx, { orgId: p.orgId, userId: target.id });
  await recordPendingRemovals(deps, tx, after, { orgId: p.orgId, userId: target.id, reason: "user_deactivated" });
  const user = toUser({ ...target, deactivated_at: now });
  await appendUserStream(tx, after, { orgId: p.orgId, userId: target.id, kind: "user.updated", data: { user }, now });
  return user;
}

/** Reactivate a user; they sign in again (old sessions stay ended). */
export async function reactivateUser(deps: Deps, p: Actor, userId: string): Promise<User> {
  authorize(p, "org.manage_users", org(p));
  return runCommand(deps, p, "orgs.reactivateUser", (tx, after) => reactivateUserIn(tx, after, deps, p, userId));
}

/** reactivateUser inside a caller's command (SCIM); the caller has checked org.manage_users. */
export async function reactivateUserIn(tx: Tx, after: CommandEffects, deps: Deps, p: Actor, userId: string): Promise<User> {
  const target = await loadUser(tx, p, userId);
  if (PRIVILEGED.has(target.role)) authorize(p, "org.manage_admins", org(p));
  if (target.deactivated_at === null) return toUser(target);
  after.audit({ action: "user.reactivated", target: { kind: "user", id: target.id }, result: "success" });
  await tx.updateTable("users").set({ deactivated_at: null }).where("id", "=", target.id).execute();
  const user = toUser({ ...target, deactivated_at: null });
  await appendUserStream(tx, after, { orgId: p.orgId, userId: target.id, kind: "user.updated", data: { user }, now: deps.now() });
  return user;
}

/**
 * A user's devices: the user themselves, or admins. An admin's (or the CLI's) look at
 * someone else's devices is an admin read of user data: recorded as `user.devices.read`
 * before the list is returned (no record, no list).
 */
export async function listDevicesOfUser(deps: Deps, p: Actor, userId: string): Promise<Device[]> {
  const self = userId === actingUserId(p);
  if (!self) authorize(p, "org.manage_users", org(p));
  const target = await loadUser(deps.db, p, userId);
  const rows = await selectUserDevices(deps.db, p.orgId, target.id);
  if (!self) {
    await runCommand(deps, p, "orgs.readUserDevices", async (_tx, fx) => {
      fx.audit({ action: "user.devices.read", target: { kind: "user", id: target.id }, result: "success", details: { devices: rows.length } });
    });
  }
  const approved = await approvedDeviceIds(
    deps.db,
    p.orgId,
    rows.map((r) => r.id),
  );
  return rows.map((r) => toDevice(r, approved.has(r.id), p.kind === "device" && target.id === p.userId ? p.deviceId : undefined));
}

/** Admins revoke any device of a user (an owner's only by owners). */
export async function adminRevokeDevice(deps: Deps, p: Actor, userId: string, deviceId: string): Promise<void> {
  authorize(p, "org.manage_users", org(p));
  await runCommand(deps, p, "orgs.adminRevokeDevice", async (tx, after) => {
    const target = await loadUser(tx, p, userId);
    if (PRIVILEGED.has(target.role) && target.id !== actingUserId(p)) authorize(p, "org.manage_admins", org(p));
    const dev = await getUserDevice(tx, p.orgId, target.id, deviceId);
    if (!dev) throw notFound("device");
    after.audit({ action: "device.revoked", target: { kind: "device", id: deviceId }, result: "success", details: { userId: target.id, by: "admin" } });
    await revokeDevice(tx, after, deps, { orgId: p.orgId, userId: target.id, deviceId }, "revoked_by_admin");
  });
}

/** A user's active sessions, for admins (an admin read of user data: recorded). */
export async function adminListUserSessions(deps: Deps, p: Actor, userId: string): Promise<Session[]> {
  authorize(p, "org.manage_users", org(p));
  const target = await loadUser(deps.db, p, userId);
  const rows = await listActiveSessions(deps.db, p.orgId, target.id, deps.now());
  await runCommand(deps, p, "orgs.readUserSessions", async (_tx, fx) => {
    fx.audit({ action: "user.sessions.read", target: { kind: "user", id: target.id }, result: "success", details: { sessions: rows.length } });
  });
  return rows.map((r) => toSession(r, p.kind === "device" ? p.sessionId : ""));
}

/** Admins end one or every session of a user (an owner's or admin's only by owners). */
export async function adminRevokeUserSessions(deps: Deps, p: Actor, userId: string, sessionId?: string): Promise<{ ended: number }> {
  authorize(p, "org.manage_users", org(p));
  return runCommand(deps, p, "orgs.adminRevokeUserSessions", async (tx, fx) => {
    const target = await loadUser(tx, p, userId);
    if (PRIVILEGED.has(target.role) && target.id !== actingUserId(p)) authorize(p, "org.manage_admins", org(p));
    const active = (await listActiveSessions(tx, p.orgId, target.id, deps.now())).map((s) => s.id);
    const ids = sessionId ? active.filter((id) => id === sessionId) : active;
    if (sessionId && ids.length === 0) throw notFound("session");
    if (ids.length) await revokeSessions(tx, fx, deps, { orgId: p.orgId, userId: target.id, sessionIds: ids }, "revoked_by_admin");
    fx.audit({
      action: sessionId ? "session.revoked" : "session.revoked_all",
      target: sessionId ? { kind: "session", id: sessionId } : { kind: "user", id: target.id },
      result: "success",
      details: { userId: target.id, by: "admin", ended: ids.length },
    });
    return { ended: ids.length };
  });
}
