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
  /** A user's presence changed on some node (gateway/presence.ts: each node recomputes the aggregate). */
  "user.presence": { orgId: string; userId: string; node: string; connectionId: string; status: PresenceStatus };
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
