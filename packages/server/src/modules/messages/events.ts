/** Realtime kinds of the messages module: typing notices and read receipts (ephemeral). */
import { realtimeRoute } from "../../core/realtime.ts";

declare module "../../platform/bus/bus.ts" {
  interface BusTopics {
    /** Ephemeral typing notice (published by the gateway when a client types). */
    "channel.typing": { orgId: string; channelId: string; userId: string; threadRoot: number | null };
    /** A member's read receipt moved. */
    "channel.read": { orgId: string; channelId: string; userId: string; seq: number };
  }
}

export const messagesRoutes = [
  realtimeRoute({
    topic: "channel.typing",
    kind: "ephemeral",
    // Not echoed to the typist's own sockets.
    audience: (m) => ({ channelId: m.channelId, exceptUserId: m.userId }),
    frame: (m) => JSON.stringify({ t: "typing", channelId: m.channelId, userId: m.userId, threadRoot: m.threadRoot }),
  }),
  realtimeRoute({
    topic: "channel.read",
    kind: "ephemeral",
    // Everyone in the channel, the reader's other devices included (their unread counts follow).
    audience: (m) => ({ channelId: m.channelId }),
    frame: (m) => JSON.stringify({ t: "read", channelId: m.channelId, userId: m.userId, seq: m.seq }),
  }),
];
