/**
 * Reads decided with no request in flight: a push or an email about a channel goes to a device
 * only when a read of the channel by it would be allowed now. The server acts for the device
 * while it is away, so the device's identity is taken from what is stored: its most recently
 * used live session (a device signed out everywhere, or of a deactivated user, gets nothing),
 * and — with the org's Cedar policies enabled — the policy decision for `channel.read` with that
 * session's attributes and an unknown address (0.0.0.0, as for any caller without one): a
 * policy that permits only some networks therefore refuses pushes, which is the safe side.
 * Membership is the caller's business.
 */
import type { Deps } from "../../context.ts";
import { policyDenials } from "./authorize.ts";
import { principalAccess } from "./org-access.ts";
import { parseLabels } from "./labels.ts";
import type { ChannelAttrs } from "./access-state.ts";

export interface AwayDevice {
  userId: string;
  deviceId: string;
}

/** The ids of those devices that may read the channel now (see the module comment). */
export async function devicesMayRead(deps: Deps, orgId: string, channelId: string, devices: readonly AwayDevice[]): Promise<Set<string>> {
  const allowed = new Set<string>();
  if (devices.length === 0) return allowed;
  const now = deps.now();
  const [sessions, users, org] = await Promise.all([
    deps.db
      .selectFrom("sessions")
      .select(["id", "device_id", "user_id", "last_used_at"])
      .where("org_id", "=", orgId)
      .where("device_id", "in", [...new Set(devices.map((d) => d.deviceId))])
      .where("revoked_at", "is", null)
      .where("expires_at", ">", now)
      .execute(),
    deps.db
      .selectFrom("users")
      .select(["id", "role"])
      .where("org_id", "=", orgId)
      .where("id", "in", [...new Set(devices.map((d) => d.userId))])
      .where("deactivated_at", "is", null)
      .execute(),
    deps.db.selectFrom("orgs").select(["access_version", "suspended_at"]).where("id", "=", orgId).executeTakeFirst(),
  ]);
  if (!org || org.suspended_at !== null) return allowed;
  const roles = new Map(users.map((u) => [u.id, u.role]));
  const latest = new Map<string, (typeof sessions)[number]>();
  for (const s of sessions) {
    const seen = latest.get(s.device_id);
    if (!seen || Number(s.last_used_at) > Number(seen.last_used_at)) latest.set(s.device_id, s);
  }
  const version = Number(org.access_version ?? 0);
  let channelAttrs: ChannelAttrs | undefined;
  for (const d of devices) {
    const session = latest.get(d.deviceId);
    const role = roles.get(d.userId);
    if (!session || session.user_id !== d.userId || role === undefined) continue;
    const access = await principalAccess(deps, version, { orgId, userId: d.userId, deviceId: d.deviceId, sessionId: session.id, ip: "0.0.0.0" });
    const state = access?.org.current;
    if (!access || !state || state.policySetId === null || access.attrs === null) {
      allowed.add(d.deviceId);
      continue;
    }
    channelAttrs ??= state.channels.get(channelId) ?? (await channelAttrsOf(deps, orgId, channelId));
    if (!channelAttrs) continue;
    const user = { userId: d.userId, role, attrs: access.attrs };
    if (policyDenials(state, user, "channel.read", { type: "channel-attrs", id: channelId, attrs: channelAttrs }).length === 0) allowed.add(d.deviceId);
  }
  return allowed;
}

/** A channel the cached org state does not list yet (created a moment ago), read from the database. */
async function channelAttrsOf(deps: Deps, orgId: string, channelId: string): Promise<ChannelAttrs | undefined> {
  const row = await deps.db
    .selectFrom("channels")
    .select(["kind", "labels", "archived_at"])
    .where("id", "=", channelId)
    .where("org_id", "=", orgId)
    .executeTakeFirst();
  return row ? { kind: row.kind, labels: parseLabels(row.labels), archived: row.archived_at !== null } : undefined;
}
