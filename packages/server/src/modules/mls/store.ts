/**
 * MLS group queries: the stored GroupInfo, the leaf map, Welcomes and pending
 * removals. Every read starts from a channel the caller already loaded
 * through the principal (channels/access.ts), so no org check repeats here,
 * except where a scope comes from outside (revocation, deactivation).
 */
import { claimSeqs } from "../timeline/sequence.ts";
import type { Db, Tx } from "../../platform/db/index.ts";
import type { MlsGroupsTable, MlsLeavesTable, MlsPendingRemovalsTable, MlsWelcomesTable } from "../../platform/db/tables.ts";

export type Q = Db | Tx;
export type GroupRow = MlsGroupsTable;
export type LeafRow = MlsLeavesTable;
export type PendingRow = MlsPendingRemovalsTable;
export type WelcomeRow = MlsWelcomesTable;

export async function findGroup(q: Q, channelId: string): Promise<GroupRow | undefined> {
  return q.selectFrom("mls_groups").selectAll().where("channel_id", "=", channelId).executeTakeFirst();
}

export async function insertGroup(tx: Tx, row: GroupRow): Promise<void> {
  await tx.insertInto("mls_groups").values(row).execute();
}

export async function updateGroupInfo(tx: Tx, channelId: string, epoch: number, groupInfo: Uint8Array, now: number): Promise<void> {
  await tx.updateTable("mls_groups").set({ epoch, group_info: groupInfo, updated_at: now }).where("channel_id", "=", channelId).execute();
}

export async function channelEpoch(q: Q, channelId: string): Promise<{ epoch: number; generation: number; archived: boolean } | undefined> {
  const r = await q.selectFrom("channels").select(["epoch", "mls_generation", "archived_at"]).where("id", "=", channelId).executeTakeFirst();
  return r && { epoch: Number(r.epoch), generation: Number(r.mls_generation), archived: r.archived_at !== null };
}

/**
 * Claim the channel's epoch for one commit and its timeline seq in one step:
 * only the first of concurrent commits for an epoch matches the WHERE (the
 * PostgreSQL row lock makes the others re-check and miss; SQLite serialises
 * writers). Undefined: stale epoch, a reset (another generation) or archived meanwhile.
 */
export async function claimEpoch(tx: Tx, channelId: string, generation: number, epoch: number): Promise<{ seq: number } | undefined> {
  const c = await claimSeqs(tx, { channelId, generation, epoch, active: true, advance: { kind: "epoch" } });
  return c && { seq: c.first };
}

/** Reserve `n` timeline seqs for server events of `epoch` of group `generation`; undefined when either moved on. */
export async function reserveSeqs(tx: Tx, channelId: string, generation: number, epoch: number, n: number): Promise<number | undefined> {
  return (await claimSeqs(tx, { channelId, generation, epoch, count: n }))?.first;
}

export async function listLeaves(q: Q, channelId: string): Promise<LeafRow[]> {
  return q.selectFrom("mls_leaves").selectAll().where("channel_id", "=", channelId).orderBy("leaf_index").execute();
}

export async function replaceLeaves(tx: Tx, channelId: string, leaves: LeafRow[]): Promise<void> {
  await tx.deleteFrom("mls_leaves").where("channel_id", "=", channelId).execute();
  for (let i = 0; i < leaves.length; i += 500)
    await tx
      .insertInto("mls_leaves")
      .values(leaves.slice(i, i + 500))
      .execute();
}

/** Leaves of one user (optionally some devices, some channels) in an org's groups. */
export async function leavesOfUser(q: Q, s: { orgId: string; userId: string; channelIds?: string[]; deviceIds?: string[] }): Promise<LeafRow[]> {
  let query = q.selectFrom("mls_leaves").selectAll().where("org_id", "=", s.orgId).where("user_id", "=", s.userId);
  if (s.channelIds) {
    if (s.channelIds.length === 0) return [];
    query = query.where("channel_id", "in", s.channelIds);
  }
  if (s.deviceIds) {
    if (s.deviceIds.length === 0) return [];
    query = query.where("device_id", "in", s.deviceIds);
  }
  return query.execute();
}

