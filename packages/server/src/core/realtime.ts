/**
 * Realtime routes: how the gateway turns a bus message into a WebSocket frame
 * and whom it sends it to. Each module declares its own topics (augmenting
 * `BusTopics` in platform/bus/bus.ts) and their routes in its `events.ts`, so a
 * new realtime kind touches its own module; the gateway (gateway/live.ts) only
 * subscribes to every declared route. Routing topics the gateway acts on itself
 * (membership changes, revocations, presence) are not routes.
 */
import type { BusTopics, Topic } from "../platform/bus/bus.ts";

/** Who receives a frame: a channel's sockets (optionally not the acting user's own), one user's (optionally only one device's), or every socket of an org. */
export type Audience = { channelId: string; exceptUserId?: string } | { userId: string; deviceId?: string } | { orgId: string };

export interface RealtimeRoute<T extends Topic = Topic> {
  topic: T;
  audience(msg: BusTopics[T]): Audience;
  /** The frame, as JSON text (serialised once per message, written to every socket). */
  frame(msg: BusTopics[T]): string;
  /**
   * `event` (a channel timeline event) and `user` (a per-user stream item) are ordered by
   * `seq` and deduplicated against replay after a reconnect; `ephemeral` frames (typing,
   * read receipts) are hints, never replayed.
   */
  kind: "event" | "user" | "ephemeral";
  /** The timeline or stream seq (`event` and `user` routes). */
  seq?(msg: BusTopics[T]): number;
  /** Milliseconds since the message's change committed, for the fan-out latency metric. */
  committedAt?(msg: BusTopics[T]): number;
}

/** Declare a route (keeps the message type tied to the topic). */
export function realtimeRoute<T extends Topic>(route: RealtimeRoute<T>): RealtimeRoute<T> {
  return route;
}
