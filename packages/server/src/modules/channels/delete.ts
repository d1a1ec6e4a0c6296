/**
 * Delete a channel for good (issue 13): channel admins and org admins, never a DM. Its events,
 * memberships, pins, files and MLS group go in one transaction; the blobs are removed by a
 * durable job after the commit. A legal hold that keeps the channel's timeline — on the
 * channel, on a member, or on anyone who sent in it — refuses the deletion (`legal_hold`), and
 * the refusal is audited like every hold decision. Members are told on their streams
 * ("channel.deleted") and gateways drop the channel from their index.
 */
import type { Deps, DeviceActor } from "../../context.ts";
import type { Tx } from "../../platform/db/index.ts";
import { runCommand } from "../../command.ts";
import { AppError } from "../../core/errors.ts";
import { channelAttrsChanged } from "../access/org-access.ts";
import { activeHolds } from "../compliance/holds.ts";
import { DELETE_BLOBS_JOB } from "../files/gc.ts";
import { channelFor } from "./access.ts";
import { publishMembers, tellUsers } from "./notify.ts";
import { lockChannelRow, memberIds } from "./store.ts";
import { deleteChannelRows, heldUsersIn } from "./delete-store.ts";
import { endChannelCall } from "../calls/lifecycle.ts";

export async function deleteChannel(deps: Deps, p: DeviceActor, channelId: string): Promise<void> {
  const ch = await channelFor(deps.db, p, channelId, "channel.manage");
  if (ch.row.kind === "dm" || ch.row.kind === "group_dm") throw new AppError("bad_request", "DMs cannot be deleted");
  const now = deps.now();
  try {
    await runCommand(deps, p, "channels.deleteChannel", async (tx, fx) => {
      // No send, commit or pin of this channel lands between the hold check and the deletion.
      await lockChannelRow(tx, channelId);
      const matters = await holdingMatters(tx, p.orgId, channelId);
      if (matters.length > 0) throw new AppError("legal_hold", `deleting this channel is refused: a legal hold covers it (${matters.join(", ")})`, { matters });
      const members = await memberIds(tx, channelId);
      await endChannelCall(tx, fx, channelId, now, deps.sfu);
      const { blobIds, events } = await deleteChannelRows(tx, p.orgId, channelId);
      await channelAttrsChanged(tx, fx, p.orgId);
      if (blobIds.length) await fx.job(DELETE_BLOBS_JOB, { ids: blobIds });
      fx.audit({
        action: "channel.deleted",
        target: { kind: "channel", id: channelId },
        result: "success",
        details: { kind: ch.row.kind, members: members.length, events, files: blobIds.length },
      });
      const c = { tx, after: fx, orgId: p.orgId, channelId, now };
      await tellUsers(c, members, "channel.deleted", { by: p.userId });
      publishMembers(c, [], members);
    });
  } catch (err) {
    if (err instanceof AppError && err.code === "legal_hold") await recordRefusal(deps, p, channelId, (err.details as { matters: string[] }).matters);
    throw err;
  }
}

/**
 * The matters of the active holds that keep this channel's timeline: a hold on the channel, on
 * one of its members, or on someone who sent an event in it (a held user's events are kept
 * wherever they were sent).
 */
async function holdingMatters(tx: Tx, orgId: string, channelId: string): Promise<string[]> {
  const holds = await activeHolds(tx, orgId);
  if (holds.users.size === 0 && holds.channels.size === 0) return [];
  const out = new Set(holds.matters.get(channelId) ?? []);
  if (holds.users.size > 0) {
    const ids = await heldUsersIn(tx, channelId, [...holds.users]);
    for (const id of ids) for (const m of holds.matters.get(id) ?? []) out.add(m);
  }
  return [...out].sort();
}

async function recordRefusal(deps: Deps, p: DeviceActor, channelId: string, matters: string[]): Promise<void> {
  await runCommand(deps, p, "channels.deleteRefused", async (_tx, fx) => {
    fx.audit({ action: "channel.delete.refused", target: { kind: "channel", id: channelId }, result: "denied", details: { reason: "legal_hold", matters } });
  });
}
