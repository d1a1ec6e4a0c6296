// SCAFFOLD: replaced by the module's real handlers.
import type { ModuleHandlers } from "../../http/register.ts";
import { AppError } from "../../http/errors.ts";
const todo = async (): Promise<never> => { throw new AppError("internal", "not implemented yet"); };
export const orgsHandlers: ModuleHandlers<"setupStatus" | "setup" | "createInvite" | "listInvites" | "revokeInvite" | "peekInvite" | "acceptInvite" | "listUsers" | "getUser" | "setUserRole" | "deactivateUser" | "reactivateUser" | "listUserDevices" | "adminRevokeDevice"> = {
  setupStatus: todo,
  setup: todo,
  createInvite: todo,
  listInvites: todo,
  revokeInvite: todo,
  peekInvite: todo,
  acceptInvite: todo,
  listUsers: todo,
  getUser: todo,
  setUserRole: todo,
  deactivateUser: todo,
  reactivateUser: todo,
  listUserDevices: todo,
  adminRevokeDevice: todo,
};
