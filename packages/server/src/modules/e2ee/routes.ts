import type { e2eeRoutes } from "@parley/protocol";
import type { ModuleHandlers } from "../../http/register.ts";

/** Handlers of the E2EE routes (thin: validate, authorize, call a command). */
export const e2eeHandlers: ModuleHandlers<keyof typeof e2eeRoutes> = {};
