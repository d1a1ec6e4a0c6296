/** Inbox routes: thin — the protocol schemas already validated the input; commands authorize and act. */
import type { ModuleHandlers } from "../../core/handlers.ts";
import { principalOf } from "../accounts/principal-of.ts";
import * as inbox from "./commands.ts";

export const inboxHandlers: ModuleHandlers<
  "listMentions" | "listInboxThreads" | "getThreadState" | "followThread" | "unfollowThread" | "markThreadRead" | "markUnread"
> = {
  listMentions: ({ query }, ctx) => inbox.listMentions(ctx.deps, principalOf(ctx), query),
  listInboxThreads: ({ query }, ctx) => inbox.listFollowedThreads(ctx.deps, principalOf(ctx), query),
  getThreadState: ({ params }, ctx) => inbox.threadState(ctx.deps, principalOf(ctx), params.channelId, params.rootSeq),
  followThread: ({ params }, ctx) => inbox.followThread(ctx.deps, principalOf(ctx), params.channelId, params.rootSeq),
  unfollowThread: ({ params }, ctx) => inbox.unfollowThread(ctx.deps, principalOf(ctx), params.channelId, params.rootSeq),
  markThreadRead: ({ params, body }, ctx) => inbox.markThreadRead(ctx.deps, principalOf(ctx), params.channelId, params.rootSeq, body.seq),
  markUnread: async ({ params, body }, ctx) => ({ readSeq: await inbox.markUnread(ctx.deps, principalOf(ctx), params.channelId, body.seq) }),
};
