/**
 * Sticky readers (migration 0025): a channel admin's "reader" outlives the membership. It is
 * recorded when the role is set, kept when the reader leaves or is removed, and given again
 * whenever they come back — join, invite, a SCIM or directory group, an external MLS join —
 * so leaving and rejoining, or a moderator's kick and re-invite, cannot undo it. Only someone
 * with channel.manage lifts it, by giving the member another role (setMemberRole).
 */
import type { ChannelRole } from "@parley/protocol";
import type { Tx } from "../../platform/db/index.ts";
import type { Q } from "./store.ts";

/** The roles these users get on (re-)entering the channel: "reader" where recorded, else "member". */
export async function entryRoles(q: Q, channelId: string, userIds: string[]): Promise<Array<{ userId: string; role: ChannelRole }>> {
  if (userIds.length === 0) return [];
  const rows = await q
    .selectFrom("channel_restrictions")
    .select(["user_id", "role"])
    .where("channel_id", "=", channelId)
    .where("user_id", "in", userIds)
    .execute();
  const restricted = new Map(rows.map((r) => [r.user_id, r.role]));
  return userIds.map((userId) => ({ userId, role: restricted.get(userId) ?? "member" }));
}

/** Inside setMemberRole's transaction: "reader" is remembered for the channel, any other role lifts it. */
export async function rememberRole(tx: Tx, a: { orgId: string; channelId: string; userId: string; role: ChannelRole; by: string; now: number }): Promise<void> {
  if (a.role !== "reader") {
    await tx.deleteFrom("channel_restrictions").where("channel_id", "=", a.channelId).where("user_id", "=", a.userId).execute();
    return;
  }
  await tx
    .insertInto("channel_restrictions")
    .values({ channel_id: a.channelId, user_id: a.userId, org_id: a.orgId, role: "reader", set_by: a.by, set_at: a.now })
    .onConflict((oc) => oc.columns(["channel_id", "user_id"]).doUpdateSet({ role: "reader", set_by: a.by, set_at: a.now }))
    .execute();
}
