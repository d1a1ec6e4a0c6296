/** HTTP handlers of reminders: thin — the protocol schemas validated the input; commands authorize and act. */
import type { reminderRoutes } from "@parley/protocol";
import type { ModuleHandlers } from "../../core/handlers.ts";
import { createReminder, deleteReminder, listReminders, updateReminder } from "./reminders.ts";

export const reminderHandlers: ModuleHandlers<keyof typeof reminderRoutes> = {
  createReminder: ({ body }, { deps, principal }) => createReminder(deps, principal, body),
  listReminders: ({ query }, { deps, principal }) => listReminders(deps, principal, query.state),
  updateReminder: ({ params, body }, { deps, principal }) => updateReminder(deps, principal, params.id, body),
  deleteReminder: ({ params }, { deps, principal }) => deleteReminder(deps, principal, params.id),
};
