/**
 * The bus seam: how a committed change reaches every gateway node. The
 * in-process implementation serves one node; NATS (scale-out issue) serves N.
 * Messages are published only after the transaction that made them commits.
 */
import type { PresenceStatus } from "@parley/protocol";

/**
 * Topics and their payloads. Platform and gateway topics are here; each module
 * declares its own in its `events.ts` (by augmenting this interface), with the
 * realtime routes that turn them into frames (core/realtime.ts).
 */
export interface BusTopics {
  /** A user's aggregate over one node's connections changed (gateway/presence.ts: every node aggregates the nodes). */
  "user.presence": { orgId: string; userId: string; node: string; status: PresenceStatus };
  /**
   * Every few seconds, each node's whole presence contribution ([orgId, userId, status]); a node not heard of expires.
   * A large contribution goes in `parts` messages of one `beat` (each far below NATS's 1 MiB payload limit); a message
   * without them is a whole beat (nodes before the split).
   */
  "presence.heartbeat": { node: string; users: Array<[string, string, "online" | "away"]>; beat?: number; part?: number; parts?: number };
  /** A durable job was committed (platform/jobs): job runners claim now instead of at their next poll. */
  "jobs.enqueued": { name: string };
}
export type Topic = keyof BusTopics;

/**
 * Whom a message is for, which decides which nodes receive it (docs/architecture.md, "Bus
 * subjects"): one channel's, one user's or one org's connections, or every node (`all`).
 * On NATS it is the middle of the subject, `parley.<key>.<topic>`; a node receives a keyed
 * message only while it has declared {@link Bus.interest} in the key.
 */
export type BusKey = `c.${string}` | `u.${string}` | `o.${string}` | "all";
export const channelKey = (channelId: string): BusKey => `c.${channelId}`;
export const userKey = (userId: string): BusKey => `u.${userId}`;
export const orgKey = (orgId: string): BusKey => `o.${orgId}`;

/** The key of each message of a topic (each module declares its topics' keys in its events.ts). */
export type BusKeys<T extends Topic> = { [K in T]: (msg: BusTopics[K]) => BusKey };
/** The key of any message (core/bus-keys.ts composes it from every module's declarations). */
export type KeyOf = (topic: Topic, msg: unknown) => BusKey;

/** Keys of the platform's own topics. */
export const platformKeys: BusKeys<"user.presence" | "presence.heartbeat" | "jobs.enqueued"> = {
  // Every node keeps every node's presence contributions (gateway/presence.ts): node-wide, per
  // connection change and heartbeat, never per message.
  "user.presence": () => "all",
  "presence.heartbeat": () => "all",
  // Any node may run the job: a nudge to every node (the job itself is a database row claimed once).
  "jobs.enqueued": () => "all",
};

export interface Bus {
  /** Publish to the nodes interested in the message's key (see {@link BusKey}); this node's own subscribers included. */
  publish<T extends Topic>(topic: T, msg: BusTopics[T]): void;
  /**
   * Receive a topic's messages. `scoped` (what the gateway uses): only those whose key this node
   * declared {@link interest} in, or keyed `all`. Without it, every message of the topic from every
   * node (a tap for tests and node-wide topics: on NATS it is a broadcast, so never for per-message
   * traffic in production code).
   */
  subscribe<T extends Topic>(topic: T, handler: (msg: BusTopics[T]) => void, opts?: { scoped?: boolean }): () => void;
  /**
   * Called each time the bus is back after a disconnect: messages other nodes published
   * meanwhile never reached this node (the gateway makes its clients reconnect and replay from
   * their cursors). The in-process bus never disconnects and may leave it out.
   */
  onReconnect?(listener: () => void): () => void;
  /**
   * Resolves once the subscriptions asked for so far are in effect (NATS: a round trip to the
   * server), so a read made afterwards cannot miss a message published in between. The
   * in-process bus's subscriptions take effect at once and may leave it out.
   */
  flush?(): Promise<void>;
  /**
   * Declare (`on`) or withdraw this node's interest in a key, counted: the gateway's registry
   * declares one for each channel, user and org it has connections for while it has any.
   */
  interest(key: BusKey, on: boolean): void;
  /** Whether the bus is reachable (for /readyz). */
  ready(): boolean;
  close(): Promise<void>;
}
