/** The quick times the message menu and Snooze offer, read like `/remind` in the user's zone. */
import { parseReminder } from "@parley/sdk";

export const QUICK_TIMES: ReadonlyArray<[label: string, words: string]> = [
  ["In 20 minutes", "in 20 minutes"],
  ["In 1 hour", "in 1 hour"],
  ["In 3 hours", "in 3 hours"],
  ["Tomorrow 9:00", "tomorrow at 9:00"],
  ["Next week", "next week"],
];

/** When one of the quick times falls, from now. */
export function quickTime(words: string, timeZone: string): number {
  return parseReminder(words, { now: Date.now(), timeZone, allowEmptyText: true }).dueAt;
}

/** A due time as the user reads it. */
export function dueLabel(at: number): string {
  return new Date(at).toLocaleString(undefined, { weekday: "short", month: "short", day: "numeric", hour: "2-digit", minute: "2-digit" });
}
