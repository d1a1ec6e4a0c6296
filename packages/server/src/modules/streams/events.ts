/**
 * The per-user stream's realtime kind: a persisted stream item, to the user's own sockets; and a
 * user's changed profile (the public view: no email), to every socket of their org.
 */
import type { User, UserStreamItem } from "@parley/protocol";
import { realtimeRoute } from "../../core/realtime.ts";

declare module "../../platform/bus/bus.ts" {
  interface BusTopics {
    /** A persisted per-user stream item (streams/user-stream.ts). */
    "user.item": { orgId: string; userId: string; item: UserStreamItem };
    /** A user's profile changed (name, status, avatar, title, role, deactivation): their org's view of them. */
    "user.profile": { orgId: string; user: User };
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

export const profileRoutes = [
  realtimeRoute({
    topic: "user.profile",
    // A hint like presence: clients that missed it read the directory again when they reconnect.
    kind: "ephemeral",
    audience: (m) => ({ orgId: m.orgId }),
    frame: (m) => JSON.stringify({ t: "profile", user: m.user }),
  }),
];
