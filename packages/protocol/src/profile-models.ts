/**
 * Profile fields (issue 13): a status's emoji and expiry, a job title and a time zone.
 * Kept apart from models.ts, which only adds them to `User`.
 */
import { z } from "zod";

/** One emoji (a single RGI emoji, skin tones and ZWJ sequences included), shown before the status text. */
export const StatusEmoji = z.string().max(32).regex(new RegExp("^\\p{RGI_Emoji}$", "v"), "one emoji");
/** A job title ("Head of Payments"), shown on the profile card and searched by the directory. */
export const Title = z
  .string()
  .trim()
  .max(100)
  .regex(/^[^\n\r\t]*$/, "single line");
/** An IANA time zone name as written ("Europe/Berlin"); the server checks it against its Intl list. */
export const TimeZone = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9_+\-/]+$/, "an IANA time zone name");
/** Latest a status may be set to end: one year ahead. */
export const STATUS_MAX_DURATION_MS = 366 * 24 * 3600_000;

/**
 * Whether this runtime's Intl knows `tz` as written: its canonical list, names it resolves to
 * themselves ("UTC"), and IANA links it resolves to another name ("Asia/Kathmandu" → ICU's
 * "Asia/Katmandu", "Europe/Kyiv", "US/Eastern"); not a known name in the wrong case
 * ("europe/berlin"), which would be stored as typed.
 */
export function isKnownTimeZone(tz: string): boolean {
  if (supported === undefined) supported = new Set(Intl.supportedValuesOf("timeZone"));
  if (supported.has(tz)) return true;
  try {
    const resolved = new Intl.DateTimeFormat("en", { timeZone: tz }).resolvedOptions().timeZone;
    return resolved === tz || resolved.toLowerCase() !== tz.toLowerCase();
  } catch {
    return false;
  }
}
let supported: Set<string> | undefined;

/** A time zone this runtime's Intl knows (profiles, the do-not-disturb schedule). */
export const KnownTimeZone = TimeZone.refine(isKnownTimeZone, "not a time zone this server knows");

/** "Clear after" choices a client offers for a status (Slack's list); a client may also send any date-time. */
export const STATUS_DURATIONS = ["30m", "1h", "4h", "today", "week"] as const;
export type StatusDuration = (typeof STATUS_DURATIONS)[number];

/**
 * When a status chosen at `now` with `choice` ends, in the client's local time: minutes and
 * hours from now, "today" at the end of the local day, "week" at the end of the local Sunday.
 */
export function statusEndsAt(choice: StatusDuration, now: Date): number {
  if (choice === "30m") return now.getTime() + 30 * 60_000;
  if (choice === "1h") return now.getTime() + 3600_000;
  if (choice === "4h") return now.getTime() + 4 * 3600_000;
  const end = new Date(now);
  // Weeks end on Sunday (ISO 8601): Monday is 1 day in, Sunday 0 days left.
  if (choice === "week") end.setDate(end.getDate() + ((7 - end.getDay()) % 7));
  end.setHours(23, 59, 59, 999);
  return end.getTime();
}
