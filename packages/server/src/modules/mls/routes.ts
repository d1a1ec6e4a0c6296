import type { mlsRoutes } from "@parley/protocol";
import type { ModuleHandlers } from "../../http/register.ts";

/** Handlers of the MLS group routes. */
export const mlsHandlers: ModuleHandlers<keyof typeof mlsRoutes> = {};
