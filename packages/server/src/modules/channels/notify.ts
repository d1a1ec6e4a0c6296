/**
 * Who hears about a membership or channel change, and how: per-user stream
 * items written in the same transaction, and a "channel.members" bus message
 * (after commit) so gateways update their channel -> connections index.
 */
import type { UserStreamKind } from "@parley/protocol";
import type { Tx } from "../../platform/db/index.ts";
import type { AfterCommit } from "../../command.ts";
import { appendUserStream } from "../streams/user-stream.ts";
import type { Channel } from "@parley/protocol";

export interface NotifyCtx {
  tx: Tx;
  after: AfterCommit;
  orgId: string;
  channelId: string;
  now: number;
}

/** Append the same item to each user's stream. */
export async function tellUsers(c: NotifyCtx, userIds: Iterable<string>, kind: UserStreamKind, data: Record<string, unknown>): Promise<void> {
  for (const userId of userIds) {
    await appendUserStream(c.tx, c.after, { orgId: c.orgId, userId, kind, channelId: c.channelId, data, now: c.now });
  }
}

/** Membership changed: announce it on the bus once committed. */
export function publishMembers(c: NotifyCtx, added: string[], removed: string[]): void {
  if (added.length === 0 && removed.length === 0) return;
  c.after.publish("channel.members", { orgId: c.orgId, channelId: c.channelId, added, removed });
}

/** Channel metadata as carried in stream items (names and ids only). */
export function channelData(ch: Channel): Record<string, unknown> {
  return { channel: ch };
}
