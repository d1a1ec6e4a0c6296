/**
 * Membership commands: join, leave, invite (add), kick, channel roles. Each
 * tells the affected user (channel.joined / channel.left) and the other
 * members (member.*) on their streams, and publishes "channel.members".
 */
import type { ChannelMember, ChannelRole, MyChannel } from "@parley/protocol";
import type { Deps, DeviceActor } from "../../context.ts";
import { isUniqueViolation } from "../../platform/db/index.ts";
import { actorAllows, authorize } from "../access/authorize.ts";
import { AppError } from "../../core/errors.ts";
import { runCommand, type CommandEffects } from "../../command.ts";
import type { Tx } from "../../platform/db/index.ts";
import { channelFor, loadChannel } from "./access.ts";
import { requireOrgUsers } from "./users.ts";
import { channelData, publishMembers, tellUsers, type NotifyCtx } from "./notify.ts";
import { deleteMember, findMembership, insertMembers, lockChannelRow, memberIds, setMemberRoleRow, toChannel, type ChannelRow } from "./store.ts";
import { myChannel } from "./views.ts";
import { entryRoles, rememberRole } from "./restrictions.ts";
import { recordPendingRemovals } from "../mls/removals.ts";
import { dropUsersFromChannelCall } from "../calls/lifecycle.ts";

const isDm = (kind: string) => kind === "dm" || kind === "group_dm";

/** Join a public channel (not guests). Joining twice is a no-op. */
export async function joinChannel(deps: Deps, p: DeviceActor, channelId: string): Promise<MyChannel> {
  const ch = await loadChannel(deps.db, p, channelId);
  if (ch.membership) return myChannel(deps.db, p, channelId);
  // Non-members of private channels and DMs get the same 404 as for a missing channel.
  if (ch.row.kind !== "public") authorize(p, "channel.read", { type: "channel", channel: ch.resource });
  authorize(p, "channel.browse", { type: "org", orgId: p.orgId });
  if (ch.row.archived_at !== null) throw new AppError("channel_archived", "the channel is archived");
  const now = deps.now();
  try {
    await runCommand(deps, p, "channels.joinChannel", async (tx, after) => {
      const before = await memberIds(tx, channelId);
      const entry = await entryRoles(tx, channelId, [p.userId]); // a former reader comes back as one
      await insertMembers(tx, channelId, p.orgId, entry, now);
      after.audit({
        action: "channel.member.joined",
        target: { kind: "channel", id: channelId },
        result: "success",
        details: { userId: p.userId, role: entry[0]!.role },
      });
      const c: NotifyCtx = { tx, after, orgId: p.orgId, channelId, now };
      await tellUsers(c, [p.userId], "channel.joined", { ...channelData(toChannel(ch.row, before.length + 1)), by: p.userId });
      await tellUsers(c, before, "member.joined", { userIds: [p.userId], by: p.userId });
      publishMembers(c, [p.userId], []);
    });
  } catch (err) {
    if (!isUniqueViolation(err)) throw err; // a concurrent join of the same user won
  }
  return myChannel(deps.db, p, channelId);
}

/** Remove `userId` and tell everyone concerned; `moderator`: the caller may remove members and readers only. */
async function removeFromChannel(deps: Deps, p: DeviceActor, channelId: string, userId: string, moderator = false): Promise<void> {
  await runCommand(deps, p, "channels.removeFromChannel", async (tx, after) => {
    const reason = userId === p.userId ? "left" : "kicked";
    // Read in the transaction, so a promotion that commits first is seen.
    const role = moderator ? (await findMembership(tx, channelId, userId))?.role : undefined;
    if (role === "admin" || role === "moderator") throw new AppError("forbidden", "moderators may not remove channel admins or other moderators");
    const removed = await removeChannelMembersIn(tx, after, deps, { orgId: p.orgId, channelId, userIds: [userId], by: p.userId, reason });
    if (removed.length === 0) throw new AppError("not_found", "not a member of this channel");
  });
}

/**
 * Inside a command: remove these members (those that are members), record the server's MLS
 * removals of their devices, tell them and the rest, and announce it. Returns who was removed.
 * Used by leave/kick and by SCIM group mappings (`by` null: no user acted).
 */
export async function removeChannelMembersIn(
  tx: Tx,
  after: CommandEffects,
  deps: Deps,
  a: { orgId: string; channelId: string; userIds: string[]; by: string | null; reason: "left" | "kicked" },
): Promise<string[]> {
  const now = deps.now();
  const removed: string[] = [];
  for (const userId of new Set(a.userIds)) {
    if (!(await deleteMember(tx, a.channelId, userId))) continue;
    removed.push(userId);
    after.audit({
      action: a.reason === "left" ? "channel.member.left" : "channel.member.removed",
      target: { kind: "channel", id: a.channelId },
      result: "success",
      details: { userId },
    });
    await recordPendingRemovals(deps, tx, after, { orgId: a.orgId, userId, channelIds: [a.channelId], reason: a.reason });
  }
  if (removed.length === 0) return removed;
  const rest = await memberIds(tx, a.channelId);
  const c: NotifyCtx = { tx, after, orgId: a.orgId, channelId: a.channelId, now };
  await tellUsers(c, removed, "channel.left", { channelId: a.channelId, by: a.by });
  await tellUsers(c, rest, "member.left", { userIds: removed, by: a.by });
  // Whoever left the channel leaves its call in the same transaction (the others re-key).
  await dropUsersFromChannelCall(tx, after, a.channelId, removed, now, deps.sfu);
  publishMembers(c, [], removed);
  return removed;
}

