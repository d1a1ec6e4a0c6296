/**
 * Reads of a channel's group: the stored GroupInfo (for external joins and to
 * see what removals are pending) and the Welcomes a commit left for the users
 * it added.
 */
import type { ChannelGroupInfo, MlsWelcome } from "@parley/protocol";
import type { Deps, DeviceActor } from "../../context.ts";
import { AppError } from "../../core/errors.ts";
import { channelFor, loadChannel } from "../channels/access.ts";
import { findGroup, findWelcome, listLeaves, listPending } from "./store.ts";

/** Members, and org users who may join a public channel, read its group (an external join needs it). */
export async function getGroupInfo(deps: Deps, p: DeviceActor, channelId: string): Promise<ChannelGroupInfo> {
  const ch = await channelFor(deps.db, p, channelId, "channel.read");
  const [group, pending, leaves] = await Promise.all([findGroup(deps.db, channelId), listPending(deps.db, channelId), listLeaves(deps.db, channelId)]);
  const epoch = Number(ch.row.epoch);
  const generation = Number(ch.row.mls_generation);
  if (!group) return { epoch, generation, engine: null, suite: null, groupInfo: null, pendingRemovals: [] };
  const leafOf = new Map(leaves.map((l) => [l.device_id, Number(l.leaf_index)]));
  return {
    epoch,
    generation,
    engine: group.engine,
    suite: group.suite,
    groupInfo: Buffer.from(group.group_info).toString("base64"),
    pendingRemovals: pending
      .filter((r) => leafOf.has(r.device_id))
      .map((r) => ({
        userId: r.user_id,
        deviceId: r.device_id,
        leafIndex: leafOf.get(r.device_id)!,
        proposalSeq: r.proposal_seq !== null && Number(r.proposed_epoch) === epoch ? Number(r.proposal_seq) : null,
      })),
  };
}

/**
 * A Welcome and the GroupInfo of its epoch (whose ratchet tree the joiner needs), for the
 * users whose devices it adds only (anyone else: 404, as if it did not exist).
 */
export async function getWelcome(deps: Deps, p: DeviceActor, channelId: string, welcomeId: string): Promise<MlsWelcome> {
  await loadChannel(deps.db, p, channelId);
  const w = await findWelcome(deps.db, channelId, welcomeId);
  if (!w || w.org_id !== p.orgId || !(JSON.parse(w.recipients) as string[]).includes(p.userId)) throw new AppError("not_found", "welcome not found");
  return {
    id: w.id,
    channelId: w.channel_id,
    epoch: Number(w.epoch),
    welcome: Buffer.from(w.data).toString("base64"),
    groupInfo: w.group_info === null ? null : Buffer.from(w.group_info).toString("base64"),
    createdAt: Number(w.created_at),
  };
}
