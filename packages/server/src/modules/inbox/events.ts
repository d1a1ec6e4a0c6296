/**
 * Realtime kind of the inbox: a user's state in a thread changed (follow, unfollow, read) on
 * one device; their other devices get a `thread` frame. New replies need no frame of their
 * own: every member's sockets already receive the reply as a channel `event` (with its
 * `threadRoot` and `mentions`), the same way the channel list's unread counts follow live.
 */
import { realtimeRoute } from "../../core/realtime.ts";

declare module "../../platform/bus/bus.ts" {
  interface BusTopics {
    /** A user's follow state or read position in a thread changed. */
    "thread.state": { orgId: string; userId: string; channelId: string; rootSeq: number; following: boolean; readSeq: number };
  }
}

export const inboxRoutes = [
  realtimeRoute({
    topic: "thread.state",
    kind: "ephemeral",
    // Only the user's own sockets: nobody else learns whom follows what.
    audience: (m) => ({ userId: m.userId }),
    frame: (m) => JSON.stringify({ t: "thread", channelId: m.channelId, rootSeq: m.rootSeq, following: m.following, readSeq: m.readSeq }),
  }),
];
