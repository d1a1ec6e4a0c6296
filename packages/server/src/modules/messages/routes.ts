// SCAFFOLD: replaced by the module's real handlers.
import type { ModuleHandlers } from "../../http/register.ts";
import { AppError } from "../../http/errors.ts";
const todo = async (): Promise<never> => { throw new AppError("internal", "not implemented yet"); };
export const messagesHandlers: ModuleHandlers<"sendEvent" | "listEvents" | "getEventByClientId" | "listThreads" | "getThread" | "markRead" | "userStream"> = {
  sendEvent: todo,
  listEvents: todo,
  getEventByClientId: todo,
  listThreads: todo,
  getThread: todo,
  markRead: todo,
  userStream: todo,
};
