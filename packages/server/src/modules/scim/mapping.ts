/**
 * SCIM groups → org roles and channels. An admin maps a group the identity provider pushed
 * to a role (admin, member or guest) and a set of public or private channels
 * (PUT /api/v1/scim/groups/:id/mapping). Whenever a user's groups or a group's mapping
 * change, {@link reconcileUsers} brings the user in line, inside the same command, through
 * the existing commands (setUserRoleIn, addChannelMembersIn, removeChannelMembersIn):
 *
 * - role: the highest role among the user's mapped groups. Owners are never changed. A user
 *   who leaves their last role-mapped group goes back to member, unless their role was
 *   changed by someone else since a mapping set it (`scim_users.managed_role`).
 * - channels: the user is added to every channel of their groups they are not in; only
 *   memberships a mapping added (`scim_channel_grants`) are taken away when no group of the
 *   user maps the channel any more. Joining or being kicked by hand is left alone; archived
 *   channels are neither joined nor left. Removal makes the server propose the removal of
 *   the user's devices from the channel's MLS group, like any kick.
 */
import type { ScimGroup, ScimGroupMapping } from "@parley/protocol";
import type { Actor, Deps } from "../../context.ts";
import type { Tx } from "../../platform/db/index.ts";
import type { ScimGroupsTable } from "../../platform/db/tables.ts";
import { runCommand, type CommandEffects } from "../../command.ts";
import { AppError, notFound } from "../../core/errors.ts";
import { authorize, channelResourceOf, type ChannelResource } from "../access/authorize.ts";
import { setUserRoleIn } from "../orgs/users.ts";
import { addChannelMembersIn, removeChannelMembersIn } from "../channels/membership.ts";
import { findChannel, findMembership, type ChannelRow } from "../channels/store.ts";
import { channelsOfGroups, findGroup, lockGroup } from "./store.ts";

type MappedRole = NonNullable<ScimGroupsTable["role"]>;
const RANK: Record<MappedRole, number> = { guest: 0, member: 1, admin: 2 };
const org = (p: Actor) => ({ type: "org" as const, orgId: p.orgId });

/** The channel as authorize() sees it for `p` (a SCIM client is in no channel). */
async function channelResource(tx: Tx, p: Actor, ch: ChannelRow): Promise<ChannelResource> {
  const mine = p.kind === "device" ? await findMembership(tx, ch.id, p.userId) : undefined;
  return channelResourceOf(ch, mine?.role ?? null);
}

