/** Channel routes: thin — the protocol schemas already validated the input; commands authorize and act. */
import type { ModuleHandlers } from "../../core/handlers.ts";
import { principalOf } from "../accounts/principal-of.ts";
import * as channels from "./commands.ts";
import * as pins from "./pins.ts";
import { deleteChannel } from "./delete.ts";

export const channelsHandlers: ModuleHandlers<
  | "createChannel"
  | "openDm"
  | "listChannels"
  | "browseChannels"
  | "getChannel"
  | "updateChannel"
  | "archiveChannel"
  | "unarchiveChannel"
  | "joinChannel"
  | "leaveChannel"
  | "listMembers"
  | "addMembers"
  | "removeMember"
  | "setMemberRole"
  | "listPins"
  | "pinMessage"
  | "unpinMessage"
  | "deleteChannel"
> = {
  createChannel: ({ body }, ctx) => channels.createChannel(ctx.deps, principalOf(ctx), body),
  openDm: ({ body }, ctx) => channels.openDm(ctx.deps, principalOf(ctx), body.userIds),
  listChannels: async (_in, ctx) => ({ channels: await channels.listMyChannels(ctx.deps.db, principalOf(ctx)) }),
  browseChannels: ({ query }, ctx) =>
    channels.browseChannels(ctx.deps, principalOf(ctx), {
      q: query.q,
      includeArchived: query.includeArchived === "true",
      limit: query.limit,
      offset: query.offset,
    }),
  getChannel: ({ params }, ctx) => channels.getChannel(ctx.deps, principalOf(ctx), params.channelId),
  updateChannel: ({ params, body }, ctx) => channels.updateChannel(ctx.deps, principalOf(ctx), params.channelId, body),
  archiveChannel: ({ params }, ctx) => channels.archiveChannel(ctx.deps, principalOf(ctx), params.channelId),
  unarchiveChannel: ({ params }, ctx) => channels.unarchiveChannel(ctx.deps, principalOf(ctx), params.channelId),
  joinChannel: ({ params }, ctx) => channels.joinChannel(ctx.deps, principalOf(ctx), params.channelId),
  leaveChannel: ({ params }, ctx) => channels.leaveChannel(ctx.deps, principalOf(ctx), params.channelId),
  listMembers: async ({ params }, ctx) => ({ members: await channels.listMembers(ctx.deps, principalOf(ctx), params.channelId) }),
  addMembers: ({ params, body }, ctx) => channels.addMembers(ctx.deps, principalOf(ctx), params.channelId, body.userIds),
  removeMember: ({ params }, ctx) => channels.removeMember(ctx.deps, principalOf(ctx), params.channelId, params.userId),
  setMemberRole: ({ params, body }, ctx) => channels.setMemberRole(ctx.deps, principalOf(ctx), params.channelId, params.userId, body.role),
  listPins: async ({ params }, ctx) => ({ pins: await pins.listPins(ctx.deps, principalOf(ctx), params.channelId) }),
  pinMessage: ({ params }, ctx) => pins.pinMessage(ctx.deps, principalOf(ctx), params.channelId, params.seq),
  unpinMessage: ({ params }, ctx) => pins.unpinMessage(ctx.deps, principalOf(ctx), params.channelId, params.seq),
  deleteChannel: ({ params }, ctx) => deleteChannel(ctx.deps, principalOf(ctx), params.channelId),
};
