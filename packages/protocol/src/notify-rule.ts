/**
 * Who is notified of a message (issue 13): a user's default level, their channel override and
 * do-not-disturb (a weekly schedule in their time zone, or a snooze). One rule for the server's
 * push fan-out and the web app's in-tab notifications. Pure: no I/O, only Intl for time zones.
 */
import type { ChannelNotifyLevel, DndWindow, NotifyLevel } from "./notification-routes.ts";

/** The settings the rule reads (NotificationSettings without the channel list). */
export interface NotifyRuleSettings {
  level: NotifyLevel;
  timeZone: string;
  dndSchedule: readonly DndWindow[];
  snoozeUntil: number | null;
}

/** What a user is notified of before they choose: direct messages and mentions. */
export const DEFAULT_NOTIFY_SETTINGS: NotifyRuleSettings = { level: "mentions", timeZone: "UTC", dndSchedule: [], snoozeUntil: null };

export interface MessageFacts {
  senderId: string;
  mentions: readonly string[];
  /** A DM or group DM: every message counts as a mention. */
  direct: boolean;
}

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
export function isQuiet(s: Pick<NotifyRuleSettings, "timeZone" | "dndSchedule" | "snoozeUntil">, now: number): boolean {
  if (s.snoozeUntil !== null && now < s.snoozeUntil) return true;
  if (!s.dndSchedule.length) return false;
  const { day, minute } = localTime(now, s.timeZone);
  return s.dndSchedule.some((w) => inWindow(w, day, minute));
}

/** Whether `userId` should be notified of this message at `now`. */
export function shouldNotify(
  userId: string,
  msg: MessageFacts,
  settings: NotifyRuleSettings,
  override: Exclude<ChannelNotifyLevel, "default"> | undefined,
  now: number,
): boolean {
  if (userId === msg.senderId) return false;
  const level = override ?? settings.level;
  if (level === "muted" || level === "nothing") return false;
  if (level === "mentions" && !msg.direct && !msg.mentions.includes(userId)) return false;
  return !isQuiet(settings, now);
}
