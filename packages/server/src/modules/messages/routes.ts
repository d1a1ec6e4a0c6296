/** Event routes: thin — the protocol schemas already validated the input; commands authorize and act. */
import type { ModuleHandlers } from "../../core/handlers.ts";
import { principalOf } from "../accounts/principal-of.ts";
import { listUserStream } from "../streams/user-stream.ts";
import * as messages from "./commands.ts";
import { getEditPolicy, setEditPolicy } from "./edit-policy.ts";

export const messagesHandlers: ModuleHandlers<
  "sendEvent" | "listEvents" | "getEventByClientId" | "listThreads" | "getThread" | "markRead" | "userStream" | "getEditPolicy" | "setEditPolicy"
> = {
  sendEvent: ({ params, body }, ctx) => messages.sendEvent(ctx.deps, principalOf(ctx), params.channelId, body),
  listEvents: ({ params, query }, ctx) => messages.listEvents(ctx.deps, principalOf(ctx), params.channelId, query),
  getEventByClientId: ({ params }, ctx) => messages.getEventByClientId(ctx.deps, principalOf(ctx), params.channelId, params.clientId),
  listThreads: async ({ params, query }, ctx) => ({ threads: await messages.listThreads(ctx.deps, principalOf(ctx), params.channelId, query.limit) }),
  getThread: ({ params, query }, ctx) => messages.getThread(ctx.deps, principalOf(ctx), params.channelId, params.rootSeq, query),
  markRead: async ({ params, body }, ctx) => ({ readSeq: await messages.markRead(ctx.deps, principalOf(ctx), params.channelId, body.seq) }),
  userStream: ({ query }, ctx) => listUserStream(ctx.deps.db, principalOf(ctx).userId, query.after, query.limit),
  getEditPolicy: (_input, ctx) => getEditPolicy(ctx.deps, principalOf(ctx)),
  setEditPolicy: ({ body }, ctx) => setEditPolicy(ctx.deps, principalOf(ctx), body),
};
