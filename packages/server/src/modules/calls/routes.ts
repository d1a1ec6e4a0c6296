/** HTTP handlers of calls: thin — the protocol schemas validated the input; the commands authorize and act. */
import type { callRoutes } from "@parley/protocol";
import type { ModuleHandlers } from "../../core/handlers.ts";
import { adminEndCall, listCalls } from "./admin.ts";
import { getCallPolicy, setCallPolicy } from "./recording.ts";

export const callsHandlers: ModuleHandlers<keyof typeof callRoutes> = {
  listCalls: async ({ query }, { deps, principal }) => ({ calls: await listCalls(deps, principal, query.all === "true") }),
  endCall: ({ params }, { deps, principal }) => adminEndCall(deps, principal, params.callId),
  getCallPolicy: (_input, { deps, principal }) => getCallPolicy(deps, principal),
  setCallPolicy: ({ body }, { deps, principal }) => setCallPolicy(deps, principal, body),
};
