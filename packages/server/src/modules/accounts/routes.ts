// SCAFFOLD: replaced by the module's real handlers.
import type { ModuleHandlers } from "../../http/register.ts";
import { AppError } from "../../http/errors.ts";
const todo = async (): Promise<never> => { throw new AppError("internal", "not implemented yet"); };
export const accountsHandlers: ModuleHandlers<"login" | "refresh" | "logout" | "jwks" | "me" | "updateMe" | "listSessions" | "revokeSession" | "listDevices" | "renameDevice" | "revokeDevice"> = {
  login: todo,
  refresh: todo,
  logout: todo,
  jwks: todo,
  me: todo,
  updateMe: todo,
  listSessions: todo,
  revokeSession: todo,
  listDevices: todo,
  renameDevice: todo,
  revokeDevice: todo,
};
