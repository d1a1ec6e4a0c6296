import type { fileRoutes } from "@parley/protocol";
import type { ModuleHandlers } from "../../http/register.ts";

/** Handlers of the encrypted file routes. */
export const filesHandlers: ModuleHandlers<keyof typeof fileRoutes> = {};
