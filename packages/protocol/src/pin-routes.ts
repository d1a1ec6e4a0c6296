/**
 * Pinned messages and channel deletion (issue 13). A pin is a reference — channel, seq, who
 * pinned it and when — never content: clients decrypt the pinned message from their own
 * history. Part of the route table in routes.ts.
 */
import { z } from "zod";
import { route } from "./route.ts";
import { Id, Seq, Timestamp } from "./models.ts";

/** Most pins one channel holds; pinning past it fails with `pin_limit`. */
export const MAX_PINS_PER_CHANNEL = 100;

/** One pinned message of a channel: a reference to its event by seq. */
export const Pin = z.object({
  channelId: Id,
  /** The pinned message's seq in the channel. */
  seq: Seq,
  /** The user who pinned it. */
  pinnedBy: Id,
  pinnedAt: Timestamp,
});
/** One pinned message of a channel. */
export type Pin = z.infer<typeof Pin>;

const ChannelParams = z.object({ channelId: Id });
const PinParams = z.object({ channelId: Id, seq: z.coerce.number().int().min(1) });

/** Pin routes and channel deletion. */
export const pinRoutes = {
  listPins: route({
    method: "GET",
    path: "/channels/:channelId/pins",
    tag: "channels",
    auth: "user",
    summary: "A channel's pinned messages (references only), newest pin first; at most MAX_PINS_PER_CHANNEL",
    params: ChannelParams,
    response: z.object({ pins: z.array(Pin) }),
  }),
  pinMessage: route({
    method: "PUT",
    path: "/channels/:channelId/pins/:seq",
    tag: "channels",
    auth: "user",
    summary: "Pin a message (members who may post); pinning a pinned message returns the existing pin",
    params: PinParams,
    response: Pin,
    errors: ["pin_target_invalid", "pin_limit", "channel_archived"],
  }),
  unpinMessage: route({
    method: "DELETE",
    path: "/channels/:channelId/pins/:seq",
    tag: "channels",
    auth: "user",
    summary: "Unpin a message (members who may post); unpinning what is not pinned is a no-op",
    params: PinParams,
    response: null,
    errors: ["channel_archived"],
  }),
  deleteChannel: route({
    method: "DELETE",
    path: "/channels/:channelId",
    tag: "channels",
    auth: "user",
    summary: "Delete a channel for good: its events, members, pins, files and MLS group (channel admins, org admins; not DMs)",
    params: ChannelParams,
    response: null,
    errors: ["legal_hold"],
  }),
} as const;
