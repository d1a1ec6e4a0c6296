// SCAFFOLD: replaced by the module's real handlers.
import type { ModuleHandlers } from "../../http/register.ts";
import { AppError } from "../../http/errors.ts";
const todo = async (): Promise<never> => { throw new AppError("internal", "not implemented yet"); };
export const channelsHandlers: ModuleHandlers<"createChannel" | "openDm" | "listChannels" | "browseChannels" | "getChannel" | "updateChannel" | "archiveChannel" | "unarchiveChannel" | "joinChannel" | "leaveChannel" | "listMembers" | "addMembers" | "removeMember" | "setMemberRole"> = {
  createChannel: todo,
  openDm: todo,
  listChannels: todo,
  browseChannels: todo,
  getChannel: todo,
  updateChannel: todo,
  archiveChannel: todo,
  unarchiveChannel: todo,
  joinChannel: todo,
  leaveChannel: todo,
  listMembers: todo,
  addMembers: todo,
  removeMember: todo,
  setMemberRole: todo,
};
