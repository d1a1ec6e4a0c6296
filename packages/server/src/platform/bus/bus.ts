/**
 * The bus seam: how a committed change reaches every gateway node. The
 * in-process implementation serves one node; NATS (scale-out issue) serves N.
 * Messages are published only after the transaction that made them commits.
 */
import type { Event, UserStreamItem, PresenceStatus } from "@parley/protocol";

/** Topics and their payloads. */
export interface BusTopics {
  /** A persisted channel event; `orgId` scopes it. */
  "channel.event": { orgId: string; event: Event };
  /** A persisted per-user stream item. */
  "user.item": { orgId: string; userId: string; item: UserStreamItem };
  /** Ephemeral typing notice. */
  "channel.typing": { orgId: string; channelId: string; userId: string; threadRoot: number | null };
  /** A member's read receipt moved. */
  "channel.read": { orgId: string; channelId: string; userId: string; seq: number };
  /** A user's presence changed on some node (aggregate recomputed by each node). */
  "user.presence": { orgId: string; userId: string; node: string; connectionId: string; status: PresenceStatus };
  /** Membership changed: gateways update their channel->connections index. */
  "channel.members": { orgId: string; channelId: string; added: string[]; removed: string[] };
  /** Sessions ended (logout, revoke, deactivate): gateways close matching sockets. */
  "auth.revoked": { orgId: string; userId: string; sessionIds?: string[]; deviceIds?: string[]; all?: boolean };
  /** A durable job was committed (platform/jobs): job runners claim now instead of at their next poll. */
  "jobs.enqueued": { name: string };
}
export type Topic = keyof BusTopics;

export interface Bus {
  publish<T extends Topic>(topic: T, msg: BusTopics[T]): void;
  subscribe<T extends Topic>(topic: T, handler: (msg: BusTopics[T]) => void): () => void;
  /** Whether the bus is reachable (for /readyz). */
  ready(): boolean;
  close(): Promise<void>;
}
