/** MLS group routes: thin (the protocol schema validated the input; commands authorize and act). */
import type { mlsRoutes } from "@parley/protocol";
import type { ModuleHandlers } from "../../core/handlers.ts";
import { acceptCommitBundle } from "./accept-commit.ts";
import { getGroupInfo, getWelcome } from "./group-info.ts";
import { resetEncryption } from "./reset.ts";

/** Handlers of the MLS group routes. */
export const mlsHandlers: ModuleHandlers<keyof typeof mlsRoutes> = {
  postCommitBundle: ({ params, body }, { deps, principal }) => acceptCommitBundle(deps, principal, params.channelId, body),
  getGroupInfo: ({ params }, { deps, principal }) => getGroupInfo(deps, principal, params.channelId),
  getWelcome: ({ params }, { deps, principal }) => getWelcome(deps, principal, params.channelId, params.welcomeId),
  resetEncryption: ({ params, body }, { deps, principal }) => resetEncryption(deps, principal, params.channelId, body.reason),
};