/** Bring these users' roles and mapped channel memberships in line with their groups (inside the caller's command). */
export async function reconcileUsers(tx: Tx, fx: CommandEffects, deps: Deps, p: Actor, userIds: Iterable<string>): Promise<void> {
  const ids = [...new Set(userIds)];
  if (ids.length === 0) return;
  const users = await tx
    .selectFrom("users as u")
    .leftJoin("scim_users as s", "s.user_id", "u.id")
    .select(["u.id", "u.role", "u.deactivated_at", "s.managed_role", "s.user_id as scim_row"])
    .where("u.org_id", "=", p.orgId)
    .where("u.id", "in", ids)
    .execute();
  const groupRows = await tx
    .selectFrom("scim_group_members as m")
    .innerJoin("scim_groups as g", "g.id", "m.group_id")
    .select(["m.user_id", "g.id as group_id", "g.role"])
    .where("g.org_id", "=", p.orgId)
    .where("m.user_id", "in", ids)
    .execute();
  const channelsByGroup = await channelsOfGroups(tx, [...new Set(groupRows.map((g) => g.group_id))]);
  const grants = await tx
    .selectFrom("scim_channel_grants")
    .select(["user_id", "channel_id"])
    .where("org_id", "=", p.orgId)
    .where("user_id", "in", ids)
    .execute();
  const memberships = await tx
    .selectFrom("channel_members")
    .select(["user_id", "channel_id"])
    .where("org_id", "=", p.orgId)
    .where("user_id", "in", ids)
    .execute();
  const channels = new Map<string, ChannelRow>();
  for (const id of new Set([...[...channelsByGroup.values()].flat(), ...grants.map((g) => g.channel_id)])) {
    const row = await findChannel(tx, p.orgId, id);
    if (row) channels.set(id, row);
  }
  const adds = new Map<string, string[]>();
  const removes = new Map<string, string[]>();
  const push = (m: Map<string, string[]>, k: string, v: string) => m.set(k, [...(m.get(k) ?? []), v]);
  const now = deps.now();

  for (const u of users) {
    const mine = groupRows.filter((g) => g.user_id === u.id);
    // Role.
    if (u.role !== "owner") {
      const roles = mine.flatMap((g) => (g.role ? [g.role] : []));
      const target = roles.length ? roles.reduce((a, b) => (RANK[b] > RANK[a] ? b : a)) : null;
      const next = target ?? (u.managed_role !== null && u.role === u.managed_role ? "member" : null);
      if (next && next !== u.role) await setUserRoleIn(tx, fx, deps, p, u.id, next);
      if (target !== u.managed_role) {
        if (u.scim_row === null) await insertScimRowFor(tx, u.id, p.orgId, now);
        await tx.updateTable("scim_users").set({ managed_role: target }).where("user_id", "=", u.id).execute();
      }
    }
    // Channels.
    const desired = new Set(mine.flatMap((g) => channelsByGroup.get(g.group_id) ?? []).filter((c) => channels.has(c)));
    const granted = new Set(grants.filter((g) => g.user_id === u.id).map((g) => g.channel_id));
    const member = new Set(memberships.filter((m) => m.user_id === u.id).map((m) => m.channel_id));
    for (const c of desired) {
      if (!member.has(c) && !granted.has(c) && u.deactivated_at === null && channels.get(c)!.archived_at === null) push(adds, c, u.id);
    }
    for (const c of granted) {
      if (desired.has(c) || channels.get(c)?.archived_at != null) continue;
      await tx.deleteFrom("scim_channel_grants").where("user_id", "=", u.id).where("channel_id", "=", c).execute();
      if (member.has(c)) push(removes, c, u.id);
    }
  }

  for (const [channelId, userIdsToAdd] of adds) {
    const ch = channels.get(channelId)!;
    authorize(p, "channel.invite", { type: "channel", channel: await channelResource(tx, p, ch) });
    const added = await addChannelMembersIn(tx, fx, deps, { orgId: p.orgId, channel: ch, userIds: userIdsToAdd, by: null });
    if (added.length) {
      await tx
        .insertInto("scim_channel_grants")
        .values(added.map((user_id) => ({ user_id, channel_id: channelId, org_id: p.orgId, created_at: now })))
        .onConflict((oc) => oc.columns(["user_id", "channel_id"]).doNothing())
        .execute();
    }
  }
  for (const [channelId, userIdsToRemove] of removes) {
    const ch = channels.get(channelId)!;
    authorize(p, "channel.kick", { type: "channel", channel: await channelResource(tx, p, ch) });
    await removeChannelMembersIn(tx, fx, deps, { orgId: p.orgId, channelId, userIds: userIdsToRemove, by: null, reason: "kicked" });
  }
}

/** A scim_users row for a user SCIM has not written yet (to hold the role a mapping gave). */
async function insertScimRowFor(tx: Tx, userId: string, orgId: string, now: number): Promise<void> {
  const u = await tx.selectFrom("users").select(["username", "created_at"]).where("id", "=", userId).executeTakeFirstOrThrow();
  await tx
    .insertInto("scim_users")
    .values({
      user_id: userId,
      org_id: orgId,
      user_name: u.username,
      user_name_key: u.username,
      external_id: null,
      name_formatted: null,
      family_name: null,
      given_name: null,
      middle_name: null,
      honorific_prefix: null,
      honorific_suffix: null,
      managed_role: null,
      created_at: now,
      // Not a SCIM change of the user's attributes: lastModified stays their creation.
      updated_at: Number(u.created_at),
      deleted_at: null,
    })
    .execute();
}

