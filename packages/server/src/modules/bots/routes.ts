/** Bot routes: thin — the protocol schemas already validated the input; commands authorize and act. */
import type { ModuleHandlers } from "../../core/handlers.ts";
import { principalOf } from "../accounts/principal-of.ts";
import * as bots from "./commands.ts";

export const botHandlers: ModuleHandlers<"setBotCommands" | "listBotCommands" | "listChannelCommands"> = {
  setBotCommands: async ({ body }, ctx) => ({ commands: await bots.setBotCommands(ctx.deps, principalOf(ctx), body.commands) }),
  listBotCommands: async (_input, ctx) => ({ commands: await bots.listBotCommands(ctx.deps, principalOf(ctx)) }),
  listChannelCommands: async ({ params }, ctx) => ({ commands: await bots.listChannelCommands(ctx.deps, principalOf(ctx), params.channelId) }),
};