/**
 * Leave a channel (not a DM: a DM's members are fixed by its dm_key). Membership is all it
 * takes: an org policy that forbids reading the channel must not keep the user in it.
 */
export async function leaveChannel(deps: Deps, p: DeviceActor, channelId: string): Promise<void> {
  const ch = await loadChannel(deps.db, p, channelId);
  // A non-member learns nothing more about a private channel or DM than that it is not found.
  if (!ch.membership) throw new AppError("not_found", ch.row.kind === "public" ? "not a member of this channel" : "channel not found");
  if (isDm(ch.row.kind)) throw new AppError("bad_request", "you cannot leave a DM");
  await removeFromChannel(deps, p, channelId, p.userId);
}

/** Invite users (members of public channels; channel/org admins of private ones). */
export async function addMembers(deps: Deps, p: DeviceActor, channelId: string, userIds: string[]): Promise<{ added: string[] }> {
  const ch = await channelFor(deps.db, p, channelId, "channel.invite");
  if (ch.row.kind === "group_dm") throw new AppError("bad_request", "a group DM's members are fixed; open a new group DM instead");
  const ids = [...new Set(userIds)];
  await requireOrgUsers(deps.db, p.orgId, ids);
  const added = await runCommand(deps, p, "channels.addMembers", (tx, after) =>
    addChannelMembersIn(tx, after, deps, { orgId: p.orgId, channel: ch.row, userIds: ids, by: p.userId }),
  );
  return { added };
}

/**
 * Inside a command: add these (checked, active) users who are not members yet, tell them and
 * the members, and announce it. Returns who was added. Used by invites and by SCIM group
 * mappings (`by` null: no user acted).
 */
export async function addChannelMembersIn(
  tx: Tx,
  after: CommandEffects,
  deps: Deps,
  a: { orgId: string; channel: ChannelRow; userIds: string[]; by: string | null },
): Promise<string[]> {
  const now = deps.now();
  const channelId = a.channel.id;
  // Serialise concurrent invites to this channel (PostgreSQL row lock; SQLite
  // transactions are serial anyway) so two of them cannot both insert a user.
  await lockChannelRow(tx, channelId);
  const before = await memberIds(tx, channelId);
  const current = new Set(before);
  const fresh = [...new Set(a.userIds)].filter((id) => !current.has(id));
  if (fresh.length === 0) return fresh;
  // Former readers come back as readers, whoever invites them (restrictions.ts).
  const entries = await entryRoles(tx, channelId, fresh);
  await insertMembers(tx, channelId, a.orgId, entries, now);
  const c: NotifyCtx = { tx, after, orgId: a.orgId, channelId, now };
  await tellUsers(c, fresh, "channel.joined", { ...channelData(toChannel(a.channel, before.length + fresh.length)), by: a.by });
  await tellUsers(c, before, "member.joined", { userIds: fresh, by: a.by });
  publishMembers(c, fresh, []);
  const readers = entries.filter((e) => e.role === "reader").map((e) => e.userId);
  after.audit({
    action: "channel.member.added",
    target: { kind: "channel", id: channelId },
    result: "success",
    details: { userIds: fresh, ...(readers.length > 0 ? { readers } : {}) },
  });
  return fresh;
}

/** Kick a member (channel admins, org admins; moderators kick members and readers). Removing yourself is leaving. */
export async function removeMember(deps: Deps, p: DeviceActor, channelId: string, userId: string): Promise<void> {
  if (userId === p.userId) return leaveChannel(deps, p, channelId);
  const ch = await channelFor(deps.db, p, channelId, "channel.kick");
  await removeFromChannel(deps, p, channelId, userId, ch.resource.myRole === "moderator" && !actorAllows(p, "channel.manage_any"));
}

/** Set a member's channel role: admin, moderator, member or reader (channel admins, org admins); "reader" sticks (restrictions.ts). */
export async function setMemberRole(deps: Deps, p: DeviceActor, channelId: string, userId: string, role: ChannelRole): Promise<ChannelMember> {
  const ch = await channelFor(deps.db, p, channelId, "channel.manage");
  if (isDm(ch.row.kind)) throw new AppError("bad_request", "DMs have no channel roles");
  const target = await findMembership(deps.db, channelId, userId);
  if (!target) throw new AppError("not_found", "not a member of this channel");
  if (target.role !== role) {
    const now = deps.now();
    await runCommand(deps, p, "channels.setMemberRole", async (tx, after) => {
      await setMemberRoleRow(tx, channelId, userId, role);
      await rememberRole(tx, { orgId: p.orgId, channelId, userId, role, by: p.userId, now });
      after.audit({ action: "channel.member.role_changed", target: { kind: "channel", id: channelId }, result: "success", details: { userId, role } });
      const everyone = await memberIds(tx, channelId);
      await tellUsers({ tx, after, orgId: p.orgId, channelId, now }, everyone, "member.role", { userId, role, by: p.userId });
    });
  }
  return { userId, role, joinedAt: Number(target.joined_at) };
}