export async function insertWelcome(tx: Tx, row: WelcomeRow): Promise<void> {
  await tx.insertInto("mls_welcomes").values(row).execute();
}

export async function findWelcome(q: Q, channelId: string, welcomeId: string): Promise<WelcomeRow | undefined> {
  return q.selectFrom("mls_welcomes").selectAll().where("id", "=", welcomeId).where("channel_id", "=", channelId).executeTakeFirst();
}

export async function listPending(q: Q, channelId: string): Promise<PendingRow[]> {
  return q.selectFrom("mls_pending_removals").selectAll().where("channel_id", "=", channelId).orderBy("leaf_index").execute();
}

/** Record removals; one already recorded for a device stays as it is. */
export async function insertPending(tx: Tx, rows: PendingRow[]): Promise<void> {
  if (rows.length === 0) return;
  await tx
    .insertInto("mls_pending_removals")
    .values(rows)
    .onConflict((oc) => oc.columns(["channel_id", "device_id"]).doNothing())
    .execute();
}

export async function deletePending(tx: Tx, channelId: string, deviceIds: string[]): Promise<void> {
  if (deviceIds.length === 0) return;
  await tx.deleteFrom("mls_pending_removals").where("channel_id", "=", channelId).where("device_id", "in", deviceIds).execute();
}

/** A commit moved the epoch: the leaf may have moved too, and the old proposal is void. */
export async function resetPending(tx: Tx, channelId: string, deviceId: string, leafIndex: number): Promise<void> {
  await tx
    .updateTable("mls_pending_removals")
    .set({ leaf_index: leafIndex, proposed_epoch: null, proposal_seq: null, proposal_ref: null })
    .where("channel_id", "=", channelId)
    .where("device_id", "=", deviceId)
    .execute();
}

/** Claim a pending removal for a proposal at `epoch`; false if another node already proposed it for this epoch. */
export async function claimPendingForEpoch(tx: Tx, channelId: string, deviceId: string, epoch: number): Promise<boolean> {
  const r = await tx
    .updateTable("mls_pending_removals")
    .set({ proposed_epoch: epoch })
    .where("channel_id", "=", channelId)
    .where("device_id", "=", deviceId)
    .where((eb) => eb.or([eb("proposed_epoch", "is", null), eb("proposed_epoch", "<", epoch)]))
    .executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

export async function setProposal(tx: Tx, channelId: string, deviceId: string, seq: number, ref: string): Promise<void> {
  await tx
    .updateTable("mls_pending_removals")
    .set({ proposal_seq: seq, proposal_ref: ref })
    .where("channel_id", "=", channelId)
    .where("device_id", "=", deviceId)
    .execute();
}

/** What the commit checks need to know about the devices a bundle names. */
export interface DeviceFacts {
  userId: string;
  orgId: string;
  revoked: boolean;
  userActive: boolean;
}

export async function deviceFacts(q: Q, orgId: string, deviceIds: string[]): Promise<Map<string, DeviceFacts>> {
  const out = new Map<string, DeviceFacts>();
  if (deviceIds.length === 0) return out;
  const rows = await q
    .selectFrom("devices")
    .innerJoin("users", "users.id", "devices.user_id")
    .select(["devices.id", "devices.user_id", "devices.org_id", "devices.revoked_at", "users.deactivated_at"])
    .where("devices.org_id", "=", orgId)
    .where("devices.id", "in", [...new Set(deviceIds)])
    .execute();
  for (const r of rows) out.set(r.id, { userId: r.user_id, orgId: r.org_id, revoked: r.revoked_at !== null, userActive: r.deactivated_at === null });
  return out;
}

/** Active (not deactivated) users among a channel's members. */
export async function channelMemberIds(q: Q, channelId: string): Promise<{ all: Set<string>; active: Set<string> }> {
  const rows = await q
    .selectFrom("channel_members")
    .innerJoin("users", "users.id", "channel_members.user_id")
    .select(["channel_members.user_id", "users.deactivated_at"])
    .where("channel_members.channel_id", "=", channelId)
    .execute();
  return { all: new Set(rows.map((r) => r.user_id)), active: new Set(rows.filter((r) => r.deactivated_at === null).map((r) => r.user_id)) };
}
