/** The per-user stream's realtime kind: a persisted stream item, to the user's own sockets. */
import type { UserStreamItem } from "@parley/protocol";
import { realtimeRoute } from "../../core/realtime.ts";

declare module "../../platform/bus/bus.ts" {
  interface BusTopics {
    /** A persisted per-user stream item (streams/user-stream.ts). */
    "user.item": { orgId: string; userId: string; item: UserStreamItem };
  }
}

export const streamsRoutes = [
  realtimeRoute({
    topic: "user.item",
    kind: "user",
    audience: (m) => ({ userId: m.userId }),
    frame: (m) => `{"t":"user","item":${JSON.stringify(m.item)}}`,
    seq: (m) => m.item.seq,
  }),
];
