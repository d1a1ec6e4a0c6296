/**
 * The org's edit policy (issue 13): whether members may edit their own messages, and for how
 * long after sending. The server enforces it on every `edit` event (it knows the target's
 * sender and time, never the content): an edit it refuses answers `edit_not_allowed` and
 * writes nothing. Deletes are not limited by it.
 */
import { z } from "zod";
import { route } from "./route.ts";

/** The longest edit window an admin may set: one year, in minutes. */
export const MAX_EDIT_WINDOW_MINUTES = 525_600;

/** The org's edit policy. */
export const EditPolicy = z.object({
  /** Whether members may edit their own messages at all. */
  enabled: z.boolean(),
  /** Minutes after sending during which the sender may edit a message; null: no limit. */
  windowMinutes: z.number().int().min(1).max(MAX_EDIT_WINDOW_MINUTES).nullable(),
});
export type EditPolicy = z.infer<typeof EditPolicy>;

/** The policy of an org that never set one: edits allowed, no time limit. */
export const DEFAULT_EDIT_POLICY: EditPolicy = { enabled: true, windowMinutes: null };

/**
 * Whether a message sent at `sentAt` (ms) may still be edited at `now` (ms) under `policy`:
 * `ok`, or why not. Shared by the server (which enforces it) and clients (which hide "Edit").
 */
export function editAllowed(policy: EditPolicy, sentAt: number, now: number): "ok" | "disabled" | "window_closed" {
  if (!policy.enabled) return "disabled";
  if (policy.windowMinutes !== null && now - sentAt > policy.windowMinutes * 60_000) return "window_closed";
  return "ok";
}

export const editRoutes = {
  getEditPolicy: route({
    method: "GET",
    path: "/org/edit-policy",
    tag: "org",
    auth: "user",
    summary: 'The org\'s edit policy (every member: clients hide "Edit" where the server would refuse it)',
    response: EditPolicy,
  }),
  setEditPolicy: route({
    method: "PUT",
    path: "/org/edit-policy",
    tag: "org",
    auth: "user",
    summary: "Change the org's edit policy (admins); audited as org.edit_policy.changed",
    body: EditPolicy,
    response: EditPolicy,
    errors: ["forbidden"],
  }),
} as const;
