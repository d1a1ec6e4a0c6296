/** SQL of pinned messages (migration 0032): references by (channel, seq), never content. */
import type { Pin } from "@parley/protocol";
import type { Tx } from "../../platform/db/index.ts";
import type { ChannelPinsTable } from "../../platform/db/tables.ts";
import type { Q } from "./store.ts";

export function toPin(r: ChannelPinsTable): Pin {
  return { channelId: r.channel_id, seq: Number(r.seq), pinnedBy: r.pinned_by, pinnedAt: Number(r.pinned_at) };
}

/** A channel's pins, newest first (`limit` bounds the read; the command bounds how many exist). */
export async function pinRows(q: Q, channelId: string, limit: number): Promise<ChannelPinsTable[]> {
  return q
    .selectFrom("channel_pins")
    .selectAll()
    .where("channel_id", "=", channelId)
    .orderBy("pinned_at", "desc")
    .orderBy("seq", "desc")
    .limit(limit)
    .execute();
}

export async function findPin(q: Q, channelId: string, seq: number): Promise<ChannelPinsTable | undefined> {
  return q.selectFrom("channel_pins").selectAll().where("channel_id", "=", channelId).where("seq", "=", seq).executeTakeFirst();
}

export async function countPins(q: Q, channelId: string): Promise<number> {
  const r = await q
    .selectFrom("channel_pins")
    .select((eb) => eb.fn.countAll<number>().as("n"))
    .where("channel_id", "=", channelId)
    .executeTakeFirstOrThrow();
  return Number(r.n);
}

export async function insertPin(tx: Tx, row: ChannelPinsTable): Promise<void> {
  await tx.insertInto("channel_pins").values(row).execute();
}

/** Remove the pins of these seqs; returns the seqs that were pinned. */
export async function deletePins(tx: Tx, channelId: string, seqs: readonly number[]): Promise<number[]> {
  if (seqs.length === 0) return [];
  const rows = await tx
    .deleteFrom("channel_pins")
    .where("channel_id", "=", channelId)
    .where("seq", "in", [...seqs])
    .returning("seq")
    .execute();
  return rows.map((r) => Number(r.seq));
}

/** Remove the pins of messages below a channel's retention floor (their events are gone). */
export async function deletePinsBelow(tx: Tx, channelId: string, floor: number): Promise<void> {
  await tx.deleteFrom("channel_pins").where("channel_id", "=", channelId).where("seq", "<", floor).execute();
}

/** What a pin would point at: the event's kind, and whether a later delete event targets it. */
export async function pinTarget(q: Q, channelId: string, seq: number): Promise<{ kind: string; deleted: boolean } | undefined> {
  const ev = await q.selectFrom("events").select("kind").where("channel_id", "=", channelId).where("seq", "=", seq).executeTakeFirst();
  if (!ev) return undefined;
  // A delete always comes after its target: the range on the primary key (channel_id, seq) bounds the walk.
  const del = await q
    .selectFrom("events")
    .select("seq")
    .where("channel_id", "=", channelId)
    .where("seq", ">", seq)
    .where("kind", "=", "delete")
    .where("target", "=", seq)
    .executeTakeFirst();
  return { kind: ev.kind, deleted: del !== undefined };
}
