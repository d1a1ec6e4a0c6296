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

type EventRef = [orgId: string, channelId: string, seq: number];

/** A channel event in the bus outbox is a reference to its `events` row, not a second copy of its ciphertext. */
export const channelEventOutbox: OutboxCodec<"channel.event"> = {
  compact: (m): EventRef => [m.orgId, m.event.channelId, m.event.seq],
  async expand(db: Db, refs: unknown[]) {
    const list = refs as EventRef[];
    const rows =
      list.length === 0
        ? []
        : await db
            .selectFrom("events")
            .selectAll()
            .where((eb) => eb.or(list.map(([, channelId, seq]) => eb.and([eb("channel_id", "=", channelId), eb("seq", "=", seq)]))))
            .execute();
    const byKey = new Map(rows.map((r) => [`${r.channel_id}\n${Number(r.seq)}`, r]));
    return list.map(([orgId, channelId, seq]) => {
      const row = byKey.get(`${channelId}\n${seq}`);
      return row ? { orgId, event: toEvent(row) } : undefined;
    });
  },
};