// ---- the admin API -------------------------------------------------------------------

async function summaries(q: Deps["db"] | Tx, orgId: string, rows: ScimGroupsTable[]): Promise<ScimGroup[]> {
  const ids = rows.map((r) => r.id);
  const channels = await channelsOfGroups(q, ids);
  const counts = new Map<string, number>();
  if (ids.length) {
    const rs = await q
      .selectFrom("scim_group_members")
      .select(["group_id", (eb) => eb.fn.countAll<number>().as("n")])
      .where("org_id", "=", orgId)
      .where("group_id", "in", ids)
      .groupBy("group_id")
      .execute();
    for (const r of rs) counts.set(r.group_id, Number(r.n));
  }
  return rows.map((r) => ({
    id: r.id,
    displayName: r.display_name,
    externalId: r.external_id,
    members: counts.get(r.id) ?? 0,
    mapping: { role: r.role, channelIds: channels.get(r.id) ?? [] },
    createdAt: Number(r.created_at),
    updatedAt: Number(r.updated_at),
  }));
}

/** The groups the identity provider pushed, with their mappings (admins). */
export async function listScimGroups(deps: Deps, p: Actor): Promise<ScimGroup[]> {
  authorize(p, "org.manage_security", org(p));
  const rows = await deps.db.selectFrom("scim_groups").selectAll().where("org_id", "=", p.orgId).orderBy("display_name_key").execute();
  return summaries(deps.db, p.orgId, rows);
}

/** Map a group to a role and channels and apply it to its members, all in one command. */
export async function setScimGroupMapping(deps: Deps, p: Actor, groupId: string, mapping: ScimGroupMapping): Promise<ScimGroup> {
  authorize(p, "org.manage_security", org(p));
  authorize(p, "org.manage_roles", org(p));
  const channelIds = [...new Set(mapping.channelIds)];
  return runCommand(deps, p, "scim.setGroupMapping", async (tx, fx) => {
    const group = await findGroup(tx, p.orgId, groupId);
    if (!group) throw notFound("SCIM group");
    // Granting admin, or taking a mapping to admin away, changes admins: owners only.
    if (mapping.role === "admin" || group.role === "admin") authorize(p, "org.manage_admins", org(p));
    for (const id of channelIds) {
      const ch = await findChannel(tx, p.orgId, id);
      if (!ch) throw new AppError("not_found", "channel not found", { channelId: id });
      if (ch.kind !== "public" && ch.kind !== "private") throw new AppError("bad_request", "only public and private channels can be mapped", { channelId: id });
      if (ch.archived_at !== null) throw new AppError("channel_archived", "the channel is archived", { channelId: id });
      // The admin must be able to add people to it themselves (a private channel: be in it or its admin).
      authorize(p, "channel.invite", { type: "channel", channel: await channelResource(tx, p, ch) });
    }
    await lockGroup(tx, p.orgId, group.id);
    await tx.updateTable("scim_groups").set({ role: mapping.role }).where("id", "=", group.id).execute();
    await tx.deleteFrom("scim_group_channels").where("group_id", "=", group.id).execute();
    if (channelIds.length) {
      await tx
        .insertInto("scim_group_channels")
        .values(channelIds.map((channel_id) => ({ group_id: group.id, channel_id, org_id: p.orgId })))
        .execute();
    }
    fx.audit({
      action: "scim.group.mapped",
      target: { kind: "scim_group", id: group.id },
      result: "success",
      details: { role: mapping.role, channelIds, previousRole: group.role },
    });
    const members = await tx.selectFrom("scim_group_members").select("user_id").where("group_id", "=", group.id).execute();
    await reconcileUsers(
      tx,
      fx,
      deps,
      p,
      members.map((m) => m.user_id),
    );
    const [summary] = await summaries(tx, p.orgId, [{ ...group, role: mapping.role }]);
    return summary!;
  });
}
