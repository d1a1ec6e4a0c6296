/**
 * The one way to load a channel for a caller: through the principal, so
 * another org's channel is never found, and as the ChannelResource that
 * authorize() decides on.
 */
import type { DeviceActor } from "../../context.ts";
import { authorize, channelResourceOf, type ChannelResource } from "../access/authorize.ts";
import type { ChannelAction } from "../access/permissions.ts";
import { AppError } from "../../core/errors.ts";
import { findChannel, findMembership, type ChannelRow, type MembershipRow, type Q } from "./store.ts";

export interface LoadedChannel {
  row: ChannelRow;
  membership: MembershipRow | undefined;
  resource: ChannelResource;
}

/** Load `channelId` as seen by `p`; 404 when it is missing or of another org. */
export async function loadChannel(q: Q, p: DeviceActor, channelId: string): Promise<LoadedChannel> {
  const row = await findChannel(q, p.orgId, channelId);
  if (!row) throw new AppError("not_found", "channel not found");
  const membership = await findMembership(q, channelId, p.userId);
  return {
    row,
    membership,
    resource: channelResourceOf(row, membership?.role ?? null),
  };
}

/** Load and authorize in one step (the common case for routes and commands). */
export async function channelFor(q: Q, p: DeviceActor, channelId: string, action: ChannelAction): Promise<LoadedChannel> {
  const ch = await loadChannel(q, p, channelId);
  authorize(p, action, { type: "channel", channel: ch.resource });
  return ch;
}
