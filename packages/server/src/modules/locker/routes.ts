/** Key locker routes: thin — the protocol schemas validated the input; commands authorize and act. */
import type { lockerRoutes } from "@parley/protocol";
import type { ModuleHandlers } from "../../core/handlers.ts";
import { getLocker, getUserIdentity, putLocker } from "./locker.ts";
import { appendLockerEntries, listLockerEntries } from "./entries.ts";

export const lockerHandlers: ModuleHandlers<keyof typeof lockerRoutes> = {
  getLocker: (_i, { deps, principal }) => getLocker(deps, principal),
  putLocker: ({ body }, { deps, principal }) => putLocker(deps, principal, body),
  appendLockerEntries: ({ body }, { deps, principal }) => appendLockerEntries(deps, principal, body.entries),
  listLockerEntries: ({ query }, { deps, principal }) => listLockerEntries(deps, principal, query.after, query.limit),
  getUserIdentity: ({ params }, { deps, principal }) => getUserIdentity(deps, principal, params.id),
};
