/** Key locker and device approval routes: thin — the protocol schemas validated the input; commands authorize and act. */
import type { approvalRoutes, lockerRoutes } from "@parley/protocol";
import type { ModuleHandlers } from "../../core/handlers.ts";
import { getLocker, getUserIdentity, putLocker } from "./locker.ts";
import { appendLockerEntries, listLockerEntries } from "./entries.ts";
import {
  acceptApprovalRequest,
  createApprovalRequest,
  declineApprovalRequest,
  getApprovalRequest,
  listApprovalRequests,
  revealApprovalKey,
} from "./approval-requests.ts";
import { approveOwnDevice, completeApprovalRequest } from "./device-approvals.ts";

export const lockerHandlers: ModuleHandlers<keyof typeof lockerRoutes> = {
  getLocker: (_i, { deps, principal }) => getLocker(deps, principal),
  putLocker: ({ body }, { deps, principal }) => putLocker(deps, principal, body),
  appendLockerEntries: ({ body }, { deps, principal }) => appendLockerEntries(deps, principal, body.entries),
  listLockerEntries: ({ query }, { deps, principal }) => listLockerEntries(deps, principal, query.after, query.limit),
  getUserIdentity: ({ params }, { deps, principal }) => getUserIdentity(deps, principal, params.id),
};

export const approvalHandlers: ModuleHandlers<keyof typeof approvalRoutes> = {
  createApprovalRequest: ({ body }, { deps, principal }) => createApprovalRequest(deps, principal, body.commitment),
  listApprovalRequests: (_i, { deps, principal }) => listApprovalRequests(deps, principal),
  getApprovalRequest: ({ params }, { deps, principal }) => getApprovalRequest(deps, principal, params.id),
  acceptApprovalRequest: ({ params, body }, { deps, principal }) => acceptApprovalRequest(deps, principal, params.id, body.publicKey),
  revealApprovalKey: ({ params, body }, { deps, principal }) => revealApprovalKey(deps, principal, params.id, body.publicKey),
  completeApprovalRequest: ({ params, body }, { deps, principal }) => completeApprovalRequest(deps, principal, params.id, body),
  declineApprovalRequest: ({ params }, { deps, principal }) => declineApprovalRequest(deps, principal, params.id),
  approveOwnDevice: ({ body }, { deps, principal }) => approveOwnDevice(deps, principal, body),
};
