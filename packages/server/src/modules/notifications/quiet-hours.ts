/**
 * Do-not-disturb: whether a user's weekly schedule (in their time zone) or their snooze
 * silences notifications at a given moment. Pure functions over the stored settings.
 */
import type { DndWindow } from "@parley/protocol";

const WEEKDAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];

/** The weekday (0 = Sunday) and minute of the day at `now` in `timeZone`. */
function localTime(now: number, timeZone: string): { day: number; minute: number } {
  const parts = new Intl.DateTimeFormat("en-US", { timeZone, weekday: "short", hour: "2-digit", minute: "2-digit", hourCycle: "h23" }).formatToParts(now);
  const get = (type: string) => parts.find((p) => p.type === type)?.value ?? "";
  return { day: WEEKDAYS.indexOf(get("weekday")), minute: Number(get("hour")) * 60 + Number(get("minute")) };
}

/** Whether `(day, minute)` falls in a window; a window whose end is not after its start runs past midnight into the next day. */
function inWindow(w: DndWindow, day: number, minute: number): boolean {
  if (w.end > w.start) return w.day === day && minute >= w.start && minute < w.end;
  if (w.day === day && minute >= w.start) return true;
  return (w.day + 1) % 7 === day && minute < w.end;
}

/** Whether notifications are silenced at `now`: snoozed, or inside a do-not-disturb window. */
export function isQuiet(s: { timeZone: string; dndSchedule: readonly DndWindow[]; snoozeUntil: number | null }, now: number): boolean {
  if (s.snoozeUntil !== null && now < s.snoozeUntil) return true;
  if (!s.dndSchedule.length) return false;
  const { day, minute } = localTime(now, s.timeZone);
  return s.dndSchedule.some((w) => inWindow(w, day, minute));
}
