/** The signed-in user's own account, sessions and devices (profile changes: profile.ts). */
import type { Device, Org, Session, User } from "@parley/protocol";
import type { Deps, DeviceActor } from "../../context.ts";
import { runCommand } from "../../command.ts";
import { notFound } from "../../core/errors.ts";
import { getActiveSession, getOrg, getUserDevice, getUserInOrg, listActiveSessions, listUserDevices } from "./store.ts";
import { revokeDevice, revokeSessions } from "./sessions.ts";
import { toDevice, toOrg, toSession, toUserWithEmail } from "./views.ts";
import { approvedDeviceIds } from "../locker/approval-store.ts";
import { actorAllows } from "../access/authorize.ts";
import { ORG_PERMISSIONS, type OrgAction } from "../access/permissions.ts";

export async function getMe(deps: Deps, p: DeviceActor): Promise<{ user: User; org: Org; deviceId: string; sessionId: string; permissions: OrgAction[] }> {
  const [user, org] = await Promise.all([getUserInOrg(deps.db, p.orgId, p.userId), getOrg(deps.db, p.orgId)]);
  if (!user) throw notFound("user");
  // What the roles grant, so a client shows the pages a custom role opens (policies may still refuse an action).
  const permissions = (Object.keys(ORG_PERMISSIONS) as OrgAction[]).filter((a) => actorAllows(p, a));
  return { user: toUserWithEmail(user, deps.now()), org: toOrg(org), deviceId: p.deviceId, sessionId: p.sessionId, permissions };
}

export async function logout(deps: Deps, p: DeviceActor): Promise<void> {
  await runCommand(deps, p, "accounts.logout", async (tx, after) => {
    await revokeSessions(tx, after, deps, { orgId: p.orgId, userId: p.userId, sessionIds: [p.sessionId] }, "logout");
    after.audit({ action: "auth.logout", target: { kind: "session", id: p.sessionId }, result: "success" });
  });
}

export async function listMySessions(deps: Deps, p: DeviceActor): Promise<Session[]> {
  const rows = await listActiveSessions(deps.db, p.orgId, p.userId, deps.now());
  return rows.map((r) => toSession(r, p.sessionId));
}

export async function revokeMySession(deps: Deps, p: DeviceActor, sessionId: string): Promise<void> {
  await runCommand(deps, p, "accounts.revokeMySession", async (tx, after) => {
    if (!(await getActiveSession(tx, p.orgId, p.userId, sessionId))) throw notFound("session");
    await revokeSessions(tx, after, deps, { orgId: p.orgId, userId: p.userId, sessionIds: [sessionId] }, "revoked_by_user");
    after.audit({ action: "session.revoked", target: { kind: "session", id: sessionId }, result: "success" });
  });
}

export async function listMyDevices(deps: Deps, p: DeviceActor): Promise<Device[]> {
  const rows = await listUserDevices(deps.db, p.orgId, p.userId);
  const approved = await approvedDeviceIds(
    deps.db,
    p.orgId,
    rows.map((r) => r.id),
  );
  return rows.map((r) => toDevice(r, approved.has(r.id), p.deviceId));
}

export async function renameMyDevice(deps: Deps, p: DeviceActor, deviceId: string, name: string): Promise<Device> {
  return runCommand(deps, p, "accounts.renameMyDevice", async (tx, fx) => {
    const dev = await getUserDevice(tx, p.orgId, p.userId, deviceId);
    if (!dev) throw notFound("device");
    await tx.updateTable("devices").set({ name }).where("id", "=", dev.id).execute();
    // Other users see the name beside the device's key: recorded, the names in the sealed part.
    fx.audit({
      action: "device.renamed",
      target: { kind: "device", id: dev.id },
      result: "success",
      pii: { subject: p.userId, data: { from: dev.name, to: name } },
    });
    const approved = await approvedDeviceIds(tx, p.orgId, [dev.id]);
    return toDevice({ ...dev, name }, approved.has(dev.id), p.deviceId);
  });
}

export async function revokeMyDevice(deps: Deps, p: DeviceActor, deviceId: string): Promise<void> {
  await runCommand(deps, p, "accounts.revokeMyDevice", async (tx, after) => {
    if (!(await getUserDevice(tx, p.orgId, p.userId, deviceId))) throw notFound("device");
    await revokeDevice(tx, after, deps, { orgId: p.orgId, userId: p.userId, deviceId }, "revoked_by_user");
    after.audit({ action: "device.revoked", target: { kind: "device", id: deviceId }, result: "success", details: { userId: p.userId, by: "self" } });
  });
}

/** "Sign out everywhere": every own session ends (all but this one with keepCurrent). */
export async function signOutEverywhere(deps: Deps, p: DeviceActor, keepCurrent: boolean): Promise<{ ended: number }> {
  return runCommand(deps, p, "accounts.signOutEverywhere", async (tx, fx) => {
    const ids = (await listActiveSessions(tx, p.orgId, p.userId, deps.now())).map((s) => s.id).filter((id) => !keepCurrent || id !== p.sessionId);
    if (ids.length) await revokeSessions(tx, fx, deps, { orgId: p.orgId, userId: p.userId, sessionIds: ids }, "signed_out_everywhere");
    fx.audit({
      action: "session.revoked_all",
      target: { kind: "user", id: p.userId },
      result: "success",
      details: { ended: ids.length, keptCurrent: keepCurrent },
    });
    return { ended: ids.length };
  });
}
