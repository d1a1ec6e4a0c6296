/**
 * Reminders (issue 13, the `/remind` slash command). What to be reminded of — the text, and the
 * message it points at — is sealed on the device into the personal store (kind `reminder`,
 * ADR 0009); the server keeps only a row `(org, user, id, dueAt, state)` and, when it is due,
 * appends a `reminder.due` item `{ reminderId, dueAt }` to the user's stream so every device
 * (one offline at the time included) learns it and opens the sealed text itself. Part of the
 * route table in routes.ts.
 */
import { z } from "zod";
import { route } from "./route.ts";
import { Id, Timestamp } from "./models.ts";

/** Limits of reminders. */
export const REMINDER_LIMITS = {
  /** Most pending reminders per user; one more is `reminder_limit`. */
  pending: 500,
  /** Furthest a reminder may be set ahead, ms (two years). */
  maxAheadMs: 2 * 366 * 24 * 3600 * 1000,
  /** How far in the past a due time may lie and still be taken (fires at once), ms: clock skew between device and server. */
  pastSlackMs: 60_000,
} as const;

/** Where a reminder stands: waiting for its time, or fired (shown to the user until Done or Snooze). */
export const ReminderState = z.enum(["pending", "fired"]);
/** Where a reminder stands. */
export type ReminderState = z.infer<typeof ReminderState>;

/** A reminder as the server knows it: when, never what. */
export const Reminder = z.object({
  id: Id,
  dueAt: Timestamp,
  state: ReminderState,
  createdAt: Timestamp,
  /** When it fired (null while pending). */
  firedAt: Timestamp.nullable(),
});
/** A reminder as the server knows it. */
export type Reminder = z.infer<typeof Reminder>;

const ReminderParams = z.object({ id: Id });

/** Reminder routes: the caller's own reminders only. */
export const reminderRoutes = {
  createReminder: route({
    method: "POST",
    path: "/me/reminders",
    tag: "me",
    auth: "user",
    status: 201,
    summary:
      "Set a reminder due at `dueAt` (its text is sealed by the device into the personal store under the returned id); at that time every device of the caller gets a `reminder.due` stream item",
    body: z.object({ dueAt: Timestamp }),
    response: Reminder,
    errors: ["reminder_due_invalid", "reminder_limit"],
  }),
  listReminders: route({
    method: "GET",
    path: "/me/reminders",
    tag: "me",
    auth: "user",
    summary: "The caller's reminders (pending and fired, not yet done), soonest first",
    query: z.object({ state: ReminderState.optional() }),
    response: z.object({ reminders: z.array(Reminder) }),
    noStore: true,
  }),
  updateReminder: route({
    method: "PATCH",
    path: "/me/reminders/:id",
    tag: "me",
    auth: "user",
    summary: "Move a reminder to another time (snooze): pending again, due at `dueAt`",
    params: ReminderParams,
    body: z.object({ dueAt: Timestamp }),
    response: Reminder,
    errors: ["not_found", "reminder_due_invalid"],
  }),
  deleteReminder: route({
    method: "DELETE",
    path: "/me/reminders/:id",
    tag: "me",
    auth: "user",
    summary: "Cancel a pending reminder or dismiss a fired one (Done); the device deletes its sealed item too",
    params: ReminderParams,
    response: null,
    errors: ["not_found"],
  }),
} as const;
