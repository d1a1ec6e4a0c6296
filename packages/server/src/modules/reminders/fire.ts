/**
 * Firing reminders: a durable job per due time (enqueued with the reminder, platform/jobs). At
 * its time it marks the row fired and appends `reminder.due` to the user's stream in one
 * transaction, so every device — one offline now included — learns it when it syncs. Jobs run
 * at least once (after a crash, a restart or a lost lease they run again): the conditional
 * update in `markFired` makes the append happen exactly once.
 */
import type { Deps } from "../../context.ts";
import type { JobHandler } from "../../platform/jobs/index.ts";
import { runCommand } from "../../command.ts";
import { appendUserStream } from "../streams/user-stream.ts";
import { markFired } from "./store.ts";

export const FIRE_JOB = "reminders.fire";

/** Fire reminder `id` if it is pending and due; a no-op otherwise (snoozed later, dismissed, fired already). */
export async function fireReminder(deps: Deps, id: string): Promise<boolean> {
  return runCommand(deps, null, "reminders.fire", async (tx, fx) => {
    const now = deps.now();
    if (!(await markFired(tx, id, now))) return false;
    const row = await tx.selectFrom("reminders").select(["org_id", "user_id", "due_at"]).where("id", "=", id).executeTakeFirstOrThrow();
    await appendUserStream(tx, fx, { orgId: row.org_id, userId: row.user_id, kind: "reminder.due", data: { reminderId: id, dueAt: Number(row.due_at) }, now });
    return true;
  });
}

export function reminderJobHandlers(deps: Deps): Record<string, JobHandler> {
  return {
    async [FIRE_JOB](payload) {
      await fireReminder(deps, (payload as { id: string }).id);
    },
  };
}
