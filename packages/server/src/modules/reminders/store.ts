/** SQL of reminders: one row per reminder, the caller's own only (every lookup names org and user). */
import type { Selectable } from "kysely";
import type { Reminder } from "@parley/protocol";
import type { Db, Tx } from "../../platform/db/index.ts";
import type { RemindersTable } from "../../platform/db/personal-tables.ts";

type Q = Db | Tx;
export type ReminderRow = Selectable<RemindersTable>;

export function findReminder(q: Q, orgId: string, userId: string, id: string): Promise<ReminderRow | undefined> {
  return q.selectFrom("reminders").selectAll().where("id", "=", id).where("org_id", "=", orgId).where("user_id", "=", userId).executeTakeFirst();
}

export async function countPending(q: Q, userId: string): Promise<number> {
  const row = await q
    .selectFrom("reminders")
    .select((eb) => eb.fn.countAll().as("n"))
    .where("user_id", "=", userId)
    .where("state", "=", "pending")
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

export function listReminderRows(q: Q, orgId: string, userId: string, state: string | undefined): Promise<ReminderRow[]> {
  let query = q.selectFrom("reminders").selectAll().where("org_id", "=", orgId).where("user_id", "=", userId);
  if (state) query = query.where("state", "=", state);
  return query.orderBy("due_at").orderBy("id").execute();
}

/**
 * Mark a reminder fired if it is still pending and due by `now`. The condition is in the UPDATE
 * itself, so of two runs at once (two jobs for a snoozed reminder, or a job run again after a
 * lost lease) exactly one changes the row; returns whether this one did.
 */
export async function markFired(tx: Tx, id: string, now: number): Promise<boolean> {
  const res = await tx
    .updateTable("reminders")
    .set({ state: "fired", fired_at: now })
    .where("id", "=", id)
    .where("state", "=", "pending")
    .where("due_at", "<=", now)
    .executeTakeFirst();
  return Number(res.numUpdatedRows) > 0;
}

export function toReminder(r: ReminderRow): Reminder {
  return {
    id: r.id,
    dueAt: Number(r.due_at),
    state: r.state as Reminder["state"],
    createdAt: Number(r.created_at),
    firedAt: r.fired_at === null ? null : Number(r.fired_at),
  };
}
