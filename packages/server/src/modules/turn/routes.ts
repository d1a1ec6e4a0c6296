/** ICE server routes (protocol ice-routes.ts). */
import type { ModuleHandlers } from "../../core/handlers.ts";
import { principalOf } from "../accounts/principal-of.ts";
import { getIceServers } from "./ice-servers.ts";

export const turnHandlers: ModuleHandlers<"getIceServers"> = {
  getIceServers: (_input, ctx) => getIceServers(ctx.deps, principalOf(ctx)),
};
