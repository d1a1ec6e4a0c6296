/**
 * Reminders (issue 13, `/remind`): the server knows when, never what. A reminder row carries its
 * due time and state; its text and the message it points at are sealed by the device into the
 * personal store (kind "reminder") under the row's id. Setting or moving a reminder enqueues a
 * durable job for its due time (fire.ts), so it fires once even across restarts.
 *
 * Not audited, like the personal store's items: they are the user's private notes, act on
 * nothing but the user's own rows, and the rows say when they were made.
 */
import { REMINDER_LIMITS, type Reminder } from "@parley/protocol";
import type { Deps, DeviceActor } from "../../context.ts";
import type { CommandEffects } from "../../command.ts";
import { runCommand } from "../../command.ts";
import { AppError } from "../../core/errors.ts";
import { newId } from "../../platform/ids.ts";
import { authorize } from "../access/authorize.ts";
import { countPending, findReminder, listReminderRows, toReminder } from "./store.ts";
import { FIRE_JOB } from "./fire.ts";

function checkDue(dueAt: number, now: number): void {
  if (dueAt < now - REMINDER_LIMITS.pastSlackMs) throw new AppError("reminder_due_invalid", "the reminder's time has passed", { reason: "past" });
  if (dueAt > now + REMINDER_LIMITS.maxAheadMs)
    throw new AppError("reminder_due_invalid", "a reminder may be set at most two years ahead", { reason: "too_far" });
}

/** The job that fires the reminder at its time; a moved reminder gets another (the earlier one finds it not yet due and does nothing). */
async function scheduleFire(fx: CommandEffects, id: string, dueAt: number): Promise<void> {
  await fx.job(FIRE_JOB, { id }, { runAt: dueAt, dedupeKey: `${FIRE_JOB}:${id}:${dueAt}` });
}

/** POST /me/reminders. */
export async function createReminder(deps: Deps, p: DeviceActor, body: { dueAt: number }): Promise<Reminder> {
  authorize(p, "e2ee.directory", { type: "org", orgId: p.orgId });
  const now = deps.now();
  checkDue(body.dueAt, now);
  return runCommand(deps, p, "reminders.create", async (tx, fx) => {
    if ((await countPending(tx, p.userId)) >= REMINDER_LIMITS.pending) {
      throw new AppError("reminder_limit", `at most ${REMINDER_LIMITS.pending} pending reminders per user`, { limit: REMINDER_LIMITS.pending });
    }
    const row = { id: newId("rem"), org_id: p.orgId, user_id: p.userId, due_at: body.dueAt, state: "pending", created_at: now, fired_at: null };
    await tx.insertInto("reminders").values(row).execute();
    await scheduleFire(fx, row.id, row.due_at);
    return toReminder(row);
  });
}

/** PATCH /me/reminders/:id: snooze (a fired one is pending again). */
export async function updateReminder(deps: Deps, p: DeviceActor, id: string, body: { dueAt: number }): Promise<Reminder> {
  authorize(p, "e2ee.directory", { type: "org", orgId: p.orgId });
  checkDue(body.dueAt, deps.now());
  return runCommand(deps, p, "reminders.update", async (tx, fx) => {
    const row = await findReminder(tx, p.orgId, p.userId, id);
    if (!row) throw new AppError("not_found", "no such reminder");
    const next = { ...row, due_at: body.dueAt, state: "pending", fired_at: null };
    await tx.updateTable("reminders").set({ due_at: next.due_at, state: next.state, fired_at: null }).where("id", "=", id).execute();
    await scheduleFire(fx, id, body.dueAt);
    return toReminder(next);
  });
}

/** DELETE /me/reminders/:id: cancel (pending) or dismiss (fired). */
export async function deleteReminder(deps: Deps, p: DeviceActor, id: string): Promise<void> {
  authorize(p, "e2ee.directory", { type: "org", orgId: p.orgId });
  await runCommand(deps, p, "reminders.delete", async (tx) => {
    const row = await findReminder(tx, p.orgId, p.userId, id);
    if (!row) throw new AppError("not_found", "no such reminder");
    await tx.deleteFrom("reminders").where("id", "=", id).execute();
  });
}

/** GET /me/reminders. */
export async function listReminders(deps: Deps, p: DeviceActor, state: Reminder["state"] | undefined): Promise<{ reminders: Reminder[] }> {
  authorize(p, "e2ee.directory", { type: "org", orgId: p.orgId });
  return { reminders: (await listReminderRows(deps.db, p.orgId, p.userId, state)).map(toReminder) };
}
