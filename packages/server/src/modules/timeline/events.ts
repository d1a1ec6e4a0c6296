/** The timeline's realtime kind: a persisted channel event, to every socket of the channel. */
import type { Event } from "@parley/protocol";
import { realtimeRoute } from "../../core/realtime.ts";
import type { OutboxCodec } from "../../platform/bus/outbox.ts";
import type { Db } from "../../platform/db/index.ts";
import { toEvent } from "../messages/store.ts";

declare module "../../platform/bus/bus.ts" {
  interface BusTopics {
    /** A persisted channel event (timeline/append.ts); `orgId` scopes it. */
    "channel.event": { orgId: string; event: Event };
  }
}

export const timelineRoutes = [
  realtimeRoute({
    topic: "channel.event",
    kind: "event",
    audience: (m) => ({ channelId: m.event.channelId }),
    frame: (m) => `{"t":"event","event":${JSON.stringify(m.event)}}`,
    seq: (m) => m.event.seq,
    committedAt: (m) => m.event.createdAt,
  }),
];

/** A run of one channel's events: seqs `from`..`to` (a row written before runs were folded has no `to`). */
type EventRef = [orgId: string, channelId: string, from: number, to?: number];

/**
 * A channel event in the bus outbox is a reference to its `events` row, not a second copy of its
 * ciphertext; consecutive events of one channel (a batch of sends) fold into one reference.
 */
export const channelEventOutbox: OutboxCodec<"channel.event"> = {
  compact: (m): EventRef => [m.orgId, m.event.channelId, m.event.seq, m.event.seq],
  extend(ref, m): EventRef | undefined {
    const [orgId, channelId, from, to] = ref as EventRef;
    return orgId === m.orgId && channelId === m.event.channelId && m.event.seq === (to ?? from) + 1 ? [orgId, channelId, from, m.event.seq] : undefined;
  },
  async expand(db: Db, refs: unknown[]) {
    const list = (refs as EventRef[]).map(([orgId, channelId, from, to]) => ({ orgId, channelId, from, to: to ?? from }));
    const rows =
      list.length === 0
        ? []
        : await db
            .selectFrom("events")
            .selectAll()
            .where((eb) => eb.or(list.map((r) => eb.and([eb("channel_id", "=", r.channelId), eb("seq", ">=", r.from), eb("seq", "<=", r.to)]))))
            .orderBy("seq")
            .execute();
    const byChannel = new Map<string, typeof rows>();
    for (const row of rows) {
      const of = byChannel.get(row.channel_id);
      if (of) of.push(row);
      else byChannel.set(row.channel_id, [row]);
    }
    return list.map((r) =>
      (byChannel.get(r.channelId) ?? [])
        .filter((row) => Number(row.seq) >= r.from && Number(row.seq) <= r.to)
        .map((row) => ({ orgId: r.orgId, event: toEvent(row) })),
    );
  },
};
