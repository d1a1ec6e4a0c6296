/**
 * Pinned messages (issue 13): members who may post pin and unpin a channel's messages; every
 * member hears of it on their stream ("channel.pins") and lists the pins with listPins. The
 * server keeps references only — clients decrypt the pinned messages from their own history.
 * A message that is deleted loses its pin (unpinDeleted, called by the event writer).
 */
import { MAX_PINS_PER_CHANNEL, type Pin } from "@parley/protocol";
import type { Deps, DeviceActor } from "../../context.ts";
import type { Tx } from "../../platform/db/index.ts";
import { isUniqueViolation } from "../../platform/db/index.ts";
import type { AfterCommit } from "../../command.ts";
import { runCommand } from "../../command.ts";
import { AppError } from "../../core/errors.ts";
import { channelFor } from "./access.ts";
import { tellUsers } from "./notify.ts";
import { lockChannelRow, memberIds } from "./store.ts";
import { countPins, deletePins, findPin, insertPin, pinRows, pinTarget, toPin } from "./pin-store.ts";

const invalid = (seq: number, reason: "missing" | "not_a_message" | "deleted") =>
  new AppError("pin_target_invalid", reason === "missing" ? `no message ${seq} in this channel` : `message ${seq} cannot be pinned (${reason})`, {
    seq,
    reason,
  });

/** The channel's pins, newest first (members; anyone who may read a public channel). */
export async function listPins(deps: Deps, p: DeviceActor, channelId: string): Promise<Pin[]> {
  await channelFor(deps.db, p, channelId, "channel.read");
  return (await pinRows(deps.db, channelId, MAX_PINS_PER_CHANNEL)).map(toPin);
}

/** Pin message `seq`; pinning it again returns the existing pin and tells nobody. */
export async function pinMessage(deps: Deps, p: DeviceActor, channelId: string, seq: number): Promise<Pin> {
  await channelFor(deps.db, p, channelId, "channel.post");
  const now = deps.now();
  try {
    return await runCommand(deps, p, "channels.pinMessage", async (tx, fx) => {
      // Sends take the channel row too: a delete of this message commits before or after the pin, never beside it.
      await lockChannelRow(tx, channelId);
      const existing = await findPin(tx, channelId, seq);
      if (existing) return toPin(existing);
      const target = await pinTarget(tx, channelId, seq);
      if (!target) throw invalid(seq, "missing");
      if (target.kind !== "message") throw invalid(seq, "not_a_message");
      if (target.deleted) throw invalid(seq, "deleted");
      if ((await countPins(tx, channelId)) >= MAX_PINS_PER_CHANNEL)
        throw new AppError("pin_limit", `a channel holds at most ${MAX_PINS_PER_CHANNEL} pins: unpin one first`, { limit: MAX_PINS_PER_CHANNEL });
      const row = { channel_id: channelId, seq, org_id: p.orgId, pinned_by: p.userId, pinned_at: now };
      await insertPin(tx, row);
      fx.audit({ action: "channel.pin.added", target: { kind: "channel", id: channelId }, result: "success", details: { seq } });
      await announce(tx, fx, p.orgId, channelId, { seq, pinned: true, by: p.userId, at: now });
      return toPin(row);
    });
  } catch (err) {
    // The same message pinned by someone else at the same moment: theirs is the pin.
    const raced = isUniqueViolation(err) ? await findPin(deps.db, channelId, seq) : undefined;
    if (raced) return toPin(raced);
    throw err;
  }
}

/** Unpin message `seq`; unpinning what is not pinned changes nothing. */
export async function unpinMessage(deps: Deps, p: DeviceActor, channelId: string, seq: number): Promise<void> {
  await channelFor(deps.db, p, channelId, "channel.post");
  const now = deps.now();
  await runCommand(deps, p, "channels.unpinMessage", async (tx, fx) => {
    const removed = await deletePins(tx, channelId, [seq]);
    if (removed.length === 0) return;
    fx.audit({ action: "channel.pin.removed", target: { kind: "channel", id: channelId }, result: "success", details: { seq } });
    await announce(tx, fx, p.orgId, channelId, { seq, pinned: false, by: p.userId, at: now });
  });
}

/**
 * Drop the pins of messages deleted in this transaction (the event writer's delete path) and
 * tell the members; `by` is who deleted the message. No audit entry: the delete event is the record.
 */
export async function unpinDeleted(
  tx: Tx,
  after: AfterCommit,
  a: { orgId: string; channelId: string; seqs: number[]; by: string; now: number },
): Promise<void> {
  for (const seq of await deletePins(tx, a.channelId, a.seqs)) await announce(tx, after, a.orgId, a.channelId, { seq, pinned: false, by: a.by, at: a.now });
}

async function announce(tx: Tx, after: AfterCommit, orgId: string, channelId: string, data: { seq: number; pinned: boolean; by: string; at: number }) {
  await tellUsers({ tx, after, orgId, channelId, now: data.at }, await memberIds(tx, channelId), "channel.pins", data);
}
