/** The timeline's realtime kind: a persisted channel event, to every socket of the channel. */
import type { Event } from "@parley/protocol";
import { realtimeRoute } from "../../core/realtime.ts";

declare module "../../platform/bus/bus.ts" {
  interface BusTopics {
    /** A persisted channel event (timeline/append.ts); `orgId` scopes it. */
    "channel.event": { orgId: string; event: Event };
  }
}

export const timelineRoutes = [
  realtimeRoute({
    topic: "channel.event", kind: "event",
    audience: (m) => ({ channelId: m.event.channelId }),
    frame: (m) => `{"t":"event","event":${JSON.stringify(m.event)}}`,
    seq: (m) => m.event.seq,
    committedAt: (m) => m.event.createdAt,
  }),
];
